/**
 * The README's read-only BI role, run statement by statement against a migrated warehouse: the role reads
 * the tables and views, cannot write, and its sessions start read-only with a statement timeout. It cannot
 * read the lock secret, so it cannot compute the sync's advisory lock keys: the keys it can compute from what
 * it reads (the fixed namespaces of old, a stream id, a budget key) block nothing, and a real key it copied
 * from pg_locks makes the sync name it instead of skipping the stream.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockKeysFrom, readLockSecret } from "../../src/warehouse/lock-keys.js";
import { biRoleRecipe } from "../support/readme.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { HOUR, startYandexScenario } from "../support/yandex-scenario.js";

let database: TestDatabase;
const role = `bi_reader_${randomBytes(6).toString("hex")}`;
const password = randomBytes(18).toString("base64url");

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.warehouse.pool.query(`drop owned by ${role}`).catch(() => undefined);
  await database?.warehouse.pool.query(`drop role if exists ${role}`);
  await database?.drop();
});

/** A session of the BI role, named `application`. */
async function connectAsReader(application = "bi-tool"): Promise<pg.Client> {
  const url = new URL(database.url);
  url.username = role;
  url.password = password;
  const reader = new pg.Client({ connectionString: url.toString(), application_name: application });
  await reader.connect();
  return reader;
}

/** The advisory lock keys of eventlog-sync before they were salted: what a reader could compute. */
const OLD_STREAM_NAMESPACE = 0x45564c53;
const OLD_BUDGET_NAMESPACE = 0x45564c42;
const OLD_RUN_NAMESPACE = 0x45564c52;
function oldSlotKey(budgetKey: string, slot: number): number {
  const lockKey = Number.parseInt(budgetKey.slice(0, 8), 16) >>> 4;
  return (lockKey << 4) | slot | 0;
}

describe("the README's read-only BI role", () => {
  it("reads, cannot write, and starts every session read-only with a statement timeout", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const statement of biRoleRecipe(readme)) {
      const sql = statement
        .replace(/\bbi_reader\b/g, role)
        .replace(/database eventlog\b/, `database ${database.name}`)
        .replace(/password '[^']*'/, `password '${password}'`);
      await database.warehouse.pool.query(sql);
    }
    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    const reader = new pg.Client({ connectionString: url.toString() });
    await reader.connect();
    try {
      const settings = await reader.query<{ read_only: string; timeout: string }>(
        "select current_setting('default_transaction_read_only') as read_only, current_setting('statement_timeout') as timeout",
      );
      expect(settings.rows[0]?.read_only).toBe("on");
      expect(settings.rows[0]?.timeout).not.toBe("0");
      const read = await reader.query<{ n: number }>(
        "select (select count(*)::int from sync.stream_freshness) + (select count(*)::int from yandex_direct.events) as n",
      );
      expect(read.rows[0]?.n).toBe(0);
      await expect(reader.query("insert into sync.runs (command, host, pid) values ('bi', 'bi', 1)")).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
      await expect(reader.query("update sync.streams set cursor = null")).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
      await expect(reader.query("create table altcraft.scratch (x int)")).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
    } finally {
      await reader.end();
    }
  });

  it("cannot read the lock secret: the keys it can compute hold up nothing, and a copied real key is named", async () => {
    const reader = await connectAsReader();
    const scenario = await startYandexScenario({
      logins: ["client-1", "client-2"],
      account: { requestsPerSecond: 50, concurrency: 2 },
    });
    try {
      await expect(reader.query("select secret from sync_private.lock_secret")).rejects.toThrow(/permission denied/);
      const granted = await database.warehouse.pool.query<{ usage: boolean; select: boolean }>(
        `select has_schema_privilege($1, 'sync_private', 'USAGE') as usage,
                has_table_privilege($1, 'sync_private.lock_secret', 'SELECT') as select`,
        [role],
      );
      expect(granted.rows[0]).toEqual({ usage: false, select: false });

      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      // Every lock the reader can compute from what it reads: each stream's, each slot of each budget, and the
      // leases of the next runs.
      const streams = await reader.query<{ stream_id: number }>("select stream_id from sync.streams");
      const budgets = await reader.query<{ budget_key: string }>("select distinct budget_key from sync.request_starts");
      expect(streams.rows).toHaveLength(2);
      expect(budgets.rows).toHaveLength(1);
      for (const { stream_id } of streams.rows)
        await reader.query("select pg_advisory_lock($1, $2)", [OLD_STREAM_NAMESPACE, Number(stream_id)]);
      for (const { budget_key } of budgets.rows)
        for (let slot = 0; slot < 16; slot++)
          await reader.query("select pg_advisory_lock($1, $2)", [OLD_BUDGET_NAMESPACE, oldSlotKey(budget_key, slot)]);
      const last = await reader.query<{ run_id: number }>("select max(run_id)::int as run_id from sync.runs");
      for (let run = 1; run <= 3; run++)
        await reader.query("select pg_advisory_lock($1, $2)", [OLD_RUN_NAMESPACE, Number(last.rows[0]?.run_id) + run]);
      const held = await reader.query<{ n: number }>(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted",
      );
      expect(held.rows[0]?.n).toBe(2 + 16 + 3);

      scenario.clock.now += HOUR;
      const summary = await scenario.run(database.warehouse);
      expect(summary.streams.map((s) => s.status)).toEqual(["succeeded", "succeeded"]);
      expect(summary.status).toBe("succeeded");

      // A real key, copied from pg_locks while the sync held it, in a session that calls itself eventlog-sync:
      // another role is no eventlog-sync process, and the stream fails naming it.
      const impostor = await connectAsReader("eventlog-sync");
      try {
        const keys = lockKeysFrom(await readLockSecret(database.warehouse.pool));
        const streamId = Number(streams.rows[0]?.stream_id);
        await impostor.query("select pg_advisory_lock($1, $2)", [...keys.of("stream", streamId)]);
        const pid = (await impostor.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]?.pid;
        scenario.clock.now += HOUR;
        const blocked = await scenario.run(database.warehouse);
        const failed = blocked.streams.filter((s) => s.status === "failed");
        expect(failed).toHaveLength(1);
        expect(failed[0]?.error).toContain(`(role ${role}, application "eventlog-sync", pid ${pid})`);
        expect(blocked.status).toBe("partial");
      } finally {
        await impostor.end();
      }
    } finally {
      await reader.end();
      await scenario.close();
    }
  });
});
