import { type Kysely, type MigrationResult, Migrator, sql } from "kysely";
import { migrations } from "../../migrations/index.js";
import { type MigrationLockWait, migrationDatabase } from "./migrations.lock.js";
import { MIGRATION_LOCK_TABLE, MIGRATION_SCHEMA, MIGRATION_TABLE, moveMigrationTables } from "./migrations.tables.js";

function migrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: MIGRATION_SCHEMA,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

function settle(results: { error?: unknown; results?: MigrationResult[] }, what: string): MigrationResult[] {
  if (results.error) {
    const failed = results.results?.find((r) => r.status === "Error");
    const name = failed ? ` (${failed.migrationName})` : "";
    throw new Error(`${what} failed${name}`, { cause: results.error });
  }
  return results.results ?? [];
}

/** How a command waits for the migration lock. Default: 60 s, no signal, no report. */
export type MigrationLockOptions = Partial<MigrationLockWait>;

const DEFAULT_LOCK_WAIT_MS = 60_000;

/**
 * Runs `work` on one connection of the pool, without the pool's statement_timeout (a migration may rewrite a
 * large table), with a migrator database that waits for the migration lock as `lock` says.
 */
async function onMigrationConnection<DB, T>(
  db: Kysely<DB>,
  lock: MigrationLockOptions,
  work: (m: ReturnType<typeof migrationDatabase>) => Promise<T>,
): Promise<T> {
  await moveMigrationTables(db);
  return db.getExecutor().provideConnection(async (connection) => {
    const m = migrationDatabase(connection, { ...lock, waitMs: lock.waitMs ?? DEFAULT_LOCK_WAIT_MS });
    await sql`set statement_timeout = 0`.execute(m.db);
    try {
      return await work(m);
    } finally {
      await sql`reset statement_timeout`.execute(m.db);
    }
  });
}

/** Names of the last migration this binary knows. */
export const LATEST_KNOWN_MIGRATION = Object.keys(migrations).sort().at(-1) ?? "(none)";

/** A warehouse migrated by a newer eventlog-sync: this binary does not know all of its schema. */
export class NewerWarehouseError extends Error {
  override readonly name = "NewerWarehouseError";
  readonly unknown: readonly string[];
  constructor(unknown: readonly string[]) {
    const newest = [...unknown].sort().at(-1) ?? "";
    super(
      `the warehouse was migrated by a newer eventlog-sync (migration ${newest}${unknown.length > 1 ? ` and ${unknown.length - 1} more this binary does not know` : ""}); this binary knows up to ${LATEST_KNOWN_MIGRATION}: upgrade eventlog-sync`,
    );
    this.unknown = unknown;
  }
}

/**
 * Names of the migrations the warehouse has applied. The migration table is looked up by name in whichever
 * schema holds it (a warehouse of an earlier version keeps it in public until its next migrate). Reads only.
 */
async function appliedMigrations<DB>(db: Kysely<DB>): Promise<Set<string>> {
  const tables = await sql<{ schema: string }>`
    select n.nspname as schema from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relname = ${MIGRATION_TABLE} and c.relkind in ('r', 'p')`.execute(db);
  const applied = new Set<string>();
  for (const { schema } of tables.rows) {
    const names = await sql<{ name: string }>`select name from ${sql.id(schema, MIGRATION_TABLE)}`.execute(db);
    for (const { name } of names.rows) applied.add(name);
  }
  return applied;
}

/** Migrations the warehouse has applied that this binary does not know (a newer binary applied them). */
export async function unknownMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  return [...(await appliedMigrations(db))].filter((name) => !(name in migrations)).sort();
}

/** Throws NewerWarehouseError when the warehouse holds migrations this binary does not know. */
export async function refuseNewerWarehouse<DB>(db: Kysely<DB>): Promise<void> {
  const unknown = await unknownMigrations(db);
  if (unknown.length > 0) throw new NewerWarehouseError(unknown);
}

/** The migrations this binary knows that the warehouse has not applied, in order. Reads only. */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const applied = await appliedMigrations(db);
  return Object.keys(migrations)
    .sort()
    .filter((name) => !applied.has(name));
}

/**
 * Applies every pending migration. A Postgres advisory lock is held for the whole run, so two processes
 * starting at once apply each migration exactly once; applying when nothing is pending changes nothing.
 * The wait for the lock is bounded, reported and ended by the signal (see migrations.lock.ts).
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, lock: MigrationLockOptions = {}): Promise<MigrationResult[]> {
  return onMigrationConnection(db, lock, async ({ db: m }) => {
    await refuseNewerWarehouse(m);
    return settle(await migrator(m).migrateToLatest(), "migrating the warehouse");
  });
}

/** A table a down migration would drop, with the rows it holds. */
export interface DroppedTable {
  table: string;
  rows: number;
}

export interface DownResult {
  reverted: MigrationResult[];
  /** Tables the reverted migrations dropped (with the rows they held). */
  dropped: DroppedTable[];
  /** Streams whose cursor and paging state were cleared because their event table was dropped, by source. */
  resetStreams: Record<string, number>;
}

/** A down migration would drop tables that hold rows, and `force` was not given. */
export class DataLossRefusedError extends Error {
  override readonly name = "DataLossRefusedError";
  readonly tables: readonly DroppedTable[];
  constructor(steps: number, tables: readonly DroppedTable[]) {
    const list = tables.map((t) => `${t.table} (${t.rows.toLocaleString("en")} rows)`).join(", ");
    super(
      `nothing reverted: reverting ${steps} migration${steps === 1 ? "" : "s"} would drop tables holding rows: ${list}; add --force to drop them`,
    );
    this.tables = tables;
  }
}

/** The event table of each source: a stream's cursor says what of it is loaded. */
const EVENT_TABLES: Record<string, string> = {
  "altcraft.campaign_log": "altcraft",
  "yandex_direct.events": "yandex_direct",
};

/** Tables whose rows only migrations write (reference data): their up migration fills them again. */
const SEEDED_TABLES = new Set(["yandex_direct.event_types", "sync_private.lock_secret"]);

async function userTables<DB>(db: Kysely<DB>): Promise<Map<number, string>> {
  const { rows } = await sql<{ oid: number; name: string }>`
    select c.oid::int8 as oid, format('%s.%s', n.nspname, c.relname) as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname not like 'pg\\_%'`.execute(db);
  return new Map(rows.map((r) => [Number(r.oid), r.name]));
}

async function revert(m: Kysely<unknown>, steps: number): Promise<MigrationResult[]> {
  const done: MigrationResult[] = [];
  for (let i = 0; i < steps; i++) {
    const results = settle(await migrator(m).migrateDown(), "reverting a migration");
    if (results.length === 0) break;
    done.push(...results);
  }
  return done;
}

/**
 * Reverts the last `steps` applied migrations (all of them with `Infinity`). The reversal is tried first
 * and rolled back to see which tables it drops: when they hold rows, nothing is reverted without `force`.
 * With it, the streams whose event table went have their cursor and paging state cleared, so the next sync
 * reads them again from the configured start time instead of only what the kept cursor allows.
 */
export async function revertMigrations<DB>(
  db: Kysely<DB>,
  steps: number,
  options: MigrationLockOptions & { force?: boolean } = {},
): Promise<DownResult> {
  return onMigrationConnection(db, options, async ({ db: m, setNested }) => {
    await refuseNewerWarehouse(m);
    await sql`begin`.execute(m);
    setNested(true);
    try {
      const before = await userTables(m);
      await sql`savepoint eventlog_sync_down_trial`.execute(m);
      await revert(m, steps);
      const after = await userTables(m);
      await sql`rollback to savepoint eventlog_sync_down_trial`.execute(m);
      const dropped: DroppedTable[] = [];
      for (const [oid, table] of before) {
        if (after.has(oid)) continue;
        const [schema = "", name = ""] = table.split(".");
        const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from ${sql.id(schema, name)}`.execute(m);
        dropped.push({ table, rows: Number(rows[0]?.n ?? 0) });
      }
      dropped.sort((a, b) => a.table.localeCompare(b.table));
      const holding = dropped.filter((t) => t.rows > 0 && !SEEDED_TABLES.has(t.table));
      if (holding.length > 0 && options.force !== true) throw new DataLossRefusedError(steps, holding);
      const reverted = await revert(m, steps);
      const resetStreams: Record<string, number> = {};
      const streamsKept = (await sql<{ t: string | null }>`select to_regclass('sync.streams')::text as t`.execute(m))
        .rows[0]?.t;
      for (const { table } of dropped) {
        const source = EVENT_TABLES[table];
        if (!source || !streamsKept) continue;
        const result = await sql`update sync.streams set cursor = null, state = '{}'::jsonb, updated_at = now()
          where source = ${source}`.execute(m);
        resetStreams[source] = Number(result.numAffectedRows ?? 0);
      }
      await sql`commit`.execute(m);
      return { reverted, dropped, resetStreams };
    } catch (err) {
      await sql`rollback`.execute(m);
      throw err;
    } finally {
      setNested(false);
    }
  });
}

/** Reverts the last `steps` applied migrations (all of them with `Infinity`), dropping what they drop. */
export async function migrateDown<DB>(db: Kysely<DB>, steps = 1): Promise<MigrationResult[]> {
  return (await revertMigrations(db, steps, { force: true })).reverted;
}
