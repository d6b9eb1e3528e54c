import type { FaultOptions } from "../common/transport.faults.js";
import type { ClientCurrencies } from "./yandex-direct.agency-clients.js";

/** The nine EventType values of GetEventsLog, in the order the seed page lists them. */
export const EVENT_TYPES = [
  "BannerModerated",
  "CampaignFinished",
  "LowCTR",
  "MoneyOut",
  "MoneyWarning",
  "MoneyIn",
  "PausedByDayBudget",
  "WarnMinPrice",
  "WarnPlace",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Values accepted by `Currency`. Money is stored in RUB and converted with `CURRENCY_RATES`. */
export const CURRENCIES = ["RUB", "CHF", "EUR", "KZT", "TRY", "UAH", "USD", "BYN"] as const;
export type Currency = (typeof CURRENCIES)[number];

export const LOCALES = ["ru", "uk", "en"] as const;
export type Locale = (typeof LOCALES)[number];

/** Codes that `failNext` and `apiErrorRates` can inject. 502 is a transport failure (HTTP 502, no API body). */
export const INJECTABLE_CODES = [52, 500, 503, 504, 502] as const;
export type InjectableCode = (typeof INJECTABLE_CODES)[number];

export type EventOrder = "ascending" | "descending" | "shuffled-within-second";

/**
 * What `agencyClientsFailAfterPages` and `failAgencyClientsNext` make an AgencyClients.get call answer: a v5
 * error code, or `http500` (HTTP 500 with a plain-text body, as a gateway would send).
 */
export const AGENCY_CLIENTS_FAULTS = [52, 53, 152, 506, 1000, 1001, 1002, "http500"] as const;
export type AgencyClientsFault = (typeof AGENCY_CLIENTS_FAULTS)[number];

/**
 * What `clientsGetFailure` makes every Clients.get call answer: an AgencyClients.get fault, or `malformed` (a
 * result whose item has no `Login`).
 */
export const CLIENTS_GET_FAULTS = [...AGENCY_CLIENTS_FAULTS, "malformed"] as const;
export type ClientsGetFault = (typeof CLIENTS_GET_FAULTS)[number];

/**
 * Options fixed when the simulator starts: they shape the generated log, so changing them later would
 * change history already served.
 */
export interface YandexDirectDataOptions {
  /** Loopback port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Seed of every generated event, request id and injected fault. Default 1. */
  seed?: number;
  /**
   * Number of generated client logins (`client-1`…`client-N`, each with its own token and log). Default 3.
   */
  clientLogins?: number;
  /**
   * How many of the generated logins (the first ones) are the agency's clients at start; the rest are
   * *pending*: their log exists, but the agency neither lists nor reads it until `addAgencyClient`.
   * Default: all of them.
   */
  listedClients?: number;
  /** How many of the listed clients (the last ones) start archived. Default 0. */
  archivedClients?: number;
  /**
   * Each client's currency (AgencyClients.get `Currency`): one currency for all, `mixed` (a seeded mix), or
   * a map from login to currency (others RUB). Default `RUB`.
   */
  clientCurrencies?: ClientCurrencies;
  /** Mean generated events per login per hour (each hour draws between half and one and a half of it). Default 6. */
  eventsPerHour?: number;
  /** Days of history before the clock at start; the log then keeps growing with the clock. Default 7. */
  historyDays?: number;
  /** Campaigns per login (ids are `3193279 + 1000 × loginNumber + slot`). Default 5, maximum 255. */
  campaignsPerLogin?: number;
  /** Ads per campaign. Default 4, maximum 255. */
  bannersPerCampaign?: number;
  /** Phrases per ad. Default 3, maximum 255. */
  phrasesPerBanner?: number;
  /** Chance per (login, hour) that the hour holds one burst of identical events in one second. Default 0. */
  burstRate?: number;
  /** Events in a generated burst (make it larger than the client's page to test paging). Default 1,500. */
  burstSize?: number;
  /** Token of the agency. Default `agency-token`; its login is `agency`. */
  agencyToken?: string;
  /** Token of a direct advertiser (not an agency) with its own log. Default `advertiser-token`. */
  advertiserToken?: string;
  /** The direct advertiser's login (its log's name, and what Clients.get answers for its token). Default `advertiser`. */
  advertiserLogin?: string;
  /** The simulator's clock, ms since the epoch. Only events at or before it are served. Default `Date.now`. */
  clock?: () => number;
}

/** Options that can also be changed while the simulator runs (`setOptions`, `POST /__admin/options`). */
export interface YandexDirectBehaviourOptions {
  /**
   * Order of returned events: by Timestamp up or down, or up with each second shuffled (seeded). Default `ascending`.
   */
  order?: EventOrder;
  /** Whether an event exactly at `TimestampFrom` is returned. Default true. */
  fromInclusive?: boolean;
  /** Whether an event exactly at `TimestampTo` is returned. Default true. */
  toInclusive?: boolean;
  /**
   * When true, response Timestamps (and StopTime) carry no zone and are written in `zoneOffset`; request
   * timestamps without a zone are always read in the rendering zone (UTC when false). Default false.
   */
  zonelessTimestamps?: boolean;
  /** Offset used by `zonelessTimestamps`, `±HH:MM`. Default `+03:00` (Moscow). */
  zoneOffset?: string;
  /** Largest accepted `Limit`; 0 means no maximum. Default 0. */
  maxLimit?: number;
  /** What a `Limit` above `maxLimit` does: `clamp` (silently) or `reject` (error 8). Default `clamp`. */
  overMaxLimit?: "clamp" | "reject";
  /**
   * Most events in any one response, with or without `Limit`, cut silently (a server-side cap that also
   * applies to a read without `Limit`); 0 means none. Default 0.
   */
  maxEventsPerResponse?: number;
  /**
   * Error code for an unknown `method`: 55 (operation not found) or 509 (not available in this version). Default 55.
   */
  unknownMethodCode?: 55 | 509;
  /** Chance per GetEventsLog request that late events are inserted into the past of each requested log. Default 0. */
  lateEventRate?: number;
  /** How far into the past a late event may land, in seconds before the clock. Default 3,600. */
  lateEventMaxAgeSec?: number;
  /** Late events inserted per log when the chance hits. Default 1. */
  lateEventCount?: number;
  /** Requests in flight at once per token; more get error 506. 0 disables. Default 5. */
  concurrentRequests?: number;
  /** Requests per second per token (sliding window); more get error 506. 0 disables. Default 0. */
  requestsPerSecond?: number;
  /** Calls per token per UTC day of the clock; later calls get error 56. 0 disables. Default 50,000. */
  dailyCallLimit?: number;
  /** Points awarded per token per UTC day of the clock. Default 32,000. */
  pointsPerDay?: number;
  /** Points one GetEventsLog call costs; a call that does not fit into the day's rest gets 152. Default 0. */
  pointsPerCall?: number;
  /** Share of requests (0–1) answered with an injected error, per code; 502 is HTTP 502. Default none. */
  apiErrorRates?: Partial<Record<InjectableCode, number>>;
  /** Transport faults (5xx, hangs, truncated, non-JSON and HTML bodies), see common/transport.faults.ts. Default none. */
  faults?: FaultOptions;
  /**
   * Time from a request's arrival to its answer, ms: the answer is built as the request arrives and sent once this
   * much has passed (lets tests hold requests in flight; a bench's answers take this long, not this plus the building).
   * Default 0.
   */
  latencyMs?: number;
  /**
   * Most clients in one AgencyClients.get page, whatever `Limit` asks (cut silently; `LimitedBy` still
   * tells where the page ended); 0 means no cap below the API's 10,000. Default 0.
   */
  agencyClientsPageCap?: number;
  /** When true, an AgencyClients.get result without clients has no `Clients` key at all. Default false. */
  agencyClientsOmitEmptyClients?: boolean;
  /**
   * When above 0, every AgencyClients.get page after the first N of a listing (judged by `Offset` and the
   * page size) answers `agencyClientsFailure`, until set back to 0: a listing that breaks halfway. Default 0.
   */
  agencyClientsFailAfterPages?: number;
  /** What a page past `agencyClientsFailAfterPages` answers. Default 1000. */
  agencyClientsFailure?: AgencyClientsFault;
  /**
   * When true, v5 errors come with an HTTP status (400, 401, 403, 429, 500 or 503 by code); when false with
   * HTTP 200. Both happen in reality. Default false.
   */
  agencyClientsHttpErrors?: boolean;
  /** When set, every Clients.get call answers it instead of the token's user. Default null. */
  clientsGetFailure?: ClientsGetFault | null;
}

export type YandexDirectSimulatorOptions = YandexDirectDataOptions & YandexDirectBehaviourOptions;

export type ResolvedDataOptions = Required<YandexDirectDataOptions>;
export type ResolvedBehaviourOptions = Required<YandexDirectBehaviourOptions>;

/** Start-only defaults; `listedClients` defaults to `clientLogins` and `clock` to `Date.now`. */
export const DATA_DEFAULTS: Omit<ResolvedDataOptions, "clock" | "listedClients"> = {
  port: 0,
  host: "127.0.0.1",
  seed: 1,
  clientLogins: 3,
  archivedClients: 0,
  clientCurrencies: "RUB",
  eventsPerHour: 6,
  historyDays: 7,
  campaignsPerLogin: 5,
  bannersPerCampaign: 4,
  phrasesPerBanner: 3,
  burstRate: 0,
  burstSize: 1500,
  agencyToken: "agency-token",
  advertiserToken: "advertiser-token",
  advertiserLogin: "advertiser",
};

export const BEHAVIOUR_DEFAULTS: ResolvedBehaviourOptions = {
  order: "ascending",
  fromInclusive: true,
  toInclusive: true,
  zonelessTimestamps: false,
  zoneOffset: "+03:00",
  maxLimit: 0,
  overMaxLimit: "clamp",
  maxEventsPerResponse: 0,
  unknownMethodCode: 55,
  lateEventRate: 0,
  lateEventMaxAgeSec: 3600,
  lateEventCount: 1,
  concurrentRequests: 5,
  requestsPerSecond: 0,
  dailyCallLimit: 50_000,
  pointsPerDay: 32_000,
  pointsPerCall: 0,
  apiErrorRates: {},
  faults: {},
  latencyMs: 0,
  agencyClientsPageCap: 0,
  agencyClientsOmitEmptyClients: false,
  agencyClientsFailAfterPages: 0,
  agencyClientsFailure: 1000,
  agencyClientsHttpErrors: false,
  clientsGetFailure: null,
};
