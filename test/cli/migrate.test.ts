// `eventlog-sync migrate`: idempotent, reversible with --down, embedded without DATABASE_URL, exit 1 with a clear
// message.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../../migrations/index.js";
import { runCli } from "../support/cli.js";
import { createEmptyDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
let cwd: string;
beforeAll(async () => {
  database = await createEmptyDatabase();
  cwd = await mkdtemp(join(tmpdir(), "eventlog-sync-cli-"));
  await chmod(cwd, 0o755);
});
afterAll(async () => {
  await database.drop();
  await rm(cwd, { recursive: true, force: true });
});

describe("eventlog-sync migrate", () => {
  it("migrates the database of DATABASE_URL, twice without change, and reverts with --down", async () => {
    const env = { DATABASE_URL: database.url };
    const first = await runCli(["migrate"], { env, cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("migrations applied");
    expect(first.stdout).toMatch(/warehouse migrated: \d+ migrations applied/);
    const second = await runCli(["migrate"], { env, cwd });
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain("migrations applied");
    expect(second.stdout).toContain("warehouse is up to date");
    // Every migration, the first included.
    const down = await runCli(["migrate", "--down", String(Object.keys(migrations).length)], { env, cwd });
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/reverted \S+event-tables/);
    expect(down.stdout).toMatch(/reverted \S+sync-bookkeeping/);
    const tables = await sql<{
      n: number;
    }>`select count(*)::int as n from information_schema.tables where table_schema = 'yandex_direct'`.execute(
      database.warehouse.db,
    );
    expect(tables.rows[0]?.n).toBe(0);
  });

  it("starts an embedded PostgreSQL under the working directory when DATABASE_URL is not set", async () => {
    const result = await runCli(["migrate"], { env: { DATABASE_URL: "" }, cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(join(cwd, ".eventlog-sync", "postgres"));
  });

  it("fails with exit code 1 and a clear message when the database is unreachable", async () => {
    const result = await runCli(["migrate"], { env: { DATABASE_URL: "postgres://nobody:x@127.0.0.1:1/none" }, cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/eventlog-sync: .*(ECONNREFUSED|connect)/s);
  });

  it("rejects a bad option value naming the option and the value", async () => {
    const result = await runCli(["migrate", "--down", "zero"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Expected `--down` to be a positive integer, got `zero`");
  });
});
