import type { IncomingMessage, ServerResponse } from "node:http";
import { startHttpServer } from "../common/loopback.server.js";
import { createRandom, deriveSeed } from "../common/seeded.random.js";
import { createRequestCounters } from "../common/request.counters.js";
import { createRequestLimiter, type RequestLimitOptions } from "../common/request.limits.js";
import { handleAdmin } from "./yandex-direct.admin.js";
import { AGENCY_CLIENTS_PATHS, handleAgencyClients } from "./yandex-direct.agency.js";
import { CLIENTS_PATHS, handleClientsGet } from "./yandex-direct.clients-get.js";
import { agencyControls, createAgencyClients, type AgencyControls } from "./yandex-direct.agency-controls.js";
import {
  addBurst,
  addEvents,
  checkLogin,
  countEvents,
  failNext,
  groundTruthEvents,
  type BurstSpec,
  type GroundTruthQuery,
} from "./yandex-direct.controls.js";
import { buildAccounts, EventStore, type SimulatedAccount, type StoreStats } from "./yandex-direct.data.js";
import { handleApi, type SimulatorState } from "./yandex-direct.handler.js";
import { mergeBehaviourOptions, resolveDataOptions } from "./yandex-direct.option-checks.js";
import {
  BEHAVIOUR_DEFAULTS,
  type InjectableCode,
  type ResolvedBehaviourOptions,
  type ResolvedDataOptions,
  type YandexDirectBehaviourOptions,
  type YandexDirectSimulatorOptions,
} from "./yandex-direct.options.js";
import type { AddedEvent, EventsLogItem } from "./yandex-direct.render.js";

export type { BurstSpec, GroundTruthQuery } from "./yandex-direct.controls.js";

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

/** The handle without the server's addresses and `close`: what the admin routes drive. */
type SimulatorControls = Omit<YandexDirectSimulator, "url" | "endpoint" | "agencyClientsEndpoint" | "close">;

/** The behaviour options given at start, over their defaults; throws naming a bad option. */
function startBehaviour(options: YandexDirectSimulatorOptions): ResolvedBehaviourOptions {
  const behaviourInput: Partial<YandexDirectBehaviourOptions> = {};
  for (const key of Object.keys(BEHAVIOUR_DEFAULTS) as Array<keyof YandexDirectBehaviourOptions>) {
    if (options[key] !== undefined) Object.assign(behaviourInput, { [key]: options[key] });
  }
  return mergeBehaviourOptions(BEHAVIOUR_DEFAULTS, behaviourInput);
}

/** Copies the request limits into `limits`, which the limiter reads on every admission: changes act at once. */
function applyLimits(limits: RequestLimitOptions, behaviour: ResolvedBehaviourOptions): void {
  limits.concurrentRequests = behaviour.concurrentRequests;
  limits.requestsPerSecond = behaviour.requestsPerSecond;
}

/** The server's state at start: the generated logs, the agency's clients, empty counters and queues. */
function createState(
  data: ResolvedDataOptions,
  behaviour: ResolvedBehaviourOptions,
  accountList: SimulatedAccount[],
  limits: RequestLimitOptions,
): SimulatorState {
  return {
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
}

/** The handle's ground truth and controls over the server's state (yandex-direct.controls.ts). */
function createControls(
  state: SimulatorState,
  limits: RequestLimitOptions,
  accountList: SimulatedAccount[],
): SimulatorControls {
  return {
    accounts: accountList,
    agency: accountList.find((a) => a.role === "agency") as SimulatedAccount,
    advertiser: accountList.find((a) => a.role === "advertiser") as SimulatedAccount,
    ids: (login) => {
      checkLogin(state, login);
      return state.store.ids(login);
    },
    events: (query) => groundTruthEvents(state, query),
    countEvents: (login) => countEvents(state, accountList, login),
    addEvents: (login, items) => addEvents(state, login, items),
    addBurst: (login, burst) => addBurst(state, login, burst),
    requestCounts: () => state.counters.snapshot(),
    resetRequestCounts: () => state.counters.reset(),
    requestIds: () => [...state.sentRequestIds],
    options: () => ({ ...state.behaviour }),
    setOptions(partial) {
      state.behaviour = mergeBehaviourOptions(state.behaviour, partial);
      applyLimits(limits, state.behaviour);
    },
    failNext: (token, code, count = 1) => failNext(state, token, code, count),
    stats: () => state.store.stats(),
    ...agencyControls(state, accountList),
  };
}

/** Routes a request to Live 4, AgencyClients or the admin routes; anything else is a 404 naming the API. */
function routeRequest(
  state: SimulatorState,
  controls: SimulatorControls,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === API_PATH || path === API_PATH.slice(0, -1)) return handleApi(state, req, res);
    if ((AGENCY_CLIENTS_PATHS as readonly string[]).includes(path)) return handleAgencyClients(state, req, res);
    if ((CLIENTS_PATHS as readonly string[]).includes(path)) return handleClientsGet(state, req, res);
    if (path.startsWith("/__admin/")) return handleAdmin(controls, req, res);
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end(`Not found: the API is POST ${API_PATH} and POST ${AGENCY_CLIENTS_PATHS[0]}`);
  };
}

/**
 * Starts the offline Yandex.Direct simulator on loopback: Live 4 GetEventsLog and v5 AgencyClients.get.
 * Routes: `POST /live/v4/json/` (also without the trailing slash), `POST /json/v5/agencyclients` (and
 * `/json/v501/agencyclients`, yandex-direct.agency.ts), `POST /json/v5/clients` (Clients.get for the token's
 * own user, yandex-direct.clients-get.ts) and the admin routes in yandex-direct.admin.ts.
 */
export async function startYandexDirectSimulator(
  options: YandexDirectSimulatorOptions = {},
): Promise<YandexDirectSimulator> {
  const data = resolveDataOptions(options);
  const behaviour = startBehaviour(options);
  const accountList = buildAccounts(data);
  const limits: RequestLimitOptions = {};
  const state = createState(data, behaviour, accountList, limits);
  applyLimits(limits, state.behaviour);
  const controls = createControls(state, limits, accountList);
  const server = await startHttpServer(routeRequest(state, controls), { port: data.port, host: data.host });
  return {
    ...controls,
    url: server.url,
    endpoint: `${server.url}${API_PATH}`,
    agencyClientsEndpoint: `${server.url}${AGENCY_CLIENTS_PATHS[0]}`,
    close: () => server.close(),
  };
}
