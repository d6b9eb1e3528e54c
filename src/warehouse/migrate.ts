import { type Kysely, type MigrationResult, Migrator, sql } from "kysely";
import { migrations } from "../../migrations/index.js";
import { MIGRATION_LOCK_TABLE, MIGRATION_SCHEMA, MIGRATION_TABLE, moveMigrationTables } from "./migration-tables.js";

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

/**
 * Applies every pending migration. Kysely takes a Postgres advisory lock for the whole run, so two processes
 * starting at once apply each migration exactly once; applying when nothing is pending changes nothing.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationResult[]> {
  await moveMigrationTables(db);
  // A migration may rewrite a large table: it runs on a connection of its own without the pool's
  // statement_timeout (the migration lock still waits at most lock_timeout).
  return db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      return settle(await migrator(connection).migrateToLatest(), "migrating the warehouse");
    } finally {
      await sql`reset statement_timeout`.execute(connection);
    }
  });
}

/** Reverts the last `steps` applied migrations (all of them with `Infinity`). */
export async function migrateDown<DB>(db: Kysely<DB>, steps = 1): Promise<MigrationResult[]> {
  await moveMigrationTables(db);
  const m = migrator(db);
  const done: MigrationResult[] = [];
  for (let i = 0; i < steps; i++) {
    const results = settle(await m.migrateDown(), "reverting a migration");
    if (results.length === 0) break;
    done.push(...results);
  }
  return done;
}
