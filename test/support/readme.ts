/** Pieces of README.md that tests hold to what they promise. */

/** The README's SQL block that creates the read-only BI role, one statement per item, whitespace collapsed. */
export function biRoleRecipe(readme: string): string[] {
  const block = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? "")
    .find((sql) => /create role bi_reader/i.test(sql));
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

/** Every query of the SQL blocks in one README section: the comment line above it and its text. */
export function readmeQueries(readme: string, section: string): { title: string; sql: string }[] {
  const start = readme.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README.md has no section "${section}"`);
  const end = readme.indexOf("\n## ", start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  const queries: { title: string; sql: string }[] = [];
  for (const block of [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? "")) {
    for (const m of block.matchAll(/^-- (.+)\n([\s\S]*?);/gm))
      queries.push({ title: m[1] ?? "", sql: (m[2] ?? "").trim() });
  }
  return queries;
}

/** The README's SQL block that matches `marker`, one statement per item, whitespace collapsed. */
export function readmeRecipe(readme: string, marker: RegExp): string[] {
  const block = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? "").find((sql) => marker.test(sql));
  if (!block) throw new Error(`README.md has no SQL block matching ${String(marker)}`);
  return block
    .split(";")
    .map((statement) => statement.replace(/\s+/g, " ").trim())
    .filter(Boolean);
}

/**
 * The commands of the README's quick start (the shell block of "Running it on real accounts"), up to and
 * including the first line that contains `until`.
 */
export function quickStart(readme: string, until: string): string[] {
  const start = readme.indexOf("\n## Running it on real accounts\n");
  if (start < 0) throw new Error('README.md has no section "Running it on real accounts"');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  if (!block) throw new Error("README.md has no shell block in its quick start");
  const lines = block.split("\n").filter((line) => line.trim() !== "");
  const last = lines.findIndex((line) => line.includes(until));
  if (last < 0) throw new Error(`the README quick start has no line with ${until}`);
  return lines.slice(0, last + 1);
}
