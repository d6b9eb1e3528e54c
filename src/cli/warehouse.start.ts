/**
 * The first second of a command on the warehouse: the first connection and the migration check. A
 * connection cut right then (a proxy or a pooler restarting, a failover, a server still starting) is tried
 * again with backoff for as long as the configured connect timeout allows; past it the command fails with
 * one sentence that names the warehouse (never its password) and the cause.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { MigrationResult } from "kysely";
import type { Logger } from "../log/pino.logger.js";
import { toError } from "../errors.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { isLostConnection } from "../warehouse/connection.loss.js";
import { type MigrationLockOptions, migrateToLatest } from "../warehouse/migrations.runner.js";
import { pingWarehouse } from "../warehouse/warehouse.ping.js";
import { describeWarehouse } from "../warehouse/warehouse.address.js";
import { headroomShortfall, readConnectionHeadroom } from "../warehouse/connection.headroom.js";

/** True when `err` (or what caused it) says the warehouse could not be reached, not that a statement was wrong. */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (isLostConnection(e)) return true;
    const message = e instanceof Error ? e.message : "";
    if (/timeout exceeded when trying to connect|connection timeout|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT/i.test(message))
      return true;
  }
  return false;
}

/** The deepest message of `err`: what the server or the socket said. */
function rootMessage(err: unknown): string {
  let e = toError(err);
  while (e.cause) e = toError(e.cause);
  return e.message;
}

/** The warehouse could not be reached within the connect timeout. */
export class WarehouseUnreachableError extends Error {
  override readonly name = "WarehouseUnreachableError";
}

export interface StartOptions {
  /** The connection string, only to name the warehouse in messages. */
  url: string;
  /** Apply pending migrations (otherwise only prove the warehouse answers). */
  migrate: boolean;
  /** How long the start may keep trying, ms: the config's `database.connectTimeout`. */
  deadlineMs: number;
  log: Logger;
  signal: AbortSignal;
  lock?: MigrationLockOptions;
}

/** Backoff between two tries of the start, ms. */
const DELAYS_MS = [100, 250, 500, 1_000, 2_000];

/**
 * Connects and migrates (or pings), trying again while the failure is the warehouse not being reachable and
 * the deadline allows. Resolves to the migrations applied.
 */
export async function startOnWarehouse(warehouse: Warehouse, options: StartOptions): Promise<MigrationResult[]> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted();
    let applied: MigrationResult[] = [];
    try {
      if (options.migrate) applied = await migrateToLatest(warehouse.db, { ...options.lock, signal: options.signal });
      else await pingWarehouse(warehouse);
    } catch (err) {
      if (options.signal.aborted || !isUnreachable(err)) throw err;
      const delay = DELAYS_MS[Math.min(attempt - 1, DELAYS_MS.length - 1)] ?? 2_000;
      const elapsed = performance.now() - started;
      if (elapsed + delay >= options.deadlineMs)
        throw new WarehouseUnreachableError(
          `the warehouse (${describeWarehouse(options.url)}) could not be reached within ${Math.round(options.deadlineMs / 1000)} s (${attempt} attempt${attempt === 1 ? "" : "s"}): ${rootMessage(err)}`,
          { cause: err },
        );
      options.log.warn(
        { attempt, retryInMs: delay, warehouse: describeWarehouse(options.url), err: toError(err) },
        "the warehouse did not answer the start: trying again",
      );
      await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
      continue;
    }
    await sayConnectionHeadroom(warehouse, options.log);
    return applied;
  }
}

/**
 * A warning when the pool could open more connections than the warehouse would take now (connection.headroom.ts).
 * Only advice: a warehouse that does not say (an old server, a pooler in front) is not a failed start.
 */
async function sayConnectionHeadroom(warehouse: Warehouse, log: Logger): Promise<void> {
  try {
    const { pool } = warehouse;
    const short = headroomShortfall(await readConnectionHeadroom(pool), pool.options.max, pool.totalCount);
    if (!short) return;
    log.warn(
      short,
      `the warehouse may refuse connections this process opens as its streams start: up to ${short.more} more, and it takes ${short.left} more now (${short.limit}); lower sync.parallelStreams or the copies, or raise max_connections`,
    );
  } catch (err) {
    log.debug({ err: toError(err) }, "the warehouse's connection limits could not be read");
  }
}
