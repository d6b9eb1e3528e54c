// What `migrate` and the commands that migrate first do around the schema: a down that would drop rows
// asks for --force and then resets the streams whose events went; a warehouse migrated by a newer binary
// is named with its migration; `status` never migrates; the migration lock is waited for in the open.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { migrations } from "../../migrations/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { migrateDown } from "../../src/warehouse/migrations.runner.js";
import { runCli, startCli, killRunningClis } from "../support/cli.js";
import { connectClient, createEmptyDatabase, createTestDatabase, type TestDatabase } from "../support/test-database.js";

const HOUR = 3_600_000;
const ALL = Object.keys(migrations).sort();
const LATEST = ALL.at(-1) ?? "";
let sim: YandexDirectSimulator;
let dir: string;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  sim = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 11,
    clientLogins: 2,
    historyDays: 1,
    eventsPerHour: 20,
  });
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-migrate-guards-"));
});

afterAll(async () => {
  killRunningClis();
  await sim?.close();
  for (const d of databases) await d.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function database(empty = false): Promise<TestDatabase> {
  const d = empty ? await createEmptyDatabase() : await createTestDatabase();
  databases.push(d);
  return d;
}

async function config(name: string, database: Record<string, string> = {}): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    stringify({
      database,
      sources: {
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: sim.endpoint,
              currency: "RUB",
              logins: ["client-1", "client-2"],
              startTime: new Date(Math.floor((Date.now() - 12 * HOUR) / HOUR) * HOUR).toISOString(),
              settleLag: "2s",
            },
          ],
        },
      },
    }),
  );
  return file;
}

const count = async (d: TestDatabase, query: string) => Number((await d.warehouse.pool.query(query)).rows[0]?.n);

/** The applied migrations, from the migration table wherever it lives. */
async function applied(d: TestDatabase): Promise<string[]> {
  const table = await d.warehouse.pool.query<{ name: string }>(
    `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = 'eventlog_sync_migrations'`,
  );
  const name = table.rows[0]?.name;
  if (!name) return [];
  return (await d.warehouse.pool.query<{ name: string }>(`select name from ${name} order by name`)).rows.map(
    (r) => r.name,
  );
}

describe("migrate", () => {
  it("says which migrations it applied, and that there is nothing to apply the second time", async () => {
    // Kills: "warehouse is up to date" printed after applying every migration.
    const d = await database(true);
    const first = await runCli(["migrate"], { env: { DATABASE_URL: d.url } });
    expect(first.code, first.stderr).toBe(0);
    for (const name of ALL) expect(first.stdout).toContain(`applied ${name}`);
    expect(first.stdout).toContain(`warehouse migrated: ${ALL.length} migrations applied`);
    expect(first.stdout).not.toContain("up to date");
    const second = await runCli(["migrate"], { env: { DATABASE_URL: d.url } });
    expect(second.stdout.trim()).toBe("warehouse is up to date: nothing to apply");
  });

  it("--down refuses to drop tables holding rows without --force; with it, the streams whose events went are read again from the start", async () => {
    // Kills: a down migration dropping the event tables with their rows and no prompt, and kept cursors
    // that let the next sync reload only what came after them.
    const d = await database();
    const env = { DATABASE_URL: d.url, YD_TOKEN: "agency-token" };
    const file = await config("down.yaml");
    const sync = await runCli(["sync", "-c", file], { env });
    expect(sync.code, sync.stderr).toBe(0);
    const events = await count(d, "select count(*) as n from yandex_direct.events");
    expect(events).toBeGreaterThan(0);
    // The simulator's log goes on in real time: the reload is compared up to the newest event read first.
    const newest = (
      await d.warehouse.pool.query<{ at: Date }>("select max(event_time) as at from yandex_direct.events")
    ).rows[0]?.at;

    const refused = await runCli(["migrate", "--down", String(ALL.length - 1)], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `eventlog-sync: nothing reverted: reverting ${ALL.length - 1} migrations would drop tables holding rows: `,
    );
    expect(refused.stderr).toContain(`yandex_direct.events (${events.toLocaleString("en")} rows)`);
    expect(refused.stderr).toContain("add --force to drop them");
    expect(await applied(d)).toEqual(ALL);
    expect(await count(d, "select count(*) as n from yandex_direct.events")).toBe(events);

    const forced = await runCli(["migrate", "--down", String(ALL.length - 1), "--force"], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`dropped yandex_direct.events (${events.toLocaleString("en")} rows)`);
    expect(forced.stdout).toContain("reset 2 yandex_direct streams");
    expect(await applied(d)).toEqual(ALL.slice(0, 1));
    expect(await count(d, "select count(*) as n from sync.streams where cursor is not null")).toBe(0);

    const again = await runCli(["sync", "-c", file], { env });
    expect(again.code, again.stderr).toBe(0);
    const reloaded = await d.warehouse.pool.query<{ n: string }>(
      "select count(*) as n from yandex_direct.events where event_time <= $1",
      [newest],
    );
    expect(Number(reloaded.rows[0]?.n)).toBe(events);
  }, 120_000);
});

describe("a warehouse migrated by a newer eventlog-sync", () => {
  it("is named with the migration it expects; status still shows what it holds, and sync refuses", async () => {
    // Kills: kysely's "corrupted migrations: … is missing" for every command, status included.
    const d = await database();
    const table = (
      await d.warehouse.pool.query<{ name: string }>(
        `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relname = 'eventlog_sync_migrations'`,
      )
    ).rows[0]?.name;
    await d.warehouse.pool.query(`insert into ${table} (name, timestamp) values ('2099-01-01T0000_future', $1)`, [
      new Date().toISOString(),
    ]);
    const sentence = `the warehouse was migrated by a newer eventlog-sync (migration 2099-01-01T0000_future); this binary knows up to ${LATEST}: upgrade eventlog-sync`;
    const status = await runCli(["status"], { env: { DATABASE_URL: d.url } });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toContain(`eventlog-sync: ${sentence}`);
    expect(status.stdout).toContain("no streams yet");
    const sync = await runCli(["sync", "-c", await config("newer.yaml")], {
      env: { DATABASE_URL: d.url, YD_TOKEN: "agency-token" },
    });
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain(`eventlog-sync: ${sentence}`);
    expect(sync.stderr).not.toContain("corrupted migrations");
  });
});

describe("status", () => {
  it("never migrates: an empty warehouse is said to be empty, one behind is said to be behind and shown", async () => {
    // Kills: status applying migrations before reading.
    const empty = await database(true);
    const none = await runCli(["status"], { env: { DATABASE_URL: empty.url } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("the warehouse has no eventlog-sync tables yet");
    expect(await applied(empty)).toEqual([]);
    expect(await count(empty, "select count(*) as n from pg_namespace where nspname = 'sync'")).toBe(0);

    const behind = await database();
    await migrateDown(behind.warehouse.db, 1);
    const result = await runCli(["status"], { env: { DATABASE_URL: behind.url } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`the warehouse is 1 migration behind this binary (next: ${LATEST})`);
    expect(result.stdout).toContain("no streams yet");
    expect(await applied(behind)).toEqual(ALL.slice(0, -1));
  });
});

describe("the migration lock held by someone else", () => {
  const MIGRATION_LOCK_ID = "3853314791062309107";
  async function holdLock(d: TestDatabase): Promise<{ pid: number; client: pg.Client }> {
    const client = await connectClient(d.url, "bi-dashboard");
    await client.query(`select pg_advisory_lock(${MIGRATION_LOCK_ID})`);
    const pid = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]?.pid ?? 0;
    return { pid, client };
  }

  it("is waited for at most the lock timeout, with a warning naming the holder", async () => {
    // Kills: a blocking pg_advisory_lock under kysely's hour-long lock_timeout, with no log line.
    const d = await database();
    const { pid, client } = await holdLock(d);
    try {
      const file = await config("lock.yaml", { lockTimeout: "1s" });
      const result = await runCli(["sync", "-c", file], {
        env: { DATABASE_URL: d.url, YD_TOKEN: "agency-token" },
        timeoutMs: 30_000,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`"msg":"waiting for the migration lock: held by pid ${pid} \\(role \\w+, application bi-dashboard`),
      );
      expect(result.stderr).toContain(`the migration lock was not free within 1000 ms: held by pid ${pid}`);
    } finally {
      await client.end();
    }
  });

  it("is given up at once on SIGTERM", async () => {
    // Kills: a shutdown signal honoured only when the lock frees.
    const d = await database();
    const { client } = await holdLock(d);
    try {
      const cli = startCli(["migrate"], { env: { DATABASE_URL: d.url }, timeoutMs: 50_000 });
      for (let i = 0; !cli.stderr().includes("waiting for the migration lock"); i++) {
        if (i > 600) throw new Error(`no lock warning: ${cli.stderr()}`);
        await sleep(50);
      }
      process.kill(cli.pid, "SIGTERM");
      const exit = await cli.exited;
      expect(exit.code, exit.stderr).toBe(1);
      expect(exit.stderr).toContain("stopped by SIGTERM");
      expect(await client.query("select 1")).toBeTruthy();
    } finally {
      await client.end();
    }
  });
});
