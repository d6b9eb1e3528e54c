// `eventlog-sync dbt-sources` as a process: on a migrated warehouse it writes the dbt sources file the repository
// keeps (deploy/dbt/sources.yml) to standard output and to --out; on an empty one it says so and exits 1,
// writing nothing. Kills: the command not registered, --out ignored, an empty warehouse described as nothing.
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from "../support/test-database.js";

let migrated: TestDatabase;
let empty: TestDatabase;
let cwd: string;
beforeAll(async () => {
  [migrated, empty] = await Promise.all([createTestDatabase(), createEmptyDatabase()]);
  cwd = await mkdtemp(join(tmpdir(), "eventlog-sync-dbt-"));
  await chmod(cwd, 0o755);
});
afterAll(async () => {
  await Promise.all([migrated?.drop(), empty?.drop()]);
  await rm(cwd, { recursive: true, force: true });
});

describe("eventlog-sync dbt-sources", () => {
  it("writes the kept sources file to standard output and to --out", async () => {
    const kept = await readFile(new URL("../../deploy/dbt/sources.yml", import.meta.url), "utf8");
    const printed = await runCli(["dbt-sources"], { env: { DATABASE_URL: migrated.url }, cwd });
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(kept);
    const out = join(cwd, "sources.yml");
    const written = await runCli(["dbt-sources", "--out", out], { env: { DATABASE_URL: migrated.url }, cwd });
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe("");
    expect(await readFile(out, "utf8")).toBe(kept);
  });

  it("refuses an empty warehouse, naming it, and writes nothing", async () => {
    const out = join(cwd, "empty.yml");
    const result = await runCli(["dbt-sources", "--out", out], { env: { DATABASE_URL: empty.url }, cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/migrat/i);
    await expect(readFile(out, "utf8")).rejects.toThrow(/ENOENT/);
  });
});
