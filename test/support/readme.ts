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
