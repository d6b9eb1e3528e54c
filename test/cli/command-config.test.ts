// Every command reads the configuration the same way: -c/--config, else $EVENTLOG_SYNC_CONFIG, else
// ./eventlog-sync.yaml; the database URL from --database-url, else $DATABASE_URL, else database.url of the file.
// status, reset and migrate need nothing else from the file (no tokens in their environment). A named file
// that is missing is an error; a missing ./eventlog-sync.yaml is not. The real CLI, as a child process, with
// the embedded PostgreSQL turned off so that a command that ignores the file cannot fall back to one.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
let dir: string;
let elsewhere: string;
let file: string;
const UNREACHABLE = "postgres://sync:file-secret@127.0.0.1:1/nowhere";

/** The environment of every run: no database URL, no config variable, no embedded PostgreSQL, no tokens. */
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  DATABASE_URL: undefined,
  EVENTLOG_SYNC_CONFIG: undefined,
  EVENTLOG_SYNC_EMBEDDED_POSTGRES: "off",
  ...extra,
});

const config = (url: string) =>
  stringify({
    database: { url, connectTimeout: "5s" },
    sources: { yandex_direct: { accounts: [{ name: "agency", token: "${YD_TOKEN}", currency: "RUB" }] } },
  });

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureStream(database.warehouse.db, { source: "altcraft", account: "main", streamKey: "42" });
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-cwd-"));
  elsewhere = await mkdtemp(join(tmpdir(), "eventlog-sync-elsewhere-"));
  file = join(dir, "eventlog-sync.yaml");
  await writeFile(file, config(database.url));
  await writeFile(join(dir, "unreachable.yaml"), config(UNREACHABLE));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
  await database.drop();
});

const streamsOf = (stdout: string) => (JSON.parse(stdout) as Array<{ stream: string }>).map((s) => s.stream);

describe("the configuration of every command", () => {
  it("status reads database.url of ./eventlog-sync.yaml, of -c, --config and $EVENTLOG_SYNC_CONFIG, without tokens", async () => {
    const runs = [
      await runCli(["status", "--json"], { cwd: dir, env: env() }),
      await runCli(["status", "--json", "-c", file], { cwd: elsewhere, env: env() }),
      await runCli(["status", "--config", file, "--json"], { cwd: elsewhere, env: env() }),
      await runCli(["status", "--json"], { cwd: elsewhere, env: env({ EVENTLOG_SYNC_CONFIG: file }) }),
    ];
    for (const run of runs) {
      expect(run.stderr).not.toMatch(/"level":50/);
      expect(run.code, run.stderr).toBe(0);
      expect(streamsOf(run.stdout)).toEqual(["42"]);
    }
  });

  it("reset and migrate read it too", async () => {
    const reset = await runCli(["reset", "-c", file, "altcraft/main/42"], { cwd: elsewhere, env: env() });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain("altcraft/main/42: cursor moved");
    const migrate = await runCli(["migrate"], { cwd: dir, env: env() });
    expect(migrate.code, migrate.stderr).toBe(0);
    const migrateNamed = await runCli(["migrate", "--config", file], { cwd: elsewhere, env: env() });
    expect(migrateNamed.code, migrateNamed.stderr).toBe(0);
  });

  it("--database-url and $DATABASE_URL win over database.url of the file, as for sync", async () => {
    const named = join(dir, "unreachable.yaml");
    const byOption = await runCli(["--database-url", database.url, "status", "--json", "-c", named], {
      cwd: elsewhere,
      env: env(),
    });
    expect(byOption.code, byOption.stderr).toBe(0);
    expect(streamsOf(byOption.stdout)).toEqual(["42"]);
    const byVariable = await runCli(["status", "--json", "-c", named], {
      cwd: elsewhere,
      env: env({ DATABASE_URL: database.url }),
    });
    expect(byVariable.code, byVariable.stderr).toBe(0);
    expect(streamsOf(byVariable.stdout)).toEqual(["42"]);
    // Without either, the file's URL is the one tried (and its password is never printed).
    const fromFile = await runCli(["status", "-c", named], { cwd: elsewhere, env: env() });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).not.toContain("file-secret");
  });

  it("a named file that is missing is an error; a missing ./eventlog-sync.yaml falls back as before", async () => {
    for (const args of [
      ["status", "-c", "missing.yaml"],
      ["reset", "-c", "missing.yaml", "42"],
      ["migrate", "-c", "missing.yaml"],
    ]) {
      const run = await runCli(args, { cwd: elsewhere, env: env({ DATABASE_URL: database.url }) });
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr, args.join(" ")).toContain("missing.yaml: cannot read the file");
    }
    const variable = await runCli(["status"], {
      cwd: elsewhere,
      env: env({ DATABASE_URL: database.url, EVENTLOG_SYNC_CONFIG: join(elsewhere, "gone.yaml") }),
    });
    expect(variable.code).toBe(1);
    expect(variable.stderr).toContain("gone.yaml: cannot read the file");
    const fallback = await runCli(["status", "--json"], { cwd: elsewhere, env: env({ DATABASE_URL: database.url }) });
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(streamsOf(fallback.stdout)).toEqual(["42"]);
  });
});
