/**
 * Retries a request while the retry policy calls its failure retryable: exponential backoff with jitter,
 * a bounded number of attempts, and at least the delay a server asks for with Retry-After.
 */
import pRetry, { AbortError } from "p-retry";
import { toError } from "../errors.js";
import type { RequestGate } from "./request.gate.js";
import { classifyFailure, failureCode, type RequestOutcome, requestOutcome, requestedDelayMs } from "./retry.policy.js";

/** What a caller's requests cost: every attempt, and how many of them were retries. */
export interface RequestTally {
  requests: number;
  retries: number;
  /** Told of every retry (the caller logs it with its source, account and stream). */
  onRetry?: (notice: RetryNotice) => void;
  /** Told of every attempt and retry, with how long each attempt took (the daemon's metrics). */
  observer?: RequestObserver | undefined;
}

/** Watches the requests of one account: how long each attempt took and how it ended, and each retry. */
export interface RequestObserver {
  /** One attempt ended after `seconds` (from sending it to reading its answer). */
  request(outcome: RequestOutcome, seconds: number): void;
  /** A failed attempt is tried again. */
  retry(): void;
  /** The API's points, as a response's Units header gave them (Yandex.Direct API v5). */
  units?(units: ApiUnits): void;
}

/** Points of a Yandex.Direct API v5 response (its `Units: spent/remaining/daily` header). */
export interface ApiUnits {
  spent: number;
  remaining: number;
  daily: number;
}

/**
 * Makes one attempt (`send`: the request and the reading of its answer), counting it into `tally` and
 * telling the tally's observer how long it took and how it ended.
 */
export async function countRequest<T>(tally: RequestTally, send: () => Promise<T>): Promise<T> {
  tally.requests++;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await send();
    tally.observer?.request("ok", seconds());
    return result;
  } catch (err) {
    tally.observer?.request(requestOutcome(err), seconds());
    throw err;
  }
}

/** One failed attempt that is tried again. */
export interface RetryNotice {
  /** The attempt that failed, 1-based. */
  attempt: number;
  error: Error;
  /** The API's error code, the HTTP status, or the error's class. */
  code: string;
  /** About how long until the next attempt, ms (the backoff before jitter, plus any Retry-After). */
  delayMs: number;
}

/** Counts a retry into `tally` and passes it on. */
export function countRetry(tally: RequestTally, notice: RetryNotice): void {
  tally.retries++;
  tally.observer?.retry();
  tally.onRetry?.(notice);
}

export interface RetryOptions {
  /** Retries after the first attempt. Default 6. */
  retries: number;
  /** First backoff, ms (doubled each retry, times a random factor in [1, 2)). Default 500. */
  minDelayMs: number;
  /** Longest backoff, ms. Default 30,000. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 6, minDelayMs: 500, maxDelayMs: 30_000 };

export interface RetryHooks {
  signal?: AbortSignal | undefined;
  /** Called before each retry. */
  onRetry?: (notice: RetryNotice) => void;
}

export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: RetryOptions,
  hooks: RetryHooks = {},
): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await attempt();
      } catch (err) {
        if (hooks.signal?.aborted || classifyFailure(err) !== "retryable") throw new AbortError(toError(err));
        throw toError(err);
      }
    },
    {
      retries: options.retries,
      minTimeout: options.minDelayMs,
      maxTimeout: options.maxDelayMs,
      factor: 2,
      randomize: true,
      signal: hooks.signal,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft === 0) return;
        // p-retry adds its own backoff after this; a server's Retry-After comes on top, capped.
        const asked = Math.min(requestedDelayMs(error) ?? 0, options.maxDelayMs);
        const backoff = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** (attemptNumber - 1));
        hooks.onRetry?.({ attempt: attemptNumber, error, code: failureCode(error), delayMs: backoff + asked });
        if (asked > 0) await sleep(asked, hooks.signal);
      },
    },
  ).catch((err: unknown) => {
    // p-retry rethrows an AbortError's original error; keep that contract explicit for callers.
    throw err instanceof AbortError ? err.originalError : err;
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * One request as every client makes it: each attempt passes the account's gate (leaving its queue when
 * `signal` aborts) and is counted into `tally`, and a failure is retried as the retry policy says.
 */
export function gatedRequest<T>(
  route: { gate: RequestGate; retry: RetryOptions },
  tally: RequestTally,
  signal: AbortSignal | undefined,
  send: () => Promise<T>,
): Promise<T> {
  return withRetries(() => route.gate.run(() => countRequest(tally, send), { signal }), route.retry, {
    signal,
    onRetry: (notice) => countRetry(tally, notice),
  });
}
