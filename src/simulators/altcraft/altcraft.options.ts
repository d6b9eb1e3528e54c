/**
 * Options of the offline Altcraft API simulator.
 *
 * Terminology (the simulator's own words, consistent with docs/architecture.md, Glossary, where a run of a
 * campaign is a **campaign run**):
 * - **campaign**: an Altcraft mailing, identified by an integer id; what `campaigns/list` lists.
 * - **run**: one execution of a campaign, bracketed in its log by a `state: "start"` row ("Begin campaign")
 *   and a `state: "end"` row ("Campaign finished"), followed by a "Total time spent" row.
 * - **log row**: one entry of `campaigns/log_v2`: `{level, message, time, state, value}`.
 * - **clock**: the simulator's "now"; only log rows with `time ≤ clock` exist for clients.
 * - **switch**: an option answering one [OPEN] question of the contract; every switch can change at runtime.
 */
import type { FaultOptions } from "../common/transport.faults.js";

export const ALTCRAFT_METHODS = ["campaigns/list", "campaigns/get_status", "campaigns/log_v2"] as const;
export type AltcraftMethod = (typeof ALTCRAFT_METHODS)[number];

export const CAMPAIGN_TYPES = ["broadcast", "regular", "trigger", "splittest"] as const;
export type CampaignType = (typeof CAMPAIGN_TYPES)[number];

/** A token with restricted rights: requests outside them are answered with error 403. */
export interface AltcraftTokenGrant {
  token: string;
  /** Methods the token may call. Default: all. */
  methods?: readonly AltcraftMethod[];
  /** Campaign ids the token may read (get_status, log_v2). Default: all. */
  campaignIds?: readonly number[];
}

/** Switches and transport behaviour: settable at start and changeable at runtime with `setOptions`. */
export interface AltcraftRuntimeOptions {
  /** `from_time` filter is `time >= from_time` (true, default) or `time > from_time` (false). */
  fromTimeInclusive?: boolean;
  /** Without `from_time`, log_v2 returns the `"oldest"` (default) or the `"newest"` `limit` rows. */
  unfilteredPage?: "oldest" | "newest";
  /** Order of rows within a log_v2 page: `"ascending"` by time (default) or `"descending"`. */
  pageOrder?: "ascending" | "descending";
  /** log_v2 `total_count`: rows matching the `from_time` filter (`"filtered"`, default) or all rows (`"all"`). */
  totalCount?: "filtered" | "all";
  /**
   * Render `time` without a zone (`2024-04-02T17:57:01.504`, still UTC wall time). Default false (`…504Z`).
   * A `from_time` without a zone is read as UTC in either mode.
   */
  naiveTimestamps?: boolean;
  /** Largest `limit` for log_v2 and campaigns/list, in rows. 0 (default): no maximum. */
  maxLimit?: number;
  /** A `limit` above `maxLimit` is `"clamp"`ed silently (default) or `"reject"`ed with error 400. */
  overMaxLimit?: "clamp" | "reject";
  /**
   * Chance per log_v2 request (0–1) that a late row is inserted into that campaign's past after answering. Default 0.
   */
  lateRowRate?: number;
  /** How far in the past a late row lands, in ms (uniform in [0, this]). Default 600,000 (10 min). */
  lateRowMaxAgeMs?: number;
  /** Share of generated runs (0–1) that contain a burst of identical rows in one millisecond. Default 0. */
  burstRate?: number;
  /** Rows in a generated burst. Default 1,500 (more than one default page of 1,000). */
  burstSize?: number;
  /** HTTP status mirrors the envelope's `error` (true, default) or is always 200 for API errors (false). */
  httpStatusMirrorsError?: boolean;
  /** XML responses write string values in quotes, as the doc example does (`<level>"INFO"</level>`). Default false. */
  xmlQuotedStrings?: boolean;
  /** Calls per token after which every call answers error 402 "Tariff limit reached". 0 (default): no limit. */
  tariffLimit?: number;
  /** Requests per second per token (sliding 1 s window); over it: HTTP 429 + Retry-After. 0 (default): unlimited. */
  requestsPerSecond?: number;
  /** Requests in flight at once per token; over it: HTTP 429 + Retry-After. 0 (default): unlimited. */
  concurrentRequests?: number;
  /** Value of the Retry-After header on HTTP 429, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /**
   * Time from a request's arrival to its response, in ms: the response is built as the request arrives and sent once
   * this much has passed (lets tests hold requests in flight). Default 0.
   */
  latencyMs?: number;
  /** Transport faults injected into a share of API requests (not admin routes). Default: none. */
  faults?: FaultOptions;
}

/** Everything `startAltcraftSimulator` accepts. Volume options are fixed at start. */
export interface AltcraftSimulatorOptions extends AltcraftRuntimeOptions {
  /** Seed of all generated data and random behaviour. Default 1. */
  seed?: number;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** The simulator's clock in ms since the epoch. Default `Date.now`. */
  clock?: () => number;
  /** Accepted tokens (plain strings have all rights). Default `["altcraft-sim-token"]`. */
  tokens?: ReadonlyArray<string | AltcraftTokenGrant>;
  /** Campaigns that exist at start (ids start at 1, with small gaps). Default 5. */
  campaigns?: number;
  /** Further campaigns created after start, one every `campaignCreationIntervalMs`. Default 0. */
  campaignsCreatedLater?: number;
  /** Interval between campaigns created after start, in ms. Default 3,600,000 (1 h). */
  campaignCreationIntervalMs?: number;
  /** Length of the log history before start, in days (fractions allowed). Default 7. */
  historyDays?: number;
  /** Runs per campaign per day while a campaign is active. Default 4. */
  runsPerDay?: number;
  /** Mean log rows per run (±25%, at least 4: start, end, total time and one more). Default 20. */
  rowsPerRun?: number;
  /** Largest gap between consecutive rows of a run, in ms (5% of gaps are 0). Default 2,000. */
  rowGapMs?: number;
  /** Share of campaigns (0–1) that complete at some point (most in the history, some after start). Default 0.2. */
  completedShare?: number;
  /** Share of campaigns (0–1) that become inactive without completing. Default 0.1. */
  inactiveShare?: number;
}

export type ResolvedRuntimeOptions = Required<Omit<AltcraftRuntimeOptions, "faults">> & { faults: FaultOptions };
export type ResolvedOptions = Required<Omit<AltcraftSimulatorOptions, "faults" | "tokens">> & {
  faults: FaultOptions;
  tokens: AltcraftTokenGrant[];
};

export const DEFAULT_TOKEN = "altcraft-sim-token";

const RUNTIME_DEFAULTS: ResolvedRuntimeOptions = {
  fromTimeInclusive: true,
  unfilteredPage: "oldest",
  pageOrder: "ascending",
  totalCount: "filtered",
  naiveTimestamps: false,
  maxLimit: 0,
  overMaxLimit: "clamp",
  lateRowRate: 0,
  lateRowMaxAgeMs: 600_000,
  burstRate: 0,
  burstSize: 1_500,
  httpStatusMirrorsError: true,
  xmlQuotedStrings: false,
  tariffLimit: 0,
  requestsPerSecond: 0,
  concurrentRequests: 0,
  retryAfterSeconds: 1,
  latencyMs: 0,
  faults: {},
};

/** Every default in one place (the clock defaults to `Date.now`), e.g. for a CLI's `--help`. */
export const ALTCRAFT_SIMULATOR_DEFAULTS = {
  ...RUNTIME_DEFAULTS,
  seed: 1,
  port: 0,
  host: "127.0.0.1",
  tokens: [DEFAULT_TOKEN],
  campaigns: 5,
  campaignsCreatedLater: 0,
  campaignCreationIntervalMs: 3_600_000,
  historyDays: 7,
  runsPerDay: 4,
  rowsPerRun: 20,
  rowGapMs: 2_000,
  completedShare: 0.2,
  inactiveShare: 0.1,
} as const satisfies Omit<ResolvedOptions, "clock" | "tokens"> & { tokens: readonly string[] };

function show(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
}

function expectNumber(name: string, value: unknown, min: number, max: number, integer: boolean): number {
  const ok = typeof value === "number" && Number.isFinite(value) && value >= min && value <= max;
  if (!ok || (integer && !Number.isInteger(value))) {
    const what = integer ? "an integer" : "a number";
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new TypeError(`Expected \`${name}\` to be ${what} ${range}, got \`${show(value)}\``);
  }
  return value;
}

function expectOneOf<T extends string | boolean>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`Expected \`${name}\` to be one of ${allowed.map(show).join(", ")}, got \`${show(value)}\``);
  }
  return value as T;
}

const INT = Number.MAX_SAFE_INTEGER;
const BOOL = [true, false] as const;

/** Validates a partial set of runtime options; throws a TypeError naming the option and the value. */
export function validateRuntimeOptions(partial: AltcraftRuntimeOptions): AltcraftRuntimeOptions {
  const out: AltcraftRuntimeOptions = {};
  const p = partial;
  if (p.fromTimeInclusive !== undefined)
    out.fromTimeInclusive = expectOneOf("fromTimeInclusive", p.fromTimeInclusive, BOOL);
  if (p.unfilteredPage !== undefined)
    out.unfilteredPage = expectOneOf("unfilteredPage", p.unfilteredPage, ["oldest", "newest"] as const);
  if (p.pageOrder !== undefined)
    out.pageOrder = expectOneOf("pageOrder", p.pageOrder, ["ascending", "descending"] as const);
  if (p.totalCount !== undefined)
    out.totalCount = expectOneOf("totalCount", p.totalCount, ["filtered", "all"] as const);
  if (p.naiveTimestamps !== undefined) out.naiveTimestamps = expectOneOf("naiveTimestamps", p.naiveTimestamps, BOOL);
  if (p.maxLimit !== undefined) out.maxLimit = expectNumber("maxLimit", p.maxLimit, 0, INT, true);
  if (p.overMaxLimit !== undefined)
    out.overMaxLimit = expectOneOf("overMaxLimit", p.overMaxLimit, ["clamp", "reject"] as const);
  if (p.lateRowRate !== undefined) out.lateRowRate = expectNumber("lateRowRate", p.lateRowRate, 0, 1, false);
  if (p.lateRowMaxAgeMs !== undefined)
    out.lateRowMaxAgeMs = expectNumber("lateRowMaxAgeMs", p.lateRowMaxAgeMs, 0, INT, true);
  if (p.burstRate !== undefined) out.burstRate = expectNumber("burstRate", p.burstRate, 0, 1, false);
  if (p.burstSize !== undefined) out.burstSize = expectNumber("burstSize", p.burstSize, 1, INT, true);
  if (p.httpStatusMirrorsError !== undefined)
    out.httpStatusMirrorsError = expectOneOf("httpStatusMirrorsError", p.httpStatusMirrorsError, BOOL);
  if (p.xmlQuotedStrings !== undefined)
    out.xmlQuotedStrings = expectOneOf("xmlQuotedStrings", p.xmlQuotedStrings, BOOL);
  if (p.tariffLimit !== undefined) out.tariffLimit = expectNumber("tariffLimit", p.tariffLimit, 0, INT, true);
  if (p.requestsPerSecond !== undefined)
    out.requestsPerSecond = expectNumber("requestsPerSecond", p.requestsPerSecond, 0, INT, true);
  if (p.concurrentRequests !== undefined)
    out.concurrentRequests = expectNumber("concurrentRequests", p.concurrentRequests, 0, INT, true);
  if (p.retryAfterSeconds !== undefined)
    out.retryAfterSeconds = expectNumber("retryAfterSeconds", p.retryAfterSeconds, 0, INT, true);
  if (p.latencyMs !== undefined) out.latencyMs = expectNumber("latencyMs", p.latencyMs, 0, INT, true);
  if (p.faults !== undefined) {
    const f = p.faults;
    for (const key of ["serverErrorRate", "hangRate", "truncateRate", "garbageRate", "htmlRate"] as const) {
      if (f[key] !== undefined) expectNumber(`faults.${key}`, f[key], 0, 1, false);
    }
    if (f.hangMs !== undefined) expectNumber("faults.hangMs", f.hangMs, 0, INT, true);
    out.faults = { ...f };
  }
  return out;
}

/** Applies defaults and validates every option; throws a TypeError naming the first wrong option. */
export function resolveOptions(options: AltcraftSimulatorOptions = {}): ResolvedOptions {
  const o = options;
  const tokens = (o.tokens ?? ALTCRAFT_SIMULATOR_DEFAULTS.tokens).map((t) =>
    typeof t === "string" ? { token: t } : { ...t },
  );
  for (const grant of tokens) {
    if (typeof grant.token !== "string" || grant.token === "") {
      throw new TypeError(`Expected \`tokens\` to hold non-empty strings, got \`${show(grant.token)}\``);
    }
  }
  if (o.clock !== undefined && typeof o.clock !== "function") {
    throw new TypeError(`Expected \`clock\` to be a function returning ms, got \`${show(o.clock)}\``);
  }
  const d = ALTCRAFT_SIMULATOR_DEFAULTS;
  const num = (name: keyof typeof d & keyof AltcraftSimulatorOptions, min: number, max: number, integer: boolean) =>
    o[name] === undefined ? (d[name] as number) : expectNumber(name, o[name], min, max, integer);
  const resolved: ResolvedOptions = {
    ...RUNTIME_DEFAULTS,
    ...validateRuntimeOptions(o),
    seed: num("seed", 0, 0xffffffff, true),
    port: num("port", 0, 65_535, true),
    host: o.host ?? d.host,
    clock: o.clock ?? Date.now,
    tokens,
    campaigns: num("campaigns", 0, 1_000_000, true),
    campaignsCreatedLater: num("campaignsCreatedLater", 0, 1_000_000, true),
    campaignCreationIntervalMs: num("campaignCreationIntervalMs", 1, INT, true),
    historyDays: num("historyDays", 0, 36_500, false),
    runsPerDay: num("runsPerDay", 0.001, 86_400, false),
    rowsPerRun: num("rowsPerRun", 4, 10_000_000, true),
    rowGapMs: num("rowGapMs", 0, INT, true),
    completedShare: num("completedShare", 0, 1, false),
    inactiveShare: num("inactiveShare", 0, 1, false),
  };
  if (resolved.completedShare + resolved.inactiveShare > 1) {
    throw new TypeError(
      `Expected \`completedShare\` + \`inactiveShare\` to be ≤ 1, got \`${resolved.completedShare + resolved.inactiveShare}\``,
    );
  }
  return resolved;
}

/** The runtime part of resolved options (a copy). */
export function runtimeOptions(options: ResolvedOptions): ResolvedRuntimeOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(RUNTIME_DEFAULTS)) out[key] = options[key as keyof ResolvedRuntimeOptions];
  return { ...(out as ResolvedRuntimeOptions), faults: { ...options.faults } };
}
