/**
 * Shared setup of the process-level tests: the real CLI (`node bin/eventlog-sync.js`) as child processes
 * working in a temporary directory that holds their config files, a database of their own for the tests
 * that ask for one, and nothing left behind after the file: no process, no database, no directory.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { stringify } from "yaml";
import { type CliExit, type CliProcess, killRunningClis, startCli } from "./cli.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface ProcessTest {
  /** A database cloned from the migrated template, dropped after the file's last test. */
  newDatabase(): Promise<TestDatabase>;
  /** Writes `config` as a YAML file in the temporary directory; returns its path. */
  writeConfig(config: Record<string, unknown>): Promise<string>;
  /** Starts the CLI in the temporary directory with `env` added to this process's environment. */
  startCli(args: readonly string[], env: Record<string, string>, timeoutMs?: number): CliProcess;
  /** Starts the CLI and waits for it to exit. */
  runCli(args: readonly string[], env: Record<string, string>): Promise<CliExit>;
}

/**
 * Registers the file's hooks and returns its helpers. `name` prefixes the temporary directory;
 * `cliTimeoutMs` is how long a CLI process may run before it is killed.
 */
export function useProcessTest(options: { name: string; cliTimeoutMs: number }): ProcessTest {
  let dir = "";
  let configs = 0;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `eventlog-sync-${options.name}-`));
  });
  afterAll(async () => {
    killRunningClis();
    for (const database of databases) await database.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const start = (args: readonly string[], env: Record<string, string>, timeoutMs = options.cliTimeoutMs): CliProcess =>
    startCli(args, { env, cwd: dir, timeoutMs });
  return {
    async newDatabase() {
      const database = await createTestDatabase();
      databases.push(database);
      return database;
    },
    async writeConfig(config) {
      const file = join(dir, `config-${++configs}.yaml`);
      await writeFile(file, stringify(config));
      return file;
    },
    startCli: start,
    runCli: (args, env) => start(args, env).exited,
  };
}

/** An hour boundary `daysAgo` before now, in ms: a start time inside a simulator's history on its real clock. */
export function startTimeDaysAgo(daysAgo: number): number {
  return Math.ceil((Date.now() - daysAgo * DAY) / HOUR) * HOUR;
}
