/** Counts requests received per token and method: ground truth for tests and benchmarks. */
export interface RequestCounters {
  count(token: string, method: string): void;
  /** `{ [token]: { [method]: n } }` — a copy. */
  snapshot(): Record<string, Record<string, number>>;
  reset(): void;
}

export function createRequestCounters(): RequestCounters {
  let counts = new Map<string, Map<string, number>>();
  return {
    count(token, method) {
      const perMethod = counts.get(token) ?? new Map<string, number>();
      perMethod.set(method, (perMethod.get(method) ?? 0) + 1);
      counts.set(token, perMethod);
    },
    snapshot() {
      const out: Record<string, Record<string, number>> = {};
      for (const [token, perMethod] of counts) out[token] = Object.fromEntries(perMethod);
      return out;
    },
    reset() {
      counts = new Map();
    },
  };
}
