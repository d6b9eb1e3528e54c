import type { IncomingMessage, ServerResponse } from "node:http";
import { startHttpServer } from "../common/http-server.js";
import { createRandom, deriveSeed } from "../common/random.js";
import { createRequestCounters } from "../common/request-counters.js";
import { createRequestLimiter, type RequestLimitOptions } from "../common/request-limits.js";
import { handleAdmin } from "./yandex-direct.admin.js";
import { AGENCY_CLIENTS_PATHS, handleAgencyClients } from "./yandex-direct.agency.js";
import { agencyControls, createAgencyClients, type AgencyControls } from "./yandex-direct.agency-controls.js";
import { buildAccounts, EventStore, type SimulatedAccount, type StoreStats } from "./yandex-direct.data.js";
import { handleApi, type SimulatorState } from "./yandex-direct.handler.js";
import {
  BEHAVIOUR_DEFAULTS,
  INJECTABLE_CODES,
  mergeBehaviourOptions,
  resolveDataOptions,
  type Currency,
  type InjectableCode,
  type Locale,
  type ResolvedBehaviourOptions,
  type YandexDirectBehaviourOptions,
  type YandexDirectSimulatorOptions,
} from "./yandex-direct.options.js";
import { runQuery } from "./yandex-direct.query.js";
import { renderItem, toRecord, type AddedEvent, type EventsLogItem } from "./yandex-direct.render.js";
import { offsetMinutes, parseTimestamp } from "./yandex-direct.time.js";

/** Ground-truth query: one login's log in the closed range [from, to], as the server would render it. */
export interface GroundTruthQuery {
  login: string;
  /** ISO timestamp (zone-less read like request timestamps) or ms epoch. Default: the start of the log. */
  from?: string | number;
  /** Same forms. Default and cap: the clock. */
  to?: string | number;
  /** Default RUB. */
  currency?: Currency;
  /** Default en. */
  locale?: Locale;
  /** Default false. */
  withTextDescription?: boolean;
}

export interface BurstSpec {
  /** When: ISO timestamp or ms epoch. */
  at: string | number;
  /** How many identical events. */
  count: number;
  /** The event to repeat, without Timestamp. Default: MoneyIn of 1,000 RUB on the login's first campaign. */
  event?: Omit<AddedEvent, "Timestamp">;
}

/** The in-process handle: ground truth and control of a running simulator. */
export interface YandexDirectSimulator extends AgencyControls {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `url` + `/live/v4/json/`: where clients POST. */
  readonly endpoint: string;
  /** `url` + `/json/v5/agencyclients`: AgencyClients.get (API v5; `/json/v501/agencyclients` works too). */
  readonly agencyClientsEndpoint: string;
  /** Every accepted token with its login; the agency lists its client logins. */
  readonly accounts: readonly SimulatedAccount[];
  readonly agency: SimulatedAccount;
  readonly advertiser: SimulatedAccount;
  /** Campaign ids and shared account id that a login's generated events use. */
  ids(login: string): { campaignIds: number[]; accountId: number };
  /** Exactly the events the server holds for the login in [from, to] and up to the clock, ascending. */
  events(query: GroundTruthQuery): EventsLogItem[];
  /** Number of events of a login (or of all logins) up to the clock. */
  countEvents(login?: string): number;
  /** Adds events to a login's log (served once the clock reaches them). */
  addEvents(login: string, items: readonly AddedEvent[]): void;
  /** Adds `count` identical events in one second; returns the rendered event (RUB, en). */
  addBurst(login: string, burst: BurstSpec): EventsLogItem;
  /**
   * Requests received: `{ [token]: { [method]: n } }`. Live 4 calls count under their method (`GetEventsLog`),
   * AgencyClients calls under `AgencyClients.get` (other methods `AgencyClients.<method>`); no token: `(none)`.
   */
  requestCounts(): Record<string, Record<string, number>>;
  resetRequestCounts(): void;
  /**
   * The `RequestId` header of every Live 4 answer sent (errors and faults included; a hang sends none), oldest
   * first: the last 1,000. A decimal id like the real API's.
   */
  requestIds(): string[];
  /** Current runtime options. */
  options(): ResolvedBehaviourOptions;
  /** Changes runtime options; throws naming a bad option. */
  setOptions(partial: Partial<YandexDirectBehaviourOptions>): void;
  /**
   * The next `count` Live 4 requests carrying `token` fail with `code` (52/500/503/504 as bodies, 502 as HTTP
   * 502). AgencyClients calls have their own queue (`failAgencyClientsNext`), so one API's faults never land on
   * the other's calls.
   */
  failNext(token: string, code: InjectableCode, count?: number): void;
  stats(): StoreStats;
  close(): Promise<void>;
}

const API_PATH = "/live/v4/json/";

/**
 * Starts the offline Yandex.Direct simulator on loopback: Live 4 GetEventsLog and v5 AgencyClients.get.
 * Routes: `POST /live/v4/json/` (also without the trailing slash), `POST /json/v5/agencyclients` (and
 * `/json/v501/agencyclients`, yandex-direct.agency.ts) and the admin routes in yandex-direct.admin.ts.
 */
export async function startYandexDirectSimulator(
  options: YandexDirectSimulatorOptions = {},
): Promise<YandexDirectSimulator> {
  const data = resolveDataOptions(options);
  const behaviourInput: Partial<YandexDirectBehaviourOptions> = {};
  for (const key of Object.keys(BEHAVIOUR_DEFAULTS) as Array<keyof YandexDirectBehaviourOptions>) {
    if (options[key] !== undefined) Object.assign(behaviourInput, { [key]: options[key] });
  }
  const behaviour = mergeBehaviourOptions(BEHAVIOUR_DEFAULTS, behaviourInput);
  const accountList = buildAccounts(data);
  const limits: RequestLimitOptions = {};
  const state: SimulatorState = {
    data,
    behaviour,
    store: new EventStore(
      data,
      accountList.map((a) => a.login),
      data.clock(),
    ),
    accounts: new Map(accountList.map((a) => [a.token, a])),
    clients: createAgencyClients(data, accountList),
    counters: createRequestCounters(),
    limiter: createRequestLimiter(limits),
    failQueue: new Map(),
    agencyFailQueue: new Map(),
    quotas: new Map(),
    faultRandom: createRandom(deriveSeed(data.seed, "faults")),
    errorRandom: createRandom(deriveSeed(data.seed, "errors")),
    lateRandom: createRandom(deriveSeed(data.seed, "late")),
    requestSeq: 0,
    sentRequestIds: [],
  };
  const applyLimits = (): void => {
    // The limiter reads this object on every admission, so runtime changes take effect at once.
    limits.concurrentRequests = state.behaviour.concurrentRequests;
    limits.requestsPerSecond = state.behaviour.requestsPerSecond;
  };
  applyLimits();

  const naiveOffset = (): number =>
    state.behaviour.zonelessTimestamps ? offsetMinutes(state.behaviour.zoneOffset) : 0;
  const toMs = (value: string | number, name: string): number => {
    const ms = typeof value === "number" ? value : parseTimestamp(value, naiveOffset());
    if (ms === null || !Number.isFinite(ms))
      throw new TypeError(`Expected \`${name}\` to be a timestamp, got \`${value}\``);
    return ms;
  };
  const checkLogin = (login: string): void => {
    if (!state.store.hasLogin(login)) throw new TypeError(`Unknown login \`${login}\``);
  };

  const handle: Omit<YandexDirectSimulator, "url" | "endpoint" | "agencyClientsEndpoint" | "close"> = {
    accounts: accountList,
    agency: accountList.find((a) => a.role === "agency") as SimulatedAccount,
    advertiser: accountList.find((a) => a.role === "advertiser") as SimulatedAccount,
    ids: (login) => {
      checkLogin(login);
      return state.store.ids(login);
    },
    events(query) {
      checkLogin(query.login);
      const nowMs = data.clock();
      const records = runQuery(
        state.store,
        {
          logins: [query.login],
          fromMs: query.from === undefined ? Number.NEGATIVE_INFINITY : toMs(query.from, "from"),
          fromInclusive: true,
          toMs: query.to === undefined ? nowMs : toMs(query.to, "to"),
          toInclusive: true,
          filter: {},
          lastEventOnly: false,
          order: "ascending",
          offset: 0,
        },
        Math.floor(nowMs / 1000),
        data.seed,
      );
      const ctx = {
        currency: query.currency ?? "RUB",
        locale: query.locale ?? "en",
        withTextDescription: query.withTextDescription ?? false,
        zoneless: state.behaviour.zonelessTimestamps,
        offsetMin: offsetMinutes(state.behaviour.zoneOffset),
      };
      return records.map((r) => renderItem(r, ctx));
    },
    countEvents(login) {
      const nowSec = Math.floor(data.clock() / 1000);
      const logins = login === undefined ? accountList.map((a) => a.login) : [login];
      logins.forEach(checkLogin);
      return logins.reduce((sum, l) => sum + state.store.count(l, nowSec), 0);
    },
    addEvents(login, items) {
      checkLogin(login);
      const records = items.map((item) => toRecord(item, naiveOffset()));
      for (const record of records) state.store.add(login, record);
    },
    addBurst(login, burst) {
      checkLogin(login);
      if (!Number.isInteger(burst.count) || burst.count < 1) {
        throw new TypeError(`Expected \`count\` to be an integer ≥ 1, got \`${burst.count}\``);
      }
      const template = burst.event ?? {
        EventType: "MoneyIn",
        CampaignID: state.store.ids(login).campaignIds[0],
        Attributes: { Payed: 1000, Currency: "RUB" },
      };
      const record = toRecord({ ...template, Timestamp: toMs(burst.at, "at") }, naiveOffset());
      for (let i = 0; i < burst.count; i++) state.store.add(login, { ...record });
      return renderItem(record, {
        currency: "RUB",
        locale: "en",
        withTextDescription: false,
        zoneless: state.behaviour.zonelessTimestamps,
        offsetMin: offsetMinutes(state.behaviour.zoneOffset),
      });
    },
    requestCounts: () => state.counters.snapshot(),
    resetRequestCounts: () => state.counters.reset(),
    requestIds: () => [...state.sentRequestIds],
    options: () => ({ ...state.behaviour }),
    setOptions(partial) {
      state.behaviour = mergeBehaviourOptions(state.behaviour, partial);
      applyLimits();
    },
    failNext(token, code, count = 1) {
      if (!INJECTABLE_CODES.includes(code)) {
        throw new TypeError(`Expected \`code\` to be one of ${INJECTABLE_CODES.join(", ")}, got \`${code}\``);
      }
      if (!Number.isInteger(count) || count < 0)
        throw new TypeError(`Expected \`count\` to be an integer ≥ 0, got \`${count}\``);
      const queue = state.failQueue.get(token) ?? [];
      for (let i = 0; i < count; i++) queue.push(code);
      if (queue.length > 0) state.failQueue.set(token, queue);
    },
    stats: () => state.store.stats(),
    ...agencyControls(state, accountList),
  };

  const server = await startHttpServer(
    async (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path === API_PATH || path === API_PATH.slice(0, -1)) return handleApi(state, req, res);
      if ((AGENCY_CLIENTS_PATHS as readonly string[]).includes(path)) return handleAgencyClients(state, req, res);
      if (path.startsWith("/__admin/")) return handleAdmin(handle, req, res);
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(`Not found: the API is POST ${API_PATH} and POST ${AGENCY_CLIENTS_PATHS[0]}`);
    },
    { port: data.port, host: data.host },
  );
  return {
    ...handle,
    url: server.url,
    endpoint: `${server.url}${API_PATH}`,
    agencyClientsEndpoint: `${server.url}${AGENCY_CLIENTS_PATHS[0]}`,
    close: () => server.close(),
  };
}
