/**
 * Yandex.Direct streams as engine jobs: one per configured login, one for the token owner, or one per client
 * the agency's listing returns (`logins: all`), all of an account sharing one client and so one request gate. Each window becomes one page: occurrences are
 * numbered within the window's response, then every item is mapped or rejected.
 * One login's job: yandex-direct.login-job.ts; a window's rows: yandex-direct.batches.ts.
 */
import {
  configuredLogins,
  discoversLogins,
  resolveStartTime,
  type YandexDirectAccountConfig,
} from "../config/config.schema.js";
import type { HttpAgent } from "../http/http.post.js";
import { createRequestGate, type RequestGate } from "../http/request.gate.js";
import { createAuditPolicy } from "../sources/page.capacity.js";
import { createYandexDirectClient } from "../sources/yandex-direct/yandex-direct.client.js";
import { CURRENCIES, type Currency, yandexDirectEndpointUrl } from "../vocabulary.js";
import type { YandexDirectEventRowInput } from "../warehouse/copy.columns.js";
import type { KnownClient } from "../warehouse/clients.repository.js";
import type { StreamJob } from "./run-stream.engine.js";
import { learnOwnerLogin } from "../sources/yandex-direct/owner-login.client.js";
import { loginJob, type OwnerLoginLookup } from "./yandex-direct.login-job.js";
import { RequestsAheadShare } from "./requests-ahead.share.js";
import { type DiscoveryDependencies, type DiscoveryOutcome, discoverClients } from "./yandex-direct.discovery.js";

export { type MapperCoversYandexDirectRow, snapshotOf, windowRows } from "./yandex-direct.batches.js";

/** One login to read: its GetEventsLog login, its stream, and the currency it is read in. */
type LoginPlan = Parameters<typeof loginJob>[2];

/**
 * The stream key of the token owner's stream (its rows carry the owner's real login: ownerLogin, or else the
 * one Clients.get gives); rows stored before that was learned carry it as their login.
 */
export const OWNER_LOGIN = "(owner)";

export interface YandexDirectPlan {
  jobs: StreamJob<YandexDirectEventRowInput>[];
  /** With `logins: all`: what the listing of the agency's clients found. */
  discovery?: DiscoveryOutcome;
}

/**
 * The jobs of one account: one per configured login, one for the token owner, or (with `logins: all`) one per
 * client the agency's listing returns, all sharing one client and so one request gate.
 */
export async function planYandexDirectJobs(
  account: YandexDirectAccountConfig,
  deps: DiscoveryDependencies & {
    now: () => Date;
    agent: HttpAgent;
    gate?: RequestGate;
    /** Streams the run reads at once (the share of requests ahead follows it); default 1. */
    parallelStreams?: number;
    /** The streams chosen (`--stream`); default all. */
    chosen?: (streamKey: string) => boolean;
  },
): Promise<YandexDirectPlan> {
  const gate =
    deps.gate ?? createRequestGate({ concurrency: account.concurrency, requestsPerSecond: account.requestsPerSecond });
  const connection = {
    agent: deps.agent,
    endpoint: yandexDirectEndpointUrl(account.endpoint),
    token: account.token,
    locale: account.locale,
    timeoutMs: account.timeout,
    gate,
    retry: { retries: account.retries, minDelayMs: account.retryMinDelay, maxDelayMs: account.retryMaxDelay },
  };
  const client = createYandexDirectClient(connection);
  const startTime = resolveStartTime(account.startTime, deps.now());
  const audit = createAuditPolicy(account.auditShare);
  const chosen = deps.chosen ?? (() => true);
  // The account's streams share their requests ahead: made once the chosen logins are known.
  const jobs = (plans: LoginPlan[]) => {
    const picked = plans.filter((p) => chosen(p.streamKey));
    const ahead = new RequestsAheadShare(account.requestsAhead, picked.length, deps.parallelStreams ?? 1);
    return picked.map((plan) => loginJob(client, account, plan, { startTime, audit, ahead }, deps.now));
  };
  // API v5 calls take the account's endpoint as configured: their URL is derived from it.
  const v5 = { ...connection, endpoint: account.endpoint, redact: client.redact };
  if (!discoversLogins(account)) {
    const lookup: OwnerLoginLookup = (tally, signal) => learnOwnerLogin(v5, tally, signal);
    return { jobs: jobs(configuredPlans(account, lookup)) };
  }
  const discovery = await discoverClients(account, v5, deps);
  return { jobs: jobs(discovery.clients.map((c) => discoveredPlan(account, c))), discovery };
}

/**
 * The logins of an account that names them: each configured login, or else the token owner alone, whose rows
 * carry `ownerLogin` or, when the config does not name it, the login Clients.get gives at the start of its read.
 */
function configuredPlans(account: YandexDirectAccountConfig, lookup: OwnerLoginLookup): LoginPlan[] {
  const fixed = account.currency === "client" ? new Error("currency: client needs logins: all") : account.currency;
  const logins = configuredLogins(account);
  if (logins.length > 0)
    return logins.map((login) => ({ login, streamKey: login, storedLogin: login, currency: fixed }));
  return [
    {
      login: undefined,
      // The owner's stream keeps its key (so its cursor and event keys are the same whether its login is
      // configured or learned); its rows carry the owner's real login either way.
      streamKey: OWNER_LOGIN,
      storedLogin: account.ownerLogin ?? lookup,
      currency: fixed,
    },
  ];
}

/**
 * A discovered client's login. Logins are case-insensitive: a discovered client's rows carry its stream key (its
 * login in lower case when first listed), however the listing spells the login, so events.login and the stream
 * key always agree.
 */
function discoveredPlan(account: YandexDirectAccountConfig, c: KnownClient): LoginPlan {
  return {
    login: c.login,
    streamKey: c.streamKey,
    storedLogin: c.streamKey,
    currency: account.currency === "client" ? clientCurrency(c) : account.currency,
  };
}

/** The currency a client is listed with, if GetEventsLog takes it. */
function clientCurrency(client: { login: string; currency: string | null }): Currency | Error {
  const currency = CURRENCIES.find((c) => c === client.currency);
  return (
    currency ??
    new Error(
      `client ${client.login} is listed with currency ${client.currency ?? "(none)"}, which GetEventsLog does not take; set the account's currency to one of ${CURRENCIES.join(", ")}`,
    )
  );
}
