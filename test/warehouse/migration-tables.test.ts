// The migrator's tables live in schema eventlog_sync; a warehouse that holds them in public (earlier versions) has
// them moved once, keeping its history, even when several processes start at the same moment.
import { sql } from "kysely";
import pg from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { migrations } from "../../migrations/index.js";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { migrateDown, migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from "../support/test-database.js";

const databases: TestDatabase[] = [];
const warehouses: Warehouse[] = [];
afterAll(async () => {
  for (const w of warehouses) await w.close();
  for (const d of databases) await d.drop();
});

async function database(template: "migrated" | "empty"): Promise<TestDatabase> {
  const d = template === "migrated" ? await createTestDatabase() : await createEmptyDatabase();
  databases.push(d);
  return d;
}

/** Schema of each table named eventlog_sync_migrations*, and how many migrations the table lists. */
async function layout(d: TestDatabase): Promise<{ tables: string[]; applied: number }> {
  const tables = await sql<{ name: string }>`
    select table_schema || '.' || table_name as name from information_schema.tables
     where table_name like 'eventlog_sync_migrations%' order by 1`.execute(d.warehouse.db);
  const names = tables.rows.map((r) => r.name);
  const table = names.find((n) => n.endsWith(".eventlog_sync_migrations"));
  const applied = table
    ? ((await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(table)}`.execute(d.warehouse.db)).rows[0]
        ?.n ?? 0)
    : 0;
  return { tables: names, applied };
}

/** Puts the tables where versions before this one kept them. */
async function asEarlierVersionsLeftIt(d: TestDatabase): Promise<void> {
  await d.warehouse.pool.query(`
    alter table eventlog_sync.eventlog_sync_migrations set schema public;
    alter table eventlog_sync.eventlog_sync_migrations_lock set schema public;
    drop schema eventlog_sync;`);
}

const MOVED = ["eventlog_sync.eventlog_sync_migrations", "eventlog_sync.eventlog_sync_migrations_lock"];
const ALL = Object.keys(migrations).length;

describe("the migration table", () => {
  it("is created in schema eventlog_sync, never in public, and stays there when every migration is reverted", async () => {
    const d = await database("empty");
    expect((await migrateToLatest(d.warehouse.db)).length).toBe(ALL);
    expect(await layout(d)).toEqual({ tables: MOVED, applied: ALL });
    await migrateDown(d.warehouse.db, Number.POSITIVE_INFINITY);
    expect(await layout(d)).toEqual({ tables: MOVED, applied: 0 });
    expect((await migrateToLatest(d.warehouse.db)).length).toBe(ALL);
  });

  it("is moved out of public with its history when a warehouse of an earlier version is migrated", async () => {
    const d = await database("migrated");
    await asEarlierVersionsLeftIt(d);
    expect(await layout(d)).toEqual({
      tables: ["public.eventlog_sync_migrations", "public.eventlog_sync_migrations_lock"],
      applied: ALL,
    });
    expect(await migrateToLatest(d.warehouse.db), "nothing pending: the history came along").toEqual([]);
    expect(await layout(d)).toEqual({ tables: MOVED, applied: ALL });
  });

  it("is moved once when four processes start together, all four waiting on the table while it is in use", async () => {
    const d = await database("migrated");
    await asEarlierVersionsLeftIt(d);
    // A session reading the table holds it: every mover queues behind it, so all four are waiting when it ends
    // and three of them find the table gone once the first has moved it.
    const reader = new pg.Client({ connectionString: d.url });
    await reader.connect();
    try {
      await reader.query("begin");
      await reader.query("lock table public.eventlog_sync_migrations in access share mode");
      const copies = Array.from({ length: 4 }, () => {
        const w = openWarehouse(d.url, { maxConnections: 2 });
        warehouses.push(w);
        return migrateToLatest(w.db).then(
          (results) => ({ ok: true as const, results }),
          (err: unknown) => ({ ok: false as const, err }),
        );
      });
      await waitForLockWaiters(d, 4);
      await reader.query("commit");
      const outcomes = await Promise.all(copies);
      for (const outcome of outcomes) expect(outcome).toEqual({ ok: true, results: [] });
    } finally {
      await reader.end();
    }
    expect(await layout(d)).toEqual({ tables: MOVED, applied: ALL });
  });
});

/** Waits until `n` sessions wait for a lock on public.eventlog_sync_migrations. */
async function waitForLockWaiters(d: TestDatabase, n: number): Promise<void> {
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_locks
       where relation = 'public.eventlog_sync_migrations'::regclass and not granted`.execute(d.warehouse.db);
    if ((rows[0]?.n ?? 0) >= n) return;
    await sleep(20);
  }
}
