/**
 * Every flag of `eventlog-sync simulate`, stated once. A row holds the flag (as commander spells it), its help,
 * its parser (the errors it throws name the flag) or, for a switch, the value it sets, and the simulator option
 * it goes to. simulate.flags.ts derives from these rows the commander options, the parsed flags' type, the
 * mapping onto the simulators' options and the flag named in a simulator's error.
 *
 * Terminology: a **flag** is a command-line option (`--altcraft-rows-per-run`); an **option** is a field of
 * a simulator's options object (`rowsPerRun`). A **share** is a probability in [0, 1]. Flags left out keep
 * the simulator's own default, so the defaults live in one place (the simulators' options modules); the help
 * only quotes them.
 */
import { ALTCRAFT_SIMULATOR_DEFAULTS, type AltcraftSimulatorOptions } from "../simulators/altcraft/altcraft.options.js";
import type { FaultOptions } from "../simulators/common/transport.faults.js";
import {
  BEHAVIOUR_DEFAULTS,
  DATA_DEFAULTS,
  type YandexDirectSimulatorOptions,
} from "../simulators/yandex-direct/yandex-direct.options.js";
import * as parsers from "./simulate.parsers.js";

type Simulator = "altcraft" | "yandex";

/** Where a flag's value goes: the same option of one or both simulators (`faults.x`: a field of `faults`). */
interface Target {
  simulators: readonly Simulator[];
  option: string;
}

type CommonOption =
  (keyof AltcraftSimulatorOptions & keyof YandexDirectSimulatorOptions) | `faults.${keyof FaultOptions}`;
const both = (option: CommonOption): Target => ({ simulators: ["altcraft", "yandex"], option });
const altcraft = (option: keyof AltcraftSimulatorOptions): Target => ({ simulators: ["altcraft"], option });
const yandex = (option: keyof YandexDirectSimulatorOptions): Target => ({ simulators: ["yandex"], option });

/**
 * A row, keyed by its flag. A flag with a value has `parse`, a factory taking the flag's name; a switch (a flag
 * without one) has `sets`, the value its option takes when the switch is given.
 */
interface FlagRow {
  help: string;
  parse?: (flag: string) => (value: string) => unknown;
  sets?: boolean | string;
  to: Target;
}

const A = ALTCRAFT_SIMULATOR_DEFAULTS;
const Y = { ...DATA_DEFAULTS, ...BEHAVIOUR_DEFAULTS };

function bothDefaults(y: number, a: number): string {
  return y === a ? `default: ${y}` : `default: Yandex ${y}, Altcraft ${a}`;
}

/** In the order `simulate --help` lists them; a row's target picks its group there. */
export const FLAG_TABLE = {
  "--seed <n>": {
    help: `seed of all generated data and random behaviour (${bothDefaults(Y.seed, A.seed)})`,
    parse: parsers.seed,
    to: both("seed"),
  },
  "--host <address>": {
    help: `loopback address to listen on (default: ${A.host})`,
    parse: parsers.loopback,
    to: both("host"),
  },
  "--error-rate <share>": {
    help: "share of requests answered HTTP 500/502/503 (default: 0)",
    parse: parsers.share,
    to: both("faults.serverErrorRate"),
  },
  "--hang-rate <share>": {
    help: "share of requests that hang for --hang-ms, then drop (default: 0)",
    parse: parsers.share,
    to: both("faults.hangRate"),
  },
  "--hang-ms <ms>": {
    help: "how long a hanging request hangs, ms (default: 30000)",
    parse: parsers.count,
    to: both("faults.hangMs"),
  },
  "--garbage-rate <share>": {
    help: "share of requests answered HTTP 200 with a non-JSON body (default: 0)",
    parse: parsers.share,
    to: both("faults.garbageRate"),
  },
  "--html-rate <share>": {
    help: "share of requests answered with an HTML 502 page (default: 0)",
    parse: parsers.share,
    to: both("faults.htmlRate"),
  },
  "--truncate-rate <share>": {
    help: "share of requests whose body is cut in half (default: 0)",
    parse: parsers.share,
    to: both("faults.truncateRate"),
  },
  "--rps <n>": {
    help: `requests per second per token, 0 = unlimited (${bothDefaults(Y.requestsPerSecond, A.requestsPerSecond)})`,
    parse: parsers.count,
    to: both("requestsPerSecond"),
  },
  "--concurrency <n>": {
    help: `requests in flight per token, 0 = unlimited (${bothDefaults(Y.concurrentRequests, A.concurrentRequests)})`,
    parse: parsers.count,
    to: both("concurrentRequests"),
  },
  "--latency-ms <ms>": {
    help: `time from a request's arrival to its answer, ms (${bothDefaults(Y.latencyMs, A.latencyMs)})`,
    parse: parsers.count,
    to: both("latencyMs"),
  },

  "--yandex-port <n>": { help: `port, 0 = a free one (default: ${Y.port})`, parse: parsers.port, to: yandex("port") },
  "--yandex-logins <n>": {
    help: `agency client logins client-1…client-N (default: ${Y.clientLogins})`,
    parse: parsers.count,
    to: yandex("clientLogins"),
  },
  "--yandex-events-per-hour <n>": {
    help: `mean events per login per hour (default: ${Y.eventsPerHour})`,
    parse: parsers.amount,
    to: yandex("eventsPerHour"),
  },
  "--yandex-history-days <days>": {
    help: `days of history before start (default: ${Y.historyDays})`,
    parse: parsers.amount,
    to: yandex("historyDays"),
  },
  "--yandex-order <order>": {
    help: `order of events: ascending, descending, shuffled-within-second (default: ${Y.order})`,
    parse: parsers.oneOf(["ascending", "descending", "shuffled-within-second"] as const),
    to: yandex("order"),
  },
  "--yandex-from-exclusive": {
    help: "leave out events exactly at TimestampFrom (default: included)",
    sets: false,
    to: yandex("fromInclusive"),
  },
  "--yandex-to-exclusive": {
    help: "leave out events exactly at TimestampTo (default: included)",
    sets: false,
    to: yandex("toInclusive"),
  },
  "--yandex-zoneless": {
    help: `render Timestamps without a zone, in ${Y.zoneOffset} (default: with Z)`,
    sets: true,
    to: yandex("zonelessTimestamps"),
  },
  "--yandex-max-limit <n>": {
    help: `largest accepted Limit, 0 = none (default: ${Y.maxLimit})`,
    parse: parsers.count,
    to: yandex("maxLimit"),
  },
  "--yandex-over-max-limit <what>": {
    help: `a Limit above the maximum: clamp or reject (error 8) (default: ${Y.overMaxLimit})`,
    parse: parsers.oneOf(["clamp", "reject"] as const),
    to: yandex("overMaxLimit"),
  },
  "--yandex-late-event-rate <share>": {
    help: `share of requests after which late events land in the past (default: ${Y.lateEventRate})`,
    parse: parsers.share,
    to: yandex("lateEventRate"),
  },
  "--yandex-burst-rate <share>": {
    help: `share of (login, hour) holding a burst of identical events (default: ${Y.burstRate})`,
    parse: parsers.share,
    to: yandex("burstRate"),
  },
  "--yandex-burst-size <n>": {
    help: `events in a burst (default: ${Y.burstSize})`,
    parse: parsers.positiveInteger,
    to: yandex("burstSize"),
  },
  "--yandex-daily-call-limit <n>": {
    help: `calls per token per UTC day, then error 56; 0 = none (default: ${Y.dailyCallLimit})`,
    parse: parsers.count,
    to: yandex("dailyCallLimit"),
  },
  "--yandex-points-per-day <n>": {
    help: `points per token per UTC day (GetEventsLog and AgencyClients.get) (default: ${Y.pointsPerDay})`,
    parse: parsers.count,
    to: yandex("pointsPerDay"),
  },
  "--yandex-listed-clients <n>": {
    help: "of the --yandex-logins, how many the agency lists at start; the rest join later (default: all)",
    parse: parsers.count,
    to: yandex("listedClients"),
  },
  "--yandex-archived-clients <n>": {
    help: `of the listed clients, how many (the last ones) start archived (default: ${Y.archivedClients})`,
    parse: parsers.count,
    to: yandex("archivedClients"),
  },
  "--yandex-client-currencies <what>": {
    help: `clients' Currency: one currency, mixed (seeded), or login=CUR,… (others RUB) (default: ${String(Y.clientCurrencies)})`,
    parse: parsers.currencies,
    to: yandex("clientCurrencies"),
  },
  "--yandex-agency-page-cap <n>": {
    help: `most clients per AgencyClients.get page whatever Limit asks, 0 = none (default: ${Y.agencyClientsPageCap})`,
    parse: parsers.count,
    to: yandex("agencyClientsPageCap"),
  },
  "--yandex-agency-omit-empty": {
    help: "an empty AgencyClients.get result has no Clients key (default: Clients [])",
    sets: true,
    to: yandex("agencyClientsOmitEmptyClients"),
  },
  "--yandex-agency-http-errors": {
    help: "send AgencyClients.get errors with a 4xx/5xx status (default: HTTP 200)",
    sets: true,
    to: yandex("agencyClientsHttpErrors"),
  },

  "--altcraft-port <n>": {
    help: `port, 0 = a free one (default: ${A.port})`,
    parse: parsers.port,
    to: altcraft("port"),
  },
  "--altcraft-campaigns <n>": {
    help: `campaigns at start (default: ${A.campaigns})`,
    parse: parsers.count,
    to: altcraft("campaigns"),
  },
  "--altcraft-history-days <days>": {
    help: `days of log history before start (default: ${A.historyDays})`,
    parse: parsers.amount,
    to: altcraft("historyDays"),
  },
  "--altcraft-runs-per-day <n>": {
    help: `runs per active campaign per day (default: ${A.runsPerDay})`,
    parse: parsers.positiveAmount,
    to: altcraft("runsPerDay"),
  },
  "--altcraft-rows-per-run <n>": {
    help: `mean log rows per run, ≥ 4 (default: ${A.rowsPerRun})`,
    parse: parsers.positiveInteger,
    to: altcraft("rowsPerRun"),
  },
  "--altcraft-from-time-exclusive": {
    help: "from_time filters time > from_time (default: time >= from_time)",
    sets: false,
    to: altcraft("fromTimeInclusive"),
  },
  "--altcraft-newest-first": {
    help: "without from_time, log_v2 returns the newest rows (default: the oldest)",
    sets: "newest",
    to: altcraft("unfilteredPage"),
  },
  "--altcraft-descending": {
    help: "rows of a log_v2 page newest first (default: ascending)",
    sets: "descending",
    to: altcraft("pageOrder"),
  },
  "--altcraft-total-count <what>": {
    help: `log_v2 total_count: filtered or all rows (default: ${A.totalCount})`,
    parse: parsers.oneOf(["filtered", "all"] as const),
    to: altcraft("totalCount"),
  },
  "--altcraft-naive-timestamps": {
    help: "render time without a zone, UTC wall time (default: with Z)",
    sets: true,
    to: altcraft("naiveTimestamps"),
  },
  "--altcraft-max-limit <n>": {
    help: `largest limit, 0 = none (default: ${A.maxLimit})`,
    parse: parsers.count,
    to: altcraft("maxLimit"),
  },
  "--altcraft-over-max-limit <what>": {
    help: `a limit above the maximum: clamp or reject (error 400) (default: ${A.overMaxLimit})`,
    parse: parsers.oneOf(["clamp", "reject"] as const),
    to: altcraft("overMaxLimit"),
  },
  "--altcraft-late-row-rate <share>": {
    help: `share of log_v2 requests after which a late row lands in the past (default: ${A.lateRowRate})`,
    parse: parsers.share,
    to: altcraft("lateRowRate"),
  },
  "--altcraft-burst-rate <share>": {
    help: `share of runs holding a burst of identical rows (default: ${A.burstRate})`,
    parse: parsers.share,
    to: altcraft("burstRate"),
  },
  "--altcraft-burst-size <n>": {
    help: `rows in a burst (default: ${A.burstSize})`,
    parse: parsers.positiveInteger,
    to: altcraft("burstSize"),
  },
  "--altcraft-always-200": {
    help: "answer API errors with HTTP 200 (default: HTTP status mirrors error)",
    sets: false,
    to: altcraft("httpStatusMirrorsError"),
  },
  "--altcraft-tariff-limit <n>": {
    help: `calls per token, then error 402; 0 = none (default: ${A.tariffLimit})`,
    parse: parsers.count,
    to: altcraft("tariffLimit"),
  },
} as const satisfies Record<string, FlagRow>;
