/**
 * The one place that decides what a failed request means:
 * - retryable: try again after a backoff (transient server trouble, limits on concurrency or rate,
 *   network errors, timeouts, bodies not in the API's format);
 * - quota: a daily limit or the points are spent — waiting in-process would take hours, so the stream
 *   stops with status `partial`, progress kept, and the next run continues;
 * - fatal: retrying cannot help (credentials, rights, parameters, a retired method, a body over the cap).
 *
 * A request that waited too long for a slot of its token's shared budget is retried while other eventlog-sync
 * processes hold the slots (they hand them over in turns); when a stranger holds one, waiting again would only
 * repeat the wait, so it is fatal and the stream fails naming the holder.
 */
import {
  ApiError,
  HttpError,
  MalformedResponseError,
  NetworkError,
  ResponseTooLargeError,
  RequestBudgetWaitError,
  TimeoutError,
} from "../errors.js";

export type FailureClass = "retryable" | "quota" | "fatal";

const API_CODES: Record<ApiError["source"], { retryable: ReadonlySet<number>; quota: ReadonlySet<number> }> = {
  // Live 4 and v5 share their codes: 52 auth server unavailable, 57/506 too many concurrent requests,
  // 500/503/504 (Live 4) and 1000 unavailable, 1001 service initialization, 1002 operation error, 1020
  // temporary server error (v5) server trouble; 56 daily call limit, 152 points. Everything else (53 token,
  // 54 rights, 58 registration incomplete, 245 currency, 509 retired method, 513, parameter errors) is fatal.
  yandex_direct: {
    retryable: new Set([52, 57, 500, 503, 504, 506, 1000, 1001, 1002, 1020]),
    quota: new Set([56, 152]),
  },
  // v1.1 mirrors HTTP: 402 tariff limit; 429 and 5xx transient; 400, 401, 403, 404 fatal.
  altcraft: { retryable: new Set([429, 500, 502, 503, 504]), quota: new Set([402]) },
};

export function classifyFailure(err: unknown): FailureClass {
  // The same request would bring the same body: reading it again costs the same memory and time for nothing.
  if (err instanceof ResponseTooLargeError) return "fatal";
  if (err instanceof ApiError) {
    const codes = API_CODES[err.source];
    if (codes.quota.has(err.code)) return "quota";
    if (codes.retryable.has(err.code) || (err.source === "altcraft" && err.code >= 500)) return "retryable";
    return "fatal";
  }
  if (err instanceof HttpError)
    return err.status === 429 || err.status >= 500 || err.status === 408 ? "retryable" : "fatal";
  if (err instanceof NetworkError || err instanceof TimeoutError || err instanceof MalformedResponseError)
    return "retryable";
  if (err instanceof RequestBudgetWaitError) return err.byStranger ? "fatal" : "retryable";
  return "fatal";
}

/** The delay a server asked for (Retry-After), if any. */
export function requestedDelayMs(err: unknown): number | undefined {
  if (err instanceof HttpError || err instanceof ApiError) return err.retryAfterMs;
  return undefined;
}

/** A short name for a failure, for logs: the API's code, the HTTP status, or the error's class. */
export function failureCode(err: unknown): string {
  if (err instanceof ApiError) return `${err.source} ${err.code}`;
  if (err instanceof HttpError) return `HTTP ${err.status}`;
  return err instanceof Error ? err.name : typeof err;
}

/**
 * How one request ended, for the request metrics: a small fixed set, so a label built from it stays small.
 * `quota` is an API error that the policy reads as a spent quota; `aborted` is a request stopped by a
 * signal (shutdown, a lost stream lock).
 */
export const REQUEST_OUTCOMES = [
  "ok",
  "quota",
  "api_error",
  "http_error",
  "malformed",
  "timeout",
  "network",
  "aborted",
  "error",
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** The outcome of a request that threw `err`. */
export function requestOutcome(err: unknown): Exclude<RequestOutcome, "ok"> {
  if (err instanceof ApiError) return classifyFailure(err) === "quota" ? "quota" : "api_error";
  if (err instanceof HttpError) return "http_error";
  if (err instanceof MalformedResponseError) return "malformed";
  if (err instanceof TimeoutError) return "timeout";
  if (err instanceof NetworkError) return "network";
  if (err instanceof Error && err.name === "AbortError") return "aborted";
  return "error";
}
