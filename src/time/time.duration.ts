/**
 * Durations written as Go prints them (`138.351985ms`, `2.5s`, `1m3s`, `1h0m0s`) and as people write them
 * in a config (`60s`, `15m`, `1h`, `30d`), in milliseconds. Days are 24 hours.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const WHOLE = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/g;

/** Milliseconds of a duration string, or undefined when it is not one. `0` alone is 0. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  if (!WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) return undefined;
  return trimmed.startsWith("-") ? -total : total;
}
