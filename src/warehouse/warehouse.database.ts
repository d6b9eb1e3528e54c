import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./warehouse.tables.js";

/**
 * How the warehouse's own connections read values. bigint (int8) columns come back as JS numbers: ids and
 * counters stay far below 2^53. numeric (money) stays a string so no amount is rounded on the way. Set on
 * the pool, not on pg's global parsers, so that importing this module changes nothing for other clients.
 */
function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  return types;
}

/**
 * The application_name of every connection of the job (the pool's; the request budget's adds a suffix in
 * parentheses). lock.holders.ts tells the job's own sessions from strangers by it.
 */
export const APPLICATION_NAME = "eventlog-sync";

export interface Warehouse {
  db: Kysely<Database>;
  pool: pg.Pool;
  /** Closes every connection. */
  close(): Promise<void>;
}

export interface WarehouseOptions {
  maxConnections?: number;
  /** Shows in pg_stat_activity. Default eventlog-sync (APPLICATION_NAME). */
  applicationName?: string;
  /** How long opening a connection may take, ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** statement_timeout of every statement on the pool, ms; 0: none. Default 300,000. */
  statementTimeoutMs?: number;
  /** lock_timeout, ms; 0: none. Default 60,000. */
  lockTimeoutMs?: number;
  /** TCP keepalive: idle time before the first probe, ms. Default 30,000. */
  keepAliveIdleMs?: number;
  /**
   * Told of every error a connection reports outside a query: an idle connection dropped, a backend
   * terminated between two statements (a held lock's connection), the server restarting. Default: ignored.
   */
  onConnectionError?: (err: Error) => void;
}

/**
 * Opens a pool on the warehouse database. A connection may die at any moment (a restart, a failover,
 * pg_terminate_backend): pg reports that as an `error` event on the connection, which would crash the
 * process without a listener, and pg-pool listens only while a connection is idle. So every connection gets
 * a listener of its own for its whole life; the statement that was running, if any, fails on its own.
 */
export function openWarehouse(url: string, options: WarehouseOptions = {}): Warehouse {
  const statementTimeout = options.statementTimeoutMs ?? 300_000;
  const lockTimeout = options.lockTimeoutMs ?? 60_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? APPLICATION_NAME,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
    ...(lockTimeout > 0 ? { lock_timeout: lockTimeout } : {}),
    keepAlive: true,
    keepAliveInitialDelayMillis: options.keepAliveIdleMs ?? 30_000,
    types: typeParsers(),
  });
  // Once the warehouse is being closed, a server that stops first (an embedded one, say) is no news.
  let closing = false;
  const report = options.onConnectionError ?? (() => undefined);
  pool.on("connect", (client) => client.on("error", (err) => void (closing || report(err))));
  // An idle connection's error reaches the pool (as well as the connection's own listener above).
  pool.on("error", () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: () => {
      closing = true;
      return db.destroy();
    },
  };
}
