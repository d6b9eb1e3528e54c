/** Pieces of README.md that tests hold to what they promise. */

/** The README's SQL block that creates the read-only BI role, one statement per item, whitespace collapsed. */
export function biRoleRecipe(readme: string): string[] {
  const block = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? "").find((sql) => /create role bi_reader/i.test(sql));
  if (!block) throw new Error("README.md has no SQL block creating bi_reader");
  return block
    .split(";")
    .map((statement) => statement.replace(/\s+/g, " ").trim())
    .filter(Boolean);
}

/** The statement of a README SQL block that follows the comment line starting with `comment`. */
export function readmeQuery(readme: string, comment: string): string {
  const blocks = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  for (const block of blocks) {
    const at = block.indexOf(`-- ${comment}`);
    if (at < 0) continue;
    const body = block.slice(block.indexOf("\n", at) + 1);
    return body.slice(0, body.indexOf(";"));
  }
  throw new Error(`README.md has no SQL block with a query after "-- ${comment}"`);
}
