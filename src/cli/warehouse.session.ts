/**
 * Opens the warehouse for one command: DATABASE_URL, or an embedded PostgreSQL started for the command and
 * stopped after it — on success, on errors, and after a shutdown signal (see process.shutdown.ts).
 */
import type { Logger } from "../log/pino.logger.js";
import { provisionDatabase, type ProvisionedDatabase } from "../postgres/database.provision.js";
import { DATABASE_DEFAULTS, type DatabaseSettings } from "../config/config.schema.js";
import { toError } from "../errors.js";
import { openWarehouse, type Warehouse } from "../warehouse/warehouse.database.js";
import { describeHolder } from "../warehouse/migrations.lock.js";
import type { MigrationResult } from "kysely";
import type { MigrationLockOptions } from "../warehouse/migrations.runner.js";
import { startOnWarehouse } from "./warehouse.start.js";

export interface WarehouseSessionOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  port?: number | undefined;
  /** Whether a missing databaseUrl may start an embedded PostgreSQL (see database.provision.ts). Default true. */
  allowEmbedded?: boolean | undefined;
  log: Logger;
  /** Apply pending migrations before the command. Default true. */
  migrate?: boolean;
  /**
   * Prove the warehouse answers (and migrate) before the command, trying again within the connect timeout.
   * Default true; false for a command that waits for the warehouse itself (the daemon).
   */
  startCheck?: boolean;
  /** Size of the connection pool. Default 10. */
  maxConnections?: number;
  /** Timeouts and keepalive of the connections (config `database`). Default: DATABASE_DEFAULTS. */
  database?: Omit<DatabaseSettings, "url">;
  /** Aborted on shutdown. */
  signal: AbortSignal;
}

export interface WarehouseSession {
  database: ProvisionedDatabase;
  warehouse: Warehouse;
  /** Aborted on shutdown (the first SIGINT or SIGTERM). */
  signal: AbortSignal;
  /** How this command waits for the migration lock (bounded by lock_timeout, logged, ended by the signal). */
  lock: MigrationLockOptions;
  /** The migrations applied as the command started (none when it does not migrate). */
  applied: readonly MigrationResult[];
}

/** The wait for the migration lock: at most `waitMs`, a warning naming the holder, ended by `signal`. */
export function migrationLockOptions(log: Logger, signal: AbortSignal, waitMs: number): MigrationLockOptions {
  return {
    waitMs,
    signal,
    onWait: (holder, waitedMs) =>
      log.warn(
        { holder: holder ?? null, waitedMs, waitMs },
        `waiting for the migration lock: ${describeHolder(holder)}`,
      ),
  };
}

export async function withWarehouse<T>(
  options: WarehouseSessionOptions,
  command: (session: WarehouseSession) => Promise<T>,
): Promise<T> {
  const { log } = options;
  let database: ProvisionedDatabase | undefined;
  try {
    database = await provisionDatabase({
      databaseUrl: options.databaseUrl,
      embeddedDataDir: options.dataDir,
      embeddedPort: options.port,
      allowEmbedded: options.allowEmbedded !== false,
      onLog: (line) => log.debug({ postgres: line }, "embedded postgres"),
    });
    if (database.kind === "embedded") log.info({ dataDir: database.dataDir }, "embedded PostgreSQL started");
    const settings = options.database ?? DATABASE_DEFAULTS;
    const warehouse = openWarehouse(database.url, {
      maxConnections: options.maxConnections ?? 10,
      connectTimeoutMs: settings.connectTimeout,
      statementTimeoutMs: settings.statementTimeout,
      lockTimeoutMs: settings.lockTimeout,
      keepAliveIdleMs: settings.keepAliveIdle,
      onConnectionError: (err) => log.warn({ err: toError(err) }, "warehouse connection lost"),
    });
    const lock = migrationLockOptions(
      log,
      options.signal,
      settings.lockTimeout > 0 ? settings.lockTimeout : Number.POSITIVE_INFINITY,
    );
    try {
      let applied: MigrationResult[] = [];
      if (options.startCheck !== false) {
        applied = await startOnWarehouse(warehouse, {
          url: database.url,
          migrate: options.migrate !== false,
          deadlineMs: settings.connectTimeout,
          log,
          signal: options.signal,
          lock,
        });
        if (applied.length > 0) log.info({ migrations: applied.map((m) => m.migrationName) }, "migrations applied");
      }
      return await command({ database, warehouse, signal: options.signal, lock, applied });
    } finally {
      await warehouse.close();
    }
  } finally {
    await database?.release();
  }
}
