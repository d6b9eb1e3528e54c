import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./tables.js";

// bigint (int8) columns come back as JS numbers: ids and counters stay far below 2^53. numeric (money)
// stays a string so no amount is rounded on the way.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface Warehouse {
  db: Kysely<Database>;
  pool: pg.Pool;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** Opens a pool on the warehouse database. `applicationName` shows in pg_stat_activity. */
export function openWarehouse(url: string, options: { maxConnections?: number; applicationName?: string } = {}): Warehouse {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? "eventlog-sync",
  });
  // An idle connection the server drops must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool, close: () => db.destroy() };
}
