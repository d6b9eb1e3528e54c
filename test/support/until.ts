/**
 * The one way tests wait: poll a condition until it holds, and fail naming what was awaited when it does
 * not within a timeout. The timeout is a bound against a hang, never an assertion about speed: choose it
 * generous enough for a loaded two-core machine.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface UntilOptions {
  /** How long to wait before failing, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Pause between two checks, in ms. Default 20. */
  everyMs?: number;
  /** Treat a check that throws as "not yet" (a server still down, a port not yet open). Default false. */
  errorsMeanNotYet?: boolean;
}

/** What a check returns: `undefined` or `false` for "not yet", anything else is the value waited for. */
export type Check<T> = () => T | undefined | false | Promise<T | undefined | false>;

/**
 * Checks `check` until it returns a value other than `undefined` or `false`, and returns that value (`true`
 * for a plain condition). Throws `timed out after <ms> ms waiting for <what>` when the timeout passes first.
 */
export async function until<T>(what: string, check: Check<T>, options: UntilOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 20, errorsMeanNotYet = false } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = errorsMeanNotYet
      ? await Promise.resolve()
          .then(check)
          .catch(() => undefined)
      : await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
