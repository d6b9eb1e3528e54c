// The migration lock this product polls is the one kysely's own Postgres adapter takes: an older
// eventlog-sync (or any kysely migrator of this warehouse) and this one exclude each other, and the holder
// is found and named.
import { PostgresAdapter, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeHolder, MIGRATION_LOCK_ID, migrationLockHolder } from "../../src/warehouse/migrations.lock.js";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
let other: Warehouse;

beforeAll(async () => {
  database = await createTestDatabase();
  other = openWarehouse(database.url, { maxConnections: 1, applicationName: "older-binary" });
});

afterAll(async () => {
  await other?.close();
  await database?.drop();
});

describe("the migration lock", () => {
  it("is the lock kysely's PostgresAdapter takes, and its holder is named", async () => {
    // Kills: a lock id that differs from kysely's (two versions migrating at once), and a holder query
    // that misreads a bigint advisory key in pg_locks.
    await other.db.connection().execute(async (held) => {
      await new PostgresAdapter().acquireMigrationLock(held, {
        lockTable: "eventlog_sync_migrations_lock",
        lockRowId: "migration_lock",
      });
      try {
        const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(held)).rows[0]?.pid;
        const tried = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_lock(${sql.lit(MIGRATION_LOCK_ID)}) as locked`.execute(database.warehouse.db);
        expect(tried.rows[0]?.locked).toBe(false);
        const holder = await migrationLockHolder(database.warehouse.db);
        expect(holder).toMatchObject({ pid, applicationName: "older-binary" });
        expect(describeHolder(holder)).toMatch(
          new RegExp(`^held by pid ${pid} \\(role \\w+, application older-binary`),
        );
      } finally {
        await new PostgresAdapter().releaseMigrationLock(held, {
          lockTable: "eventlog_sync_migrations_lock",
          lockRowId: "migration_lock",
        });
      }
    });
    expect(await migrationLockHolder(database.warehouse.db)).toBeUndefined();
  });

  // Kills a holder query that reads pg_locks across databases: an advisory lock belongs to one database, so a
  // migration of another database on the same server neither waits for this one nor is its holder.
  it("names no holder for the same lock held in another database of the server", async () => {
    const elsewhere = await createTestDatabase();
    try {
      await elsewhere.warehouse.db.connection().execute(async (held) => {
        await sql`select pg_advisory_lock(${sql.lit(MIGRATION_LOCK_ID)})`.execute(held);
        try {
          expect(await migrationLockHolder(database.warehouse.db)).toBeUndefined();
        } finally {
          await sql`select pg_advisory_unlock(${sql.lit(MIGRATION_LOCK_ID)})`.execute(held);
        }
      });
    } finally {
      await elsewhere.drop();
    }
  });
});
