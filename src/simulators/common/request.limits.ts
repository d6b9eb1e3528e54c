/**
 * Per-token request limits as a real API enforces them: a cap on requests per second (sliding one-second
 * window) and a cap on requests in flight at once. Both are off when not set.
 */
export interface RequestLimitOptions {
  /** Requests per second allowed per token. Unset or 0: unlimited. */
  requestsPerSecond?: number;
  /** Requests in flight at once allowed per token. Unset or 0: unlimited. */
  concurrentRequests?: number;
}

export type Admission = "admitted" | "rate-limited" | "too-many-concurrent";

export interface RequestLimiter {
  /** Admits a request or says which limit it broke. An admitted request must be `release`d. */
  admit(token: string, now?: number): Admission;
  release(token: string): void;
}

export function createRequestLimiter(options: RequestLimitOptions): RequestLimiter {
  const inFlight = new Map<string, number>();
  const recent = new Map<string, number[]>();
  return {
    admit(token, now = Date.now()) {
      const concurrent = inFlight.get(token) ?? 0;
      if (options.concurrentRequests && concurrent >= options.concurrentRequests) return "too-many-concurrent";
      if (options.requestsPerSecond) {
        const times = (recent.get(token) ?? []).filter((t) => now - t < 1000);
        if (times.length >= options.requestsPerSecond) {
          recent.set(token, times);
          return "rate-limited";
        }
        times.push(now);
        recent.set(token, times);
      }
      inFlight.set(token, concurrent + 1);
      return "admitted";
    },
    release(token) {
      const concurrent = inFlight.get(token) ?? 0;
      inFlight.set(token, Math.max(0, concurrent - 1));
    },
  };
}
