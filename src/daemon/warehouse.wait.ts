/**
 * A daemon started while the warehouse is down does not exit: it serves /healthz (503 `unreachable`) and
 * /metrics meanwhile, and tries the start again with a growing pause until the warehouse answers or the
 * shutdown signal comes. A start that fails for any other reason (a newer warehouse, a failed migration)
 * still ends the daemon.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../log/pino.logger.js";
import { toError } from "../errors.js";

export interface WaitOptions {
  /** One try of the start (connect, migrate). */
  start: () => Promise<void>;
  /** Whether a failed try means the warehouse could not be reached (then it is tried again). */
  unreachable: (err: unknown) => boolean;
  signal: AbortSignal;
  log: Logger;
  /** Pauses between tries, ms, the last repeated. Default 1 s, 2 s, 5 s, 10 s, 30 s. */
  delaysMs?: readonly number[];
}

/** Resolves true once the start succeeded, false when the signal came first. */
export async function waitForWarehouse(options: WaitOptions): Promise<boolean> {
  const delays = options.delaysMs ?? [1_000, 2_000, 5_000, 10_000, 30_000];
  for (let attempt = 0; !options.signal.aborted; attempt++) {
    try {
      await options.start();
      if (attempt > 0) options.log.info({ attempts: attempt + 1 }, "the warehouse answers: starting the schedule");
      return true;
    } catch (err) {
      if (options.signal.aborted) return false;
      if (!options.unreachable(err)) throw err;
      const delay = delays[Math.min(attempt, delays.length - 1)] ?? 30_000;
      options.log.warn(
        { err: toError(err), retryInMs: delay },
        "the warehouse is not reachable: serving /healthz as unreachable and trying again",
      );
      await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
  return false;
}
