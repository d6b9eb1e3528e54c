/**
 * Where the migrator keeps the list of applied migrations: schema `eventlog_sync`, which the product owns.
 *
 * Not `public`: since PostgreSQL 15 only the database owner may create there, and the job should run as a
 * role that owns nothing but its own schemas. Not `sync`: the first migration creates `sync` (and its `down`
 * drops it), so the migrator cannot create its tables there before that migration runs. Kysely creates
 * `eventlog_sync` when it is missing, which needs only CREATE on the database.
 *
 * Warehouses migrated by earlier versions hold the two tables in `public`: they are moved once, before the
 * migrator looks for them, by whichever process starts first.
 */
import { type Kysely, sql } from "kysely";

/** The product's own schema for the migrator's tables. */
export const MIGRATION_SCHEMA = "eventlog_sync";
export const MIGRATION_TABLE = "eventlog_sync_migrations";
export const MIGRATION_LOCK_TABLE = "eventlog_sync_migrations_lock";
/** Where earlier versions kept the two tables. */
const LEGACY_SCHEMA = "public";

interface Placement {
  /** The migration table is still in `public`. */
  legacy: boolean;
  /** The migration table is in `eventlog_sync`. */
  moved: boolean;
  /** The lock table is still in `public`. */
  legacyLock: boolean;
}

async function placement<DB>(db: Kysely<DB>): Promise<Placement> {
  const legacy = `${LEGACY_SCHEMA}.${MIGRATION_TABLE}`;
  const moved = `${MIGRATION_SCHEMA}.${MIGRATION_TABLE}`;
  const legacyLock = `${LEGACY_SCHEMA}.${MIGRATION_LOCK_TABLE}`;
  const result = await sql<Placement>`
    select to_regclass(${legacy}) is not null as legacy,
           to_regclass(${moved}) is not null as moved,
           to_regclass(${legacyLock}) is not null as "legacyLock"`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error("reading where the migration table is returned no row");
  return row;
}

/**
 * Moves the migration table and its lock table from `public` to `eventlog_sync`, once. Several processes
 * starting at once: each takes the table's ACCESS EXCLUSIVE lock (a table lock, which a role without
 * privileges on it cannot take, unlike an advisory lock), the first moves both tables, and the others find
 * them gone when it commits and go on. A warehouse that has the table in `eventlog_sync` already is left
 * as it is (a stray copy in `public`, made by an older version run after the move, is not touched).
 */
export async function moveMigrationTables<DB>(db: Kysely<DB>): Promise<void> {
  const before = await placement(db);
  if (!before.legacy || before.moved) return;
  const from = sql.id(LEGACY_SCHEMA, MIGRATION_TABLE);
  const lockFrom = sql.id(LEGACY_SCHEMA, MIGRATION_LOCK_TABLE);
  const to = sql.id(MIGRATION_SCHEMA);
  try {
    await db.transaction().execute(async (tx) => {
      await sql`lock table ${from} in access exclusive mode`.execute(tx);
      const now = await placement(tx);
      if (!now.legacy || now.moved) return;
      await sql`create schema if not exists ${to}`.execute(tx);
      await sql`alter table ${from} set schema ${to}`.execute(tx);
      if (now.legacyLock) await sql`alter table ${lockFrom} set schema ${to}`.execute(tx);
    });
  } catch (err) {
    // Another process moved them while this one waited for the lock: its name no longer resolves.
    const after = await placement(db);
    if (after.moved && !after.legacy) return;
    throw new Error(
      `moving the migration tables from schema ${LEGACY_SCHEMA} to ${MIGRATION_SCHEMA} failed (the role needs to own them and to have CREATE on the database)`,
      { cause: err },
    );
  }
}
