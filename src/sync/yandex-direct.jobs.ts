/**
 * Yandex.Direct streams as engine jobs: one per configured login (or one for the token owner), all of an
 * account sharing one client and so one request gate. Each window becomes one page: occurrences are
 * numbered within the window's response, then every item is mapped or rejected.
 */
import { resolveStartTime, type YandexDirectAccountConfig } from "../config/config.schema.js";
import type { HttpAgent } from "../http/post.js";
import { createRequestGate } from "../http/request-gate.js";
import { DESCRIPTION_FIELDS, mapEvent } from "../sources/yandex-direct/events.mapper.js";
import { type EventsStreamSettings, readEventWindows } from "../sources/yandex-direct/events.stream.js";
import { createYandexDirectClient, PRODUCTION_ENDPOINT, SANDBOX_ENDPOINT, type YandexDirectClient } from "../sources/yandex-direct/yandex-direct.client.js";
import type { EventsLogFilter } from "../sources/yandex-direct/yandex-direct.schemas.js";
import { type YandexDirectEventRowInput, yandexDirectEventsTable } from "../warehouse/event-tables.js";
import type { RejectedRecord } from "../warehouse/load-page.js";
import { canonicalJson, eventKey, numberOccurrences, streamIdentity } from "./event-identity.js";
import type { StreamJob, StreamPage } from "./run-stream.js";

/** The login a stream without configured logins is stored under: the token owner. */
export const OWNER_LOGIN = "(owner)";

export function endpointUrl(endpoint: string): string {
  if (endpoint === "production") return PRODUCTION_ENDPOINT;
  if (endpoint === "sandbox") return SANDBOX_ENDPOINT;
  return endpoint;
}

function filterOf(account: YandexDirectAccountConfig): EventsLogFilter | undefined {
  const f = account.filter;
  if (!f) return undefined;
  const filter: EventsLogFilter = {
    ...(f.campaignIds ? { CampaignIDS: [...f.campaignIds] } : {}),
    ...(f.bannerIds ? { BannerIDS: [...f.bannerIds] } : {}),
    ...(f.phraseIds ? { PhraseIDS: [...f.phraseIds] } : {}),
    ...(f.accountIds ? { AccountIDS: [...f.accountIds] } : {}),
    ...(f.eventTypes ? { EventType: [...f.eventTypes] } : {}),
  };
  return Object.keys(filter).length > 0 ? filter : undefined;
}

/** An event's identity: the item without its locale-dependent descriptions. */
const identityOf = (item: unknown) => canonicalJson(item, DESCRIPTION_FIELDS);

export function yandexDirectJobs(account: YandexDirectAccountConfig, now: () => Date, agent: HttpAgent): StreamJob<YandexDirectEventRowInput>[] {
  const client = createYandexDirectClient({
    agent,
    endpoint: endpointUrl(account.endpoint),
    token: account.token,
    locale: account.locale,
    timeoutMs: account.timeout,
    gate: createRequestGate({ concurrency: account.concurrency, requestsPerSecond: account.requestsPerSecond }),
    retry: { retries: account.retries, minDelayMs: account.retryMinDelay, maxDelayMs: account.retryMaxDelay },
  });
  const startTime = resolveStartTime(account.startTime, now());
  const logins: Array<string | undefined> = account.logins && account.logins.length > 0 ? [...account.logins] : [undefined];
  return logins.map((login) => loginJob(client, account, login, startTime, now));
}

function loginJob(
  client: YandexDirectClient,
  account: YandexDirectAccountConfig,
  login: string | undefined,
  startTime: Date,
  now: () => Date,
): StreamJob<YandexDirectEventRowInput> {
  const identity = { source: "yandex_direct" as const, account: account.name, streamKey: login ?? OWNER_LOGIN };
  const keyPrefix = streamIdentity(identity.source, identity.account, identity.streamKey);
  const settings: EventsStreamSettings = {
    login,
    currency: account.currency,
    filter: filterOf(account),
    withTextDescription: account.withTextDescription,
    zone: account.timestampZone,
    pageLimit: account.pageLimit,
    startTime,
    lookbackMs: account.lookback,
    settleLagMs: account.settleLag,
    maxWindowMs: account.maxWindow,
    capacityMemoryMs: account.capacityMemory,
  };
  return {
    identity,
    table: yandexDirectEventsTable,
    async *read(start, tally, signal) {
      const windows = readEventWindows(client, settings, { cursor: start.cursor, state: start.state, now: now() }, tally, signal, () => now().getTime());
      for await (const window of windows) {
        const events: YandexDirectEventRowInput[] = [];
        const rejects: RejectedRecord[] = [];
        for (const { record, canonical, occurrence } of numberOccurrences(window.items, identityOf)) {
          const mapped = mapEvent(record, settings.zone);
          if (!mapped.ok) {
            rejects.push({ reason: mapped.reason, payload: record });
            continue;
          }
          events.push({
            ...mapped.event,
            event_key: eventKey(keyPrefix, canonical, occurrence),
            account: account.name,
            login: identity.streamKey,
            occurrence,
            raw: record,
          });
        }
        const page: StreamPage<YandexDirectEventRowInput> = {
          events,
          rejects,
          cursor: window.cursor,
          state: { ...window.state },
          fetched: window.items.length,
          gaps: window.gaps,
        };
        yield page;
      }
    },
  };
}
