/**
 * The configuration file (YAML or JSON) after `${VAR}` references are resolved. Every field is documented
 * with its unit and default; durations are written `60s`, `15m`, `1h`, `30d`; times are ISO 8601 with a zone
 * or a duration before now (`30d` = thirty days ago).
 */
import { Cron } from "croner";
import { z } from "zod";
import { parseDurationMs } from "../time/duration.js";
import { hasFixedOffset, isValidZone, parseTimestamp } from "../time/timestamp.js";
import { CURRENCIES, EVENT_TYPES, LOCALES } from "../vocabulary.js";

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().refine((v): v is T[number] => (values as readonly string[]).includes(v), {
    error: (issue) => `expected one of ${values.join(", ")}, got ${JSON.stringify(issue.input)}`,
  }) as unknown as z.ZodType<T[number]>;

/** A duration in ms, written as `90s`, `15m`, `1h`, `2d` or a number of seconds. */
const duration = z
  .union([
    z
      .number()
      .nonnegative()
      .transform((s) => s * 1000),
    z.string(),
  ])
  .transform((v, ctx) => {
    if (typeof v === "number") return v;
    const ms = parseDurationMs(v);
    if (ms === undefined || ms < 0) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration such as 60s, 15m, 1h or 30d, got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A start time: ISO 8601 with a zone, or a duration meaning that long before the first run. */
const startTime = z.string().transform((v, ctx) => {
  const ago = parseDurationMs(v);
  if (ago !== undefined) return { agoMs: ago } as const;
  const at = /[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? parseTimestamp(v) : undefined;
  if (!at) {
    ctx.addIssue({
      code: "custom",
      message: `expected an ISO 8601 time with a zone (2026-01-01T00:00:00Z) or a duration (30d), got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return { at: at as Date } as const;
});

const zone = z
  .string()
  .refine(isValidZone, {
    error: (issue) =>
      `expected UTC, an offset such as +03:00, or an IANA zone such as Europe/Moscow, got ${JSON.stringify(issue.input)}`,
  })
  // In a zone with daylight saving one wall-clock hour happens twice a year, and a time without a zone in it
  // names two instants: the stream could neither order nor tell apart the events of that hour.
  .refine(hasFixedOffset, {
    error: (issue) =>
      `expected a zone whose offset never changes (UTC, an offset such as +01:00, or a zone without daylight saving such as Europe/Moscow): ` +
      `${JSON.stringify(issue.input)} changes its offset, so a time without a zone is ambiguous in its repeated hour`,
  });

const secret = z.string().min(1, "must not be empty");
const positiveInt = z.number().int().positive();
const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected letters, digits, _ . or -");

/** Limits of the request gate of one account. */
const requests = {
  /** Requests in flight at once per token. Default 3 (Yandex.Direct allows 5). */
  concurrency: positiveInt
    .max(5, {
      error: (issue) =>
        `expected at most 5 (the APIs allow 5 simultaneous requests per user), got ${String(issue.input)}`,
    })
    .default(3),
  /** Requests started per second per token; 0 = no cap. Default 0. */
  requestsPerSecond: z.number().nonnegative().default(0),
  /** Whole-request timeout. Default 60s. */
  timeout: duration.default(60_000),
  /** Retries of a transient failure. Default 6. */
  retries: z.number().int().nonnegative().max(20).default(6),
  /** First retry backoff (doubles, with jitter). Default 500ms. */
  retryMinDelay: duration.default(500),
  /** Longest retry backoff. Default 30s. */
  retryMaxDelay: duration.default(30_000),
  /**
   * How a read learns it has everything. `strict`: only an answer from the server ends a read — a follow-up
   * request that brings nothing new (one request more per read). `economy`: a response smaller than the most
   * records the server delivered in one response (its capacity, within `capacityMemory`) also ends a read;
   * such reads are recorded as unverified and audited by follow-ups, and the first contradiction turns the
   * account strict and re-reads what was settled on trust. Default strict.
   */
  completeness: oneOf(["strict", "economy"] as const).default("strict"),
  /** In `economy`: the share (0–1) of reads settled by the capacity that are audited by a follow-up anyway, besides the first of each run. Default 0.1. */
  auditShare: z.number().min(0).max(1).default(0.1),
  /**
   * In `economy`: how long the capacity is relied on before it is proven again with one request. Default 1h.
   */
  capacityMemory: duration.default(3_600_000),
};

export const yandexDirectAccountSchema = z
  .object({
    /** Account name, used in the warehouse (`account` columns) and in logs. */
    name,
    /** OAuth token: `${ENV_VAR}` only, never written in the file. */
    token: secret,
    /** `production`, `sandbox`, or the URL of a Live 4 JSON endpoint (e.g. the simulator). Default production. */
    endpoint: z.string().default("production"),
    /**
     * Currency of money values: a code (RUB, USD, …) for every login, or `client`: each discovered login in its
     * own client's currency, as the agency's listing gives it (only with `logins: all`).
     */
    currency: z.union([z.literal("client"), oneOf(CURRENCIES)]),
    /**
     * Agency client logins: one stream each. `all`: every client the agency's listing (AgencyClients.get)
     * returns, found again on every run (see `discovery`). Without them, one stream reads the token owner's own
     * log.
     */
    logins: z.union([z.literal("all"), z.array(z.string().min(1))]).optional(),
    /** Which discovered clients become streams (only with `logins: all`). */
    discovery: z
      .object({
        /** Only logins matching one of these (a login, or a glob with `*` and `?`; case-insensitive). Default: all. */
        include: z.array(z.string().min(1)).optional(),
        /** Never logins matching one of these (a login or a glob). */
        exclude: z.array(z.string().min(1)).optional(),
        /** Whether archived clients are synced too; otherwise they are retired. Default false. */
        archived: z.boolean().default(false),
        /** `Page.Limit` of one listing request, clients. Default 10000 (the API's maximum). */
        pageLimit: positiveInt.max(10_000).default(10_000),
        /**
         * Copies that start a round together list the agency's clients once: one lists while the others wait for
         * it, and a run reuses a complete listing of the account that ended after the run began, or at most this
         * long before. Default 0s (only a listing taken while the run was going: by a copy of the same round);
         * raise it when copies start up to that much apart. A failed listing is never reused.
         */
        reuseWithin: duration.default(0),
      })
      .strict()
      .optional(),
    /**
     * The token owner's Yandex login, stored in the `login` column of the owner's events (only without
     * `logins`). Without it they are stored under `(owner)`.
     */
    ownerLogin: z.string().min(1).optional(),
    /** GetEventsLog Filter. */
    filter: z
      .object({
        campaignIds: z.array(positiveInt).optional(),
        bannerIds: z.array(positiveInt).optional(),
        phraseIds: z.array(positiveInt).optional(),
        accountIds: z.array(positiveInt).optional(),
        eventTypes: z.array(oneOf(EVENT_TYPES)).optional(),
      })
      .strict()
      .optional(),
    /** Ask for TextDescription. Default true. */
    withTextDescription: z.boolean().default(true),
    /** Language of EventName: en, ru, uk. Default en. */
    locale: oneOf(LOCALES).default("en"),
    /** Where the first run starts. Default 30d (thirty days before it). */
    startTime: startTime.default({ agoMs: 30 * 86_400_000 }),
    /** How far before the cursor each run re-reads, for events registered late. Default 1h. */
    lookback: duration.default(3_600_000),
    /** How far behind now windows end, so that a second is complete when read. Default 60s. */
    settleLag: duration.default(60_000),
    /** Zone of timestamps the API sends without one. Default UTC. */
    timestampZone: zone.default("UTC"),
    /** `Limit` of one request, events. Default 1000. */
    pageLimit: positiveInt.max(100_000).default(1000),
    /** Largest window of one request. Default 1d. */
    maxWindow: duration.default(86_400_000),
    ...requests,
  })
  .strict();

export const altcraftAccountSchema = z
  .object({
    /** Account name, used in the warehouse (`account` columns) and in logs. */
    name,
    /** API token: `${ENV_VAR}` only, never written in the file. */
    token: secret,
    /**
     * Base URL of the Altcraft platform (API root is `<url>/api/v1.1/`). Default https://ru.altkraft.com (Altcraft
     * Cloud).
     */
    url: z.url({ protocol: /^https?$/ }).default("https://ru.altkraft.com"),
    /**
     * Where the token travels: `body` (the `token` field) or `header` (Authorization: Bearer). Never the URL. Default
     * body.
     */
    tokenIn: oneOf(["body", "header"] as const).default("body"),
    /** Wire format: json or xml. Default json. */
    format: oneOf(["json", "xml"] as const).default("json"),
    /** Which campaigns become streams. Default: all. */
    campaigns: z
      .object({
        /** Only these campaign ids. */
        ids: z.array(positiveInt).optional(),
        /** Only this campaign type (broadcast, regular, trigger, …). */
        type: z.string().min(1).optional(),
        /** Only active (true) or inactive (false) campaigns. */
        isActive: z.boolean().optional(),
        /** Only campaigns with one of these UI tags. */
        tags: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .default({}),
    /** Where the first run of a campaign starts. Default 30d (thirty days before it). */
    startTime: startTime.default({ agoMs: 30 * 86_400_000 }),
    /**
     * How far before the cursor each run re-reads, for rows registered a little out of order (re-read rows are
     * deduplicated and cost no extra request). Default 10m.
     */
    lookback: duration.default(600_000),
    /** Zone of times the API sends without one. Default UTC. */
    timestampZone: zone.default("UTC"),
    /** `limit` of one log_v2 or campaigns/list request, rows. Default 1000. */
    pageLimit: positiveInt.max(100_000).default(1000),
    /** Largest `limit` used when one millisecond holds more rows than a page. Default 20000. */
    maxPageLimit: positiveInt.max(1_000_000).default(20_000),
    /** How often a finished campaign (inactive, completed, its log ended) is polled. Default 24h. */
    slowPollInterval: duration.default(86_400_000),
    ...requests,
  })
  .strict();

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

/** A size in bytes, written as a number of bytes or with a unit: `64MiB`, `512KiB`, `1GiB`, `100MB`. */
const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const match = typeof v === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v) : null;
  const unit = match ? SIZE_UNITS[(match[2] || "b").toLowerCase()] : 1;
  const bytes = typeof v === "number" ? v : match && unit ? Math.round(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    ctx.addIssue({
      code: "custom",
      message: `expected a size such as 64MiB, 512KiB or a number of bytes ≥ 1, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return bytes;
});

/** 64 MiB: see DEFAULT_MAX_RESPONSE_BYTES in http/post.ts. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export const httpSchema = z
  .object({
    /**
     * The largest response body read from an API, bytes (`64MiB`, `512KiB` or a number). A body over it is not
     * read further: that request fails ("response body over N bytes") and is not retried, so an enormous error
     * page never takes the process past its memory limit. Default 64MiB.
     */
    maxResponseBytes: byteSize.default(MAX_RESPONSE_BYTES),
  })
  .strict();

export const syncSettingsSchema = z
  .object({
    /** Streams synced at once (each also holds a database connection). Default 4. */
    parallelStreams: positiveInt.max(64).default(4),
    /**
     * Whether each token's request budget (`concurrency`, `requestsPerSecond`) holds across every process on
     * this warehouse, kept in PostgreSQL (session advisory locks; turn it off behind a transaction-pooling
     * proxy such as PgBouncer in transaction mode, where those do not hold). Default true.
     */
    shareRequestBudget: z.boolean().default(true),
  })
  .strict();

export const daemonSchema = z
  .object({
    /** Cron expression of the runs (5 or 6 fields, e.g. every 15 minutes: 0,15,30,45 * * * *). Default hourly. */
    schedule: z
      .string()
      .refine(
        (v) => {
          try {
            new Cron(v, { paused: true }).stop();
            return true;
          } catch {
            return false;
          }
        },
        { error: (issue) => `expected a cron expression such as "*/15 * * * *", got ${JSON.stringify(issue.input)}` },
      )
      .default("0 * * * *"),
    /** Time zone of the schedule. Default UTC. */
    timezone: zone.default("UTC"),
    /** Port of /healthz and /metrics; 0 turns the server off. Default 9464. */
    port: z.number().int().min(0).max(65_535).default(9464),
    /** Address the server listens on. Default 127.0.0.1 (use 0.0.0.0 in a container). */
    host: z.string().min(1).default("127.0.0.1"),
    /** Run once at start, before the first tick. Default true. */
    runOnStart: z.boolean().default(true),
  })
  .strict();

/** How long a bookkeeping row is kept, in ms, or `forever` (null): a duration such as 90d, or the word forever. */
const keptFor = z.union([z.literal("forever").transform(() => null), duration]);

/** Retention's defaults: 90 days of every bookkeeping table, pruned 1,000 rows a statement. */
export const RETENTION_DEFAULTS = {
  runs: 90 * 86_400_000,
  streamRuns: 90 * 86_400_000,
  rejects: 90 * 86_400_000,
  clientListings: 90 * 86_400_000,
  closedGaps: 90 * 86_400_000,
  batchSize: 1000,
} as const;

/**
 * How long the bookkeeping is kept: each run prunes, when it ends, the rows older than their table's setting,
 * in statements of `batchSize` rows (each its own short transaction). Event rows are never pruned. A running
 * run is never pruned, nor one that a kept row, a stream's last_run_id or an open gap points to; the newest
 * stream run of each stream (not skipped) and the newest complete client listing of each account stay.
 */
export const retentionSchema = z
  .object({
    /** sync.runs, by when the run started. Default 90d; `forever` keeps every run. */
    runs: keptFor.default(RETENTION_DEFAULTS.runs),
    /** sync.stream_runs, by when their run started. Default 90d. */
    streamRuns: keptFor.default(RETENTION_DEFAULTS.streamRuns),
    /** sync.rejects (the rejected records and their payloads), by when their run started. Default 90d. */
    rejects: keptFor.default(RETENTION_DEFAULTS.rejects),
    /** yandex_direct.client_listings, by when their run started. Default 90d. */
    clientListings: keptFor.default(RETENTION_DEFAULTS.clientListings),
    /** sync.gaps that are closed, by when they closed (open gaps always stay). Default 90d. */
    closedGaps: keptFor.default(RETENTION_DEFAULTS.closedGaps),
    /** Rows deleted by one statement. Default 1000. */
    batchSize: positiveInt.max(100_000).default(RETENTION_DEFAULTS.batchSize),
  })
  .strict();

export type RetentionSettings = z.infer<typeof retentionSchema>;

/** Defaults of the warehouse connection: a BI database under load answers slowly at times, never for minutes. */
export const DATABASE_DEFAULTS = {
  connectTimeout: 10_000,
  statementTimeout: 300_000,
  lockTimeout: 60_000,
  keepAliveIdle: 30_000,
} as const;

export const databaseSchema = z
  .object({
    /** PostgreSQL connection string; DATABASE_URL wins over it. Default: embedded PostgreSQL. */
    url: z.string().min(1).optional(),
    /** How long opening a connection may take before the command fails. Default 10s. */
    connectTimeout: duration.default(DATABASE_DEFAULTS.connectTimeout),
    /**
     * statement_timeout of the job's own statements (loading a page, bookkeeping); migrations run without it. Default
     * 5m.
     */
    statementTimeout: duration.default(DATABASE_DEFAULTS.statementTimeout),
    /** lock_timeout: the longest wait for a table, row or migration lock. Default 60s. */
    lockTimeout: duration.default(DATABASE_DEFAULTS.lockTimeout),
    /** TCP keepalive: idle time before the first probe, so a vanished host is noticed. Default 30s. */
    keepAliveIdle: duration.default(DATABASE_DEFAULTS.keepAliveIdle),
  })
  .strict();

export type DatabaseSettings = z.infer<typeof databaseSchema>;

export const configSchema = z
  .object({
    database: databaseSchema.default(DATABASE_DEFAULTS),
    sync: syncSettingsSchema.default({ parallelStreams: 4, shareRequestBudget: true }),
    http: httpSchema.default({ maxResponseBytes: MAX_RESPONSE_BYTES }),
    daemon: daemonSchema.default({
      schedule: "0 * * * *",
      timezone: "UTC",
      port: 9464,
      host: "127.0.0.1",
      runOnStart: true,
    }),
    retention: retentionSchema.default(RETENTION_DEFAULTS),
    sources: z
      .object({
        altcraft: z
          .object({ accounts: z.array(altcraftAccountSchema) })
          .strict()
          .optional(),
        yandex_direct: z
          .object({ accounts: z.array(yandexDirectAccountSchema) })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type YandexDirectAccountConfig = z.infer<typeof yandexDirectAccountSchema>;
export type DiscoveryConfig = NonNullable<YandexDirectAccountConfig["discovery"]>;

/** Discovery's defaults, for an account with `logins: all` and no `discovery` block. */
export const DISCOVERY_DEFAULTS: DiscoveryConfig = { archived: false, pageLimit: 10_000, reuseWithin: 0 };

/** Whether the account finds its logins in the agency's listing on every run (`logins: all`). */
export function discoversLogins(account: Pick<YandexDirectAccountConfig, "logins">): boolean {
  return account.logins === "all";
}

/** The logins the config names (none for an account that discovers them or reads the token owner's log). */
export function configuredLogins(account: Pick<YandexDirectAccountConfig, "logins">): readonly string[] {
  return Array.isArray(account.logins) ? account.logins : [];
}
export type AltcraftAccountConfig = z.infer<typeof altcraftAccountSchema>;
export type DaemonConfig = z.infer<typeof daemonSchema>;

/** The start time of a first run: a fixed time, or a duration before `now`. */
export function resolveStartTime(spec: { at?: Date | undefined; agoMs?: number | undefined }, now: Date): Date {
  return spec.at ?? new Date(now.getTime() - (spec.agoMs ?? 0));
}
