/**
 * The README's read-only BI role, run statement by statement (after the sync role's recipe and a first migrate
 * as that role), then used as that role: it reads every table and view analysts use, tables later migrations
 * create too; it cannot write even after turning its read-only default off, cannot create temporary tables;
 * its sessions start read-only with a statement timeout, and one left idle in a transaction is ended. It cannot
 * read the lock secret, so it cannot compute the sync's advisory lock keys: the keys it can compute from what
 * it reads block nothing, and a real key it copied from pg_locks makes the sync name it.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { lockKeysFrom, readLockSecret } from "../../src/warehouse/lock.keys.js";
import { migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { biRoleRecipe, readmeQueries, readmeRecipe } from "../support/readme.js";
import { connectClient, createEmptyDatabase, dropRoles, type TestDatabase } from "../support/test-database.js";
import { HOUR, startYandexScenario } from "../support/yandex-scenario.js";

const suffix = randomBytes(5).toString("hex");
const bi = `bi_reader_${suffix}`;
const writer = `eventlog_writer_${suffix}`;
const biPassword = randomBytes(18).toString("hex");
const writerPassword = randomBytes(18).toString("hex");
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

let database: TestDatabase;

function asRole(role: string, password: string): string {
  const url = new URL(database.url);
  url.username = role;
  url.password = password;
  return url.toString();
}

function connect(role: string, password: string): Promise<pg.Client> {
  return connectClient(asRole(role, password));
}

/** A README statement for this test's database and roles; the idle timeout shortened so a test can see it act. */
function adapt(statement: string): string {
  return statement
    .replace(/\bbi_reader\b/g, bi)
    .replace(/\beventlog_writer\b/g, writer)
    .replace(/database eventlog\b/g, `database ${database.name}`)
    .replace(/(create role \S+ login password )'[^']*'/, (_, head: string) =>
      head.includes(bi) ? `${head}'${biPassword}'` : `${head}'${writerPassword}'`,
    )
    .replace(/(idle_in_transaction_session_timeout = )'[^']*'/, "$1'500ms'");
}

beforeAll(async () => {
  database = await createEmptyDatabase();
  for (const statement of readmeRecipe(readme, /create role eventlog_writer/i))
    await database.warehouse.pool.query(adapt(statement));
  const asWriter = openWarehouse(asRole(writer, writerPassword), { maxConnections: 2 });
  try {
    await migrateToLatest(asWriter.db);
  } finally {
    await asWriter.close();
  }
  for (const statement of biRoleRecipe(readme)) await database.warehouse.pool.query(adapt(statement));
});

afterAll(async () => {
  await database?.drop();
  await dropRoles(bi, writer);
});

const PERMISSION_DENIED = /permission denied/;

/** A session of the BI role, named `application`. */
function connectAsReader(application = "bi-tool"): Promise<pg.Client> {
  return connectClient(asRole(bi, biPassword), application);
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
  it("reads every table and view of the three schemas, and the README's queries", async () => {
    const reader = await connect(bi, biPassword);
    try {
      const relations = await database.warehouse.pool.query<{ name: string }>(
        `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname in ('altcraft', 'yandex_direct', 'sync') and c.relkind in ('r', 'v', 'm', 'p') order by 1`,
      );
      expect(relations.rows.map((r) => r.name)).toEqual(
        expect.arrayContaining(["yandex_direct.events", "altcraft.campaign_runs", "sync.stream_freshness"]),
      );
      for (const { name } of relations.rows) await reader.query(`select * from ${name} limit 1`);
      const queries = readmeQueries(readme, "Querying from BI tools");
      expect(queries.length).toBeGreaterThan(0);
      for (const query of queries) await reader.query(query.sql);
      // Not the migrator's bookkeeping: it is in no schema of the grants.
      await expect(reader.query("select * from eventlog_sync.eventlog_sync_migrations")).rejects.toThrow(
        PERMISSION_DENIED,
      );
    } finally {
      await reader.end();
    }
  });

  it("reads a table a later migration creates (default privileges for the sync role)", async () => {
    const asWriter = await connect(writer, writerPassword);
    try {
      await asWriter.query("create table sync.later_table (x int); insert into sync.later_table values (7)");
    } finally {
      await asWriter.end();
    }
    const reader = await connect(bi, biPassword);
    try {
      expect((await reader.query<{ x: number }>("select x from sync.later_table")).rows).toEqual([{ x: 7 }]);
    } finally {
      await reader.end();
    }
  });

  it("cannot write even with its read-only default turned off: its privileges refuse", async () => {
    const reader = await connect(bi, biPassword);
    try {
      const settings = await reader.query<{ read_only: string; timeout: string }>(
        "select current_setting('default_transaction_read_only') as read_only, current_setting('statement_timeout') as timeout",
      );
      expect(settings.rows[0]).toEqual({ read_only: "on", timeout: "1min" });
      await reader.query("set default_transaction_read_only = off");
      for (const write of [
        "insert into sync.runs (command, host, pid) values ('bi', 'bi', 1)",
        "update sync.streams set cursor = null",
        "delete from yandex_direct.events",
        "truncate altcraft.campaign_log",
        "create table sync.scratch (x int)",
        "create table public.scratch (x int)",
        "create schema scratch",
        "create view altcraft.scratch as select 1 as x",
      ])
        await expect(reader.query(write), write).rejects.toThrow(PERMISSION_DENIED);
      await reader.query("begin");
      await reader.query("set transaction read write");
      await expect(reader.query("insert into sync.runs (command, host, pid) values ('bi', 'bi', 1)")).rejects.toThrow(
        PERMISSION_DENIED,
      );
      await reader.query("rollback");
    } finally {
      await reader.end();
    }
  });

  it("cannot create temporary tables", async () => {
    const reader = await connect(bi, biPassword);
    try {
      await reader.query("set default_transaction_read_only = off");
      await expect(reader.query("create temporary table scratch (x int)")).rejects.toThrow(
        /permission denied to create temporary tables/,
      );
    } finally {
      await reader.end();
    }
  });

  it("has a session left idle inside a transaction ended by the server", async () => {
    const reader = await connect(bi, biPassword);
    const ended = new Promise<Error | undefined>((resolve) => {
      let error: Error | undefined;
      reader.on("error", (err) => (error = err));
      reader.on("end", () => resolve(error));
    });
    await reader.query("begin");
    await reader.query("select count(*) from sync.streams");
    const error = await ended;
    expect(error?.message ?? "").toMatch(/idle-in-transaction timeout|terminat/);
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
        [bi],
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
        expect(failed[0]?.error).toContain(`(role ${bi}, application "eventlog-sync", pid ${pid})`);
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
