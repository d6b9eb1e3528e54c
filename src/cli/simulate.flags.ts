/**
 * The flags of `eventlog-sync simulate` and how they map onto the simulators' options.
 *
 * Terminology: a **flag** is a command-line option (`--altcraft-rows-per-run`); an **option** is a field of
 * a simulator's options object (`rowsPerRun`). A **share** is a probability in [0, 1]. Flags left out keep
 * the simulator's own default, so the defaults live in one place (the simulators' options modules).
 */
import { BlockList, isIP } from "node:net";
import { InvalidArgumentError, Option } from "commander";
import { ALTCRAFT_SIMULATOR_DEFAULTS, type AltcraftSimulatorOptions } from "../simulators/altcraft/altcraft.options.js";
import type { ClientCurrencies } from "../simulators/yandex-direct/yandex-direct.clients.js";
import {
  BEHAVIOUR_DEFAULTS,
  CURRENCIES,
  DATA_DEFAULTS,
  type Currency,
  type EventOrder,
  type YandexDirectSimulatorOptions,
} from "../simulators/yandex-direct/yandex-direct.options.js";

/** Parsed flags of `simulate`, as commander names them. Absent: the simulator's default. */
export interface SimulateFlags {
  seed?: number;
  host?: string;
  errorRate?: number;
  hangRate?: number;
  hangMs?: number;
  garbageRate?: number;
  htmlRate?: number;
  truncateRate?: number;
  rps?: number;
  concurrency?: number;
  latencyMs?: number;
  yandexPort?: number;
  yandexLogins?: number;
  yandexEventsPerHour?: number;
  yandexHistoryDays?: number;
  yandexOrder?: EventOrder;
  yandexFromExclusive?: boolean;
  yandexToExclusive?: boolean;
  yandexZoneless?: boolean;
  yandexMaxLimit?: number;
  yandexOverMaxLimit?: "clamp" | "reject";
  yandexLateEventRate?: number;
  yandexBurstRate?: number;
  yandexBurstSize?: number;
  yandexDailyCallLimit?: number;
  yandexPointsPerDay?: number;
  yandexListedClients?: number;
  yandexArchivedClients?: number;
  yandexClientCurrencies?: ClientCurrencies;
  yandexAgencyPageCap?: number;
  yandexAgencyOmitEmpty?: boolean;
  yandexAgencyHttpErrors?: boolean;
  altcraftPort?: number;
  altcraftCampaigns?: number;
  altcraftHistoryDays?: number;
  altcraftRunsPerDay?: number;
  altcraftRowsPerRun?: number;
  altcraftFromTimeExclusive?: boolean;
  altcraftNewestFirst?: boolean;
  altcraftDescending?: boolean;
  altcraftTotalCount?: "filtered" | "all";
  altcraftNaiveTimestamps?: boolean;
  altcraftMaxLimit?: number;
  altcraftOverMaxLimit?: "clamp" | "reject";
  altcraftLateRowRate?: number;
  altcraftBurstRate?: number;
  altcraftBurstSize?: number;
  altcraftAlways200?: boolean;
  altcraftTariffLimit?: number;
}

export interface SimulatorOptionsFromFlags {
  altcraft: AltcraftSimulatorOptions;
  yandex: YandexDirectSimulatorOptions;
}

/** Drops undefined fields, so an absent flag leaves the simulator's default in force. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const FAULT_FLAGS = ["--error-rate", "--hang-rate", "--truncate-rate", "--garbage-rate", "--html-rate"] as const;

/** Maps parsed flags to both simulators' options; throws a TypeError naming the flags when they conflict. */
export function simulatorOptionsFromFlags(flags: SimulateFlags): SimulatorOptionsFromFlags {
  const f = flags;
  const shares = [f.errorRate, f.hangRate, f.truncateRate, f.garbageRate, f.htmlRate];
  const sum = shares.reduce<number>((total, share) => total + (share ?? 0), 0);
  // The simulators draw at most one fault per request from these shares laid end to end.
  if (sum > 1 + 1e-9) {
    throw new TypeError(
      `Expected the fault shares (${FAULT_FLAGS.map((x) => `\`${x}\``).join(" + ")}) to add up to ≤ 1, got \`${sum}\``,
    );
  }
  if (f.altcraftPort !== undefined && f.altcraftPort !== 0 && f.altcraftPort === f.yandexPort) {
    throw new TypeError(
      `Expected \`--altcraft-port\` and \`--yandex-port\` to differ, got \`${f.altcraftPort}\` for both`,
    );
  }
  const faults = defined({
    serverErrorRate: f.errorRate,
    hangRate: f.hangRate,
    hangMs: f.hangMs,
    truncateRate: f.truncateRate,
    garbageRate: f.garbageRate,
    htmlRate: f.htmlRate,
  });
  const common = {
    seed: f.seed,
    host: f.host,
    requestsPerSecond: f.rps,
    concurrentRequests: f.concurrency,
    latencyMs: f.latencyMs,
    ...(Object.keys(faults).length > 0 ? { faults } : {}),
  };
  const altcraft: AltcraftSimulatorOptions = defined({
    ...common,
    faults: common.faults && { ...common.faults },
    port: f.altcraftPort,
    campaigns: f.altcraftCampaigns,
    historyDays: f.altcraftHistoryDays,
    runsPerDay: f.altcraftRunsPerDay,
    rowsPerRun: f.altcraftRowsPerRun,
    fromTimeInclusive: f.altcraftFromTimeExclusive ? false : undefined,
    unfilteredPage: f.altcraftNewestFirst ? ("newest" as const) : undefined,
    pageOrder: f.altcraftDescending ? ("descending" as const) : undefined,
    totalCount: f.altcraftTotalCount,
    naiveTimestamps: f.altcraftNaiveTimestamps ? true : undefined,
    maxLimit: f.altcraftMaxLimit,
    overMaxLimit: f.altcraftOverMaxLimit,
    lateRowRate: f.altcraftLateRowRate,
    burstRate: f.altcraftBurstRate,
    burstSize: f.altcraftBurstSize,
    httpStatusMirrorsError: f.altcraftAlways200 ? false : undefined,
    tariffLimit: f.altcraftTariffLimit,
  });
  const yandex: YandexDirectSimulatorOptions = defined({
    ...common,
    faults: common.faults && { ...common.faults },
    port: f.yandexPort,
    clientLogins: f.yandexLogins,
    eventsPerHour: f.yandexEventsPerHour,
    historyDays: f.yandexHistoryDays,
    order: f.yandexOrder,
    fromInclusive: f.yandexFromExclusive ? false : undefined,
    toInclusive: f.yandexToExclusive ? false : undefined,
    zonelessTimestamps: f.yandexZoneless ? true : undefined,
    maxLimit: f.yandexMaxLimit,
    overMaxLimit: f.yandexOverMaxLimit,
    lateEventRate: f.yandexLateEventRate,
    burstRate: f.yandexBurstRate,
    burstSize: f.yandexBurstSize,
    dailyCallLimit: f.yandexDailyCallLimit,
    pointsPerDay: f.yandexPointsPerDay,
    listedClients: f.yandexListedClients,
    archivedClients: f.yandexArchivedClients,
    clientCurrencies: f.yandexClientCurrencies,
    agencyClientsPageCap: f.yandexAgencyPageCap,
    agencyClientsOmitEmptyClients: f.yandexAgencyOmitEmpty ? true : undefined,
    agencyClientsHttpErrors: f.yandexAgencyHttpErrors ? true : undefined,
  });
  return { altcraft, yandex };
}

/** Which flag sets each option, to name the flag when a simulator refuses a value. */
const COMMON_OPTION_FLAGS: Record<string, string> = {
  seed: "--seed",
  host: "--host",
  requestsPerSecond: "--rps",
  concurrentRequests: "--concurrency",
  latencyMs: "--latency-ms",
  "faults.serverErrorRate": "--error-rate",
  "faults.hangRate": "--hang-rate",
  "faults.hangMs": "--hang-ms",
  "faults.truncateRate": "--truncate-rate",
  "faults.garbageRate": "--garbage-rate",
  "faults.htmlRate": "--html-rate",
};
export const OPTION_FLAGS = {
  altcraft: {
    ...COMMON_OPTION_FLAGS,
    port: "--altcraft-port",
    campaigns: "--altcraft-campaigns",
    historyDays: "--altcraft-history-days",
    runsPerDay: "--altcraft-runs-per-day",
    rowsPerRun: "--altcraft-rows-per-run",
    totalCount: "--altcraft-total-count",
    maxLimit: "--altcraft-max-limit",
    overMaxLimit: "--altcraft-over-max-limit",
    lateRowRate: "--altcraft-late-row-rate",
    burstRate: "--altcraft-burst-rate",
    burstSize: "--altcraft-burst-size",
    tariffLimit: "--altcraft-tariff-limit",
  },
  yandex: {
    ...COMMON_OPTION_FLAGS,
    port: "--yandex-port",
    clientLogins: "--yandex-logins",
    eventsPerHour: "--yandex-events-per-hour",
    historyDays: "--yandex-history-days",
    order: "--yandex-order",
    maxLimit: "--yandex-max-limit",
    overMaxLimit: "--yandex-over-max-limit",
    lateEventRate: "--yandex-late-event-rate",
    burstRate: "--yandex-burst-rate",
    burstSize: "--yandex-burst-size",
    dailyCallLimit: "--yandex-daily-call-limit",
    pointsPerDay: "--yandex-points-per-day",
    listedClients: "--yandex-listed-clients",
    archivedClients: "--yandex-archived-clients",
    clientCurrencies: "--yandex-client-currencies",
    agencyClientsPageCap: "--yandex-agency-page-cap",
  },
} as const satisfies Record<string, Record<string, string>>;

/** Rewrites "Expected `rowsPerRun` …" as "Expected `--altcraft-rows-per-run` …". */
export function nameFlags(message: string, simulator: keyof typeof OPTION_FLAGS): string {
  const table: Record<string, string> = OPTION_FLAGS[simulator];
  return message.replace(/`([\w.]+)`/g, (whole, option: string) => (table[option] ? `\`${table[option]}\`` : whole));
}

// --- argument parsers: each names its flag and the value it got ---------------------------------------

function number(flag: string, what: string, ok: (n: number) => boolean) {
  return (value: string): number => {
    const n = value.trim() === "" ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || !ok(n))
      throw new InvalidArgumentError(`Expected \`${flag}\` to be ${what}, got \`${value}\``);
    return n;
  };
}
const share = (flag: string) => number(flag, "a share in [0, 1]", (n) => n >= 0 && n <= 1);
const count = (flag: string) => number(flag, "an integer ≥ 0", (n) => Number.isInteger(n) && n >= 0);
const positiveInteger = (flag: string) => number(flag, "an integer ≥ 1", (n) => Number.isInteger(n) && n >= 1);
const amount = (flag: string) => number(flag, "a number ≥ 0", (n) => n >= 0);
const positiveAmount = (flag: string) => number(flag, "a number > 0", (n) => n > 0);
const port = (flag: string) =>
  number(flag, "a port in [0, 65535]", (n) => Number.isInteger(n) && n >= 0 && n <= 65_535);
const seed = number(
  "--seed",
  "an integer in [0, 4294967295]",
  (n) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff,
);

function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`Expected \`${flag}\` to be one of ${allowed.join(", ")}, got \`${value}\``);
    }
    return value as T;
  };
}

/** `RUB` (one currency for all), `mixed`, or `login=CUR,login=CUR` (the others RUB). */
export function clientCurrencies(value: string): ClientCurrencies {
  const flag = "--yandex-client-currencies";
  const isCurrency = (c: string): c is Currency => (CURRENCIES as readonly string[]).includes(c);
  if (value === "mixed" || isCurrency(value)) return value as ClientCurrencies;
  const map: Record<string, Currency> = {};
  for (const pair of value.split(",")) {
    const [login, currency, ...rest] = pair.split("=").map((x) => x.trim());
    if (!login || currency === undefined || !isCurrency(currency) || rest.length > 0) {
      throw new InvalidArgumentError(
        `Expected \`${flag}\` to be mixed, one of ${CURRENCIES.join(", ")} or login=CUR,…, got \`${value}\``,
      );
    }
    map[login.toLowerCase()] = currency;
  }
  return map;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** The simulators have no real authentication, so they must never be reachable from another machine. */
export function loopbackHost(value: string): string {
  const family = isIP(value);
  if (family === 0 || !LOOPBACK.check(value, family === 4 ? "ipv4" : "ipv6")) {
    throw new InvalidArgumentError(
      `Expected \`--host\` to be a loopback address (127.0.0.0/8 or ::1), got \`${value}\``,
    );
  }
  return value;
}

// --- the command --------------------------------------------------------------------------------------

const A = ALTCRAFT_SIMULATOR_DEFAULTS;
const Y = { ...DATA_DEFAULTS, ...BEHAVIOUR_DEFAULTS };
const COMMON = "Both simulators:";
const YANDEX = "Yandex.Direct simulator:";
const ALTCRAFT = "Altcraft simulator:";

function bothDefaults(y: number, a: number): string {
  return y === a ? `default: ${y}` : `default: Yandex ${y}, Altcraft ${a}`;
}

export const OPTIONS: ReadonlyArray<[group: string, option: Option]> = [
  [
    COMMON,
    new Option(
      "--seed <n>",
      `seed of all generated data and random behaviour (${bothDefaults(Y.seed, A.seed)})`,
    ).argParser(seed),
  ],
  [
    COMMON,
    new Option("--host <address>", `loopback address to listen on (default: ${A.host})`).argParser(loopbackHost),
  ],
  [
    COMMON,
    new Option("--error-rate <share>", "share of requests answered HTTP 500/502/503 (default: 0)").argParser(
      share("--error-rate"),
    ),
  ],
  [
    COMMON,
    new Option("--hang-rate <share>", "share of requests that hang for --hang-ms, then drop (default: 0)").argParser(
      share("--hang-rate"),
    ),
  ],
  [
    COMMON,
    new Option("--hang-ms <ms>", "how long a hanging request hangs, ms (default: 30000)").argParser(count("--hang-ms")),
  ],
  [
    COMMON,
    new Option(
      "--garbage-rate <share>",
      "share of requests answered HTTP 200 with a non-JSON body (default: 0)",
    ).argParser(share("--garbage-rate")),
  ],
  [
    COMMON,
    new Option("--html-rate <share>", "share of requests answered with an HTML 502 page (default: 0)").argParser(
      share("--html-rate"),
    ),
  ],
  [
    COMMON,
    new Option("--truncate-rate <share>", "share of requests whose body is cut in half (default: 0)").argParser(
      share("--truncate-rate"),
    ),
  ],
  [
    COMMON,
    new Option(
      "--rps <n>",
      `requests per second per token, 0 = unlimited (${bothDefaults(Y.requestsPerSecond, A.requestsPerSecond)})`,
    ).argParser(count("--rps")),
  ],
  [
    COMMON,
    new Option(
      "--concurrency <n>",
      `requests in flight per token, 0 = unlimited (${bothDefaults(Y.concurrentRequests, A.concurrentRequests)})`,
    ).argParser(count("--concurrency")),
  ],
  [
    COMMON,
    new Option(
      "--latency-ms <ms>",
      `delay before every API answer, ms (${bothDefaults(Y.latencyMs, A.latencyMs)})`,
    ).argParser(count("--latency-ms")),
  ],

  [
    YANDEX,
    new Option("--yandex-port <n>", `port, 0 = a free one (default: ${Y.port})`).argParser(port("--yandex-port")),
  ],
  [
    YANDEX,
    new Option("--yandex-logins <n>", `agency client logins client-1…client-N (default: ${Y.clientLogins})`).argParser(
      count("--yandex-logins"),
    ),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-events-per-hour <n>",
      `mean events per login per hour (default: ${Y.eventsPerHour})`,
    ).argParser(amount("--yandex-events-per-hour")),
  ],
  [
    YANDEX,
    new Option("--yandex-history-days <days>", `days of history before start (default: ${Y.historyDays})`).argParser(
      amount("--yandex-history-days"),
    ),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-order <order>",
      `order of events: ascending, descending, shuffled-within-second (default: ${Y.order})`,
    ).argParser(oneOf("--yandex-order", ["ascending", "descending", "shuffled-within-second"] as const)),
  ],
  [YANDEX, new Option("--yandex-from-exclusive", "leave out events exactly at TimestampFrom (default: included)")],
  [YANDEX, new Option("--yandex-to-exclusive", "leave out events exactly at TimestampTo (default: included)")],
  [YANDEX, new Option("--yandex-zoneless", `render Timestamps without a zone, in ${Y.zoneOffset} (default: with Z)`)],
  [
    YANDEX,
    new Option("--yandex-max-limit <n>", `largest accepted Limit, 0 = none (default: ${Y.maxLimit})`).argParser(
      count("--yandex-max-limit"),
    ),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-over-max-limit <what>",
      `a Limit above the maximum: clamp or reject (error 8) (default: ${Y.overMaxLimit})`,
    ).argParser(oneOf("--yandex-over-max-limit", ["clamp", "reject"] as const)),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-late-event-rate <share>",
      `share of requests after which late events land in the past (default: ${Y.lateEventRate})`,
    ).argParser(share("--yandex-late-event-rate")),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-burst-rate <share>",
      `share of (login, hour) holding a burst of identical events (default: ${Y.burstRate})`,
    ).argParser(share("--yandex-burst-rate")),
  ],
  [
    YANDEX,
    new Option("--yandex-burst-size <n>", `events in a burst (default: ${Y.burstSize})`).argParser(
      positiveInteger("--yandex-burst-size"),
    ),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-daily-call-limit <n>",
      `calls per token per UTC day, then error 56; 0 = none (default: ${Y.dailyCallLimit})`,
    ).argParser(count("--yandex-daily-call-limit")),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-points-per-day <n>",
      `points per token per UTC day (GetEventsLog and AgencyClients.get) (default: ${Y.pointsPerDay})`,
    ).argParser(count("--yandex-points-per-day")),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-listed-clients <n>",
      "of the --yandex-logins, how many the agency lists at start; the rest join later (default: all)",
    ).argParser(count("--yandex-listed-clients")),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-archived-clients <n>",
      `of the listed clients, how many (the last ones) start archived (default: ${Y.archivedClients})`,
    ).argParser(count("--yandex-archived-clients")),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-client-currencies <what>",
      `clients' Currency: one currency, mixed (seeded), or login=CUR,… (others RUB) (default: ${String(Y.clientCurrencies)})`,
    ).argParser(clientCurrencies),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-agency-page-cap <n>",
      `most clients per AgencyClients.get page whatever Limit asks, 0 = none (default: ${Y.agencyClientsPageCap})`,
    ).argParser(count("--yandex-agency-page-cap")),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-agency-omit-empty",
      "an empty AgencyClients.get result has no Clients key (default: Clients [])",
    ),
  ],
  [
    YANDEX,
    new Option(
      "--yandex-agency-http-errors",
      "send AgencyClients.get errors with a 4xx/5xx status (default: HTTP 200)",
    ),
  ],

  [
    ALTCRAFT,
    new Option("--altcraft-port <n>", `port, 0 = a free one (default: ${A.port})`).argParser(port("--altcraft-port")),
  ],
  [
    ALTCRAFT,
    new Option("--altcraft-campaigns <n>", `campaigns at start (default: ${A.campaigns})`).argParser(
      count("--altcraft-campaigns"),
    ),
  ],
  [
    ALTCRAFT,
    new Option(
      "--altcraft-history-days <days>",
      `days of log history before start (default: ${A.historyDays})`,
    ).argParser(amount("--altcraft-history-days")),
  ],
  [
    ALTCRAFT,
    new Option("--altcraft-runs-per-day <n>", `runs per active campaign per day (default: ${A.runsPerDay})`).argParser(
      positiveAmount("--altcraft-runs-per-day"),
    ),
  ],
  [
    ALTCRAFT,
    new Option("--altcraft-rows-per-run <n>", `mean log rows per run, ≥ 4 (default: ${A.rowsPerRun})`).argParser(
      positiveInteger("--altcraft-rows-per-run"),
    ),
  ],
  [
    ALTCRAFT,
    new Option("--altcraft-from-time-exclusive", "from_time filters time > from_time (default: time >= from_time)"),
  ],
  [
    ALTCRAFT,
    new Option("--altcraft-newest-first", "without from_time, log_v2 returns the newest rows (default: the oldest)"),
  ],
  [ALTCRAFT, new Option("--altcraft-descending", "rows of a log_v2 page newest first (default: ascending)")],
  [
    ALTCRAFT,
    new Option(
      "--altcraft-total-count <what>",
      `log_v2 total_count: filtered or all rows (default: ${A.totalCount})`,
    ).argParser(oneOf("--altcraft-total-count", ["filtered", "all"] as const)),
  ],
  [ALTCRAFT, new Option("--altcraft-naive-timestamps", "render time without a zone, UTC wall time (default: with Z)")],
  [
    ALTCRAFT,
    new Option("--altcraft-max-limit <n>", `largest limit, 0 = none (default: ${A.maxLimit})`).argParser(
      count("--altcraft-max-limit"),
    ),
  ],
  [
    ALTCRAFT,
    new Option(
      "--altcraft-over-max-limit <what>",
      `a limit above the maximum: clamp or reject (error 400) (default: ${A.overMaxLimit})`,
    ).argParser(oneOf("--altcraft-over-max-limit", ["clamp", "reject"] as const)),
  ],
  [
    ALTCRAFT,
    new Option(
      "--altcraft-late-row-rate <share>",
      `share of log_v2 requests after which a late row lands in the past (default: ${A.lateRowRate})`,
    ).argParser(share("--altcraft-late-row-rate")),
  ],
  [
    ALTCRAFT,
    new Option(
      "--altcraft-burst-rate <share>",
      `share of runs holding a burst of identical rows (default: ${A.burstRate})`,
    ).argParser(share("--altcraft-burst-rate")),
  ],
  [
    ALTCRAFT,
    new Option("--altcraft-burst-size <n>", `rows in a burst (default: ${A.burstSize})`).argParser(
      positiveInteger("--altcraft-burst-size"),
    ),
  ],
  [
    ALTCRAFT,
    new Option("--altcraft-always-200", "answer API errors with HTTP 200 (default: HTTP status mirrors error)"),
  ],
  [
    ALTCRAFT,
    new Option(
      "--altcraft-tariff-limit <n>",
      `calls per token, then error 402; 0 = none (default: ${A.tariffLimit})`,
    ).argParser(count("--altcraft-tariff-limit")),
  ],
];

export const EXAMPLES = `
Examples:
  $ eventlog-sync simulate                                        # free ports, default volume, no faults
  $ eventlog-sync simulate --altcraft-port 8081 --yandex-port 8082 --seed 7
  $ eventlog-sync simulate --error-rate 0.05 --hang-rate 0.01 --hang-ms 5000 --rps 5 --concurrency 2
  $ eventlog-sync simulate --yandex-logins 20 --yandex-burst-rate 0.1 --yandex-max-limit 500 --yandex-over-max-limit reject
  $ eventlog-sync simulate --yandex-logins 1000 --yandex-listed-clients 900 --yandex-archived-clients 50 --yandex-client-currencies mixed --yandex-agency-page-cap 300
  $ eventlog-sync simulate --altcraft-campaigns 50 --altcraft-newest-first --altcraft-always-200 --altcraft-tariff-limit 1000`;
