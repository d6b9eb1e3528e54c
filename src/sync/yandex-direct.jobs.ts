/**
 * Yandex.Direct streams as engine jobs: one per configured login (or one for the token owner), all of an
 * account sharing one client and so one request gate. Each window becomes one page: occurrences are
 * numbered within the window's response, then every item is mapped or rejected.
 */
import { resolveStartTime, type YandexDirectAccountConfig } from "../config/config.schema.js";
import type { HttpAgent } from "../http/post.js";
import { createRequestGate } from "../http/request-gate.js";
import { DESCRIPTION_FIELDS, mapEvent, type YandexDirectEvent } from "../sources/yandex-direct/events.mapper.js";
import {
  type EventsStreamSettings,
  type EventsWindow,
  readEventWindows,
} from "../sources/yandex-direct/events.stream.js";
import { createYandexDirectClient, type YandexDirectClient } from "../sources/yandex-direct/yandex-direct.client.js";
import { yandexDirectEndpointUrl } from "../vocabulary.js";
import type { EventsLogFilter } from "../sources/yandex-direct/yandex-direct.schemas.js";
import { type YandexDirectEventRowInput, yandexDirectEventsTable } from "../warehouse/copy-columns.js";
import type { RejectedRecord } from "../warehouse/load-page.js";
import { type CanonicalText, eventKey, OccurrenceCounter, streamIdentity, writeCanonical } from "./event-identity.js";
import type { Assert, SameColumns } from "./row-check.js";
import type { StreamJob, StreamBatch } from "./run-stream.js";

/** The stream key of the token owner's stream, and its rows' login when the config does not name it (ownerLogin). */
export const OWNER_LOGIN = "(owner)";

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

/** Columns of a row that come from the stream and the event's identity, not from the mapper. */
type IdentityColumns = "event_key" | "account" | "login" | "occurrence" | "raw";

/** Compile-time check: the mapper gives exactly the table's other columns, each of a type the row takes. */
export type MapperCoversYandexDirectRow = Assert<
  SameColumns<YandexDirectEvent, Omit<YandexDirectEventRowInput, IdentityColumns>>
>;

/**
 * The one place a Yandex.Direct event row is made: every column named, one fixed shape for all rows.
 * `raw` is the record's canonical JSON text with every key.
 */
function eventRow(
  e: YandexDirectEvent,
  key: string,
  account: string,
  login: string,
  occurrence: number,
  raw: string,
): YandexDirectEventRowInput {
  return {
    event_key: key,
    account,
    login,
    event_time: e.event_time,
    event_type: e.event_type,
    event_name: e.event_name,
    campaign_id: e.campaign_id,
    banner_id: e.banner_id,
    phrase_id: e.phrase_id,
    account_id: e.account_id,
    text_description: e.text_description,
    moderation_result: e.moderation_result,
    is_edited_by_moderator: e.is_edited_by_moderator,
    min_price: e.min_price,
    rest: e.rest,
    payed: e.payed,
    currency: e.currency,
    finish_date: e.finish_date,
    old_place: e.old_place,
    stop_time: e.stop_time,
    occurrence,
    raw,
  };
}

/**
 * One window's rows and rejects. Occurrences are numbered over every item of the window (rejects included)
 * on the item without its locale-dependent descriptions; the event key is computed from that text.
 */
export function windowRows(
  window: Pick<EventsWindow, "items" | "times">,
  stream: { keyPrefix: string; account: string; login: string; zone: string; currency: string },
): { events: YandexDirectEventRowInput[]; rejects: RejectedRecord[] } {
  const events: YandexDirectEventRowInput[] = [];
  const rejects: RejectedRecord[] = [];
  const occurrences = new OccurrenceCounter();
  const text: CanonicalText = { identity: "", json: "" };
  const { items, times } = window;
  for (let i = 0; i < items.length; i++) {
    const record = items[i];
    writeCanonical(record, DESCRIPTION_FIELDS, text);
    const occurrence = occurrences.next(text.identity);
    const mapped = mapEvent(record, stream.zone, stream.currency, times[i]);
    if (!mapped.ok) {
      rejects.push({ reason: mapped.reason, payload: record });
      continue;
    }
    events.push(
      eventRow(
        mapped.event,
        eventKey(stream.keyPrefix, text.identity, occurrence),
        stream.account,
        stream.login,
        occurrence,
        text.json,
      ),
    );
  }
  return { events, rejects };
}

export function yandexDirectJobs(
  account: YandexDirectAccountConfig,
  now: () => Date,
  agent: HttpAgent,
): StreamJob<YandexDirectEventRowInput>[] {
  const client = createYandexDirectClient({
    agent,
    endpoint: yandexDirectEndpointUrl(account.endpoint),
    token: account.token,
    locale: account.locale,
    timeoutMs: account.timeout,
    gate: createRequestGate({ concurrency: account.concurrency, requestsPerSecond: account.requestsPerSecond }),
    retry: { retries: account.retries, minDelayMs: account.retryMinDelay, maxDelayMs: account.retryMaxDelay },
  });
  const startTime = resolveStartTime(account.startTime, now());
  const logins: Array<string | undefined> =
    account.logins && account.logins.length > 0 ? [...account.logins] : [undefined];
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
  // The owner's stream keeps its key (so its cursor and event keys survive setting ownerLogin later); its
  // rows carry the owner's real login when the config names it.
  const storedLogin = login ?? account.ownerLogin ?? OWNER_LOGIN;
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
      const windows = readEventWindows(
        client,
        settings,
        { cursor: start.cursor, state: start.state, now: now() },
        tally,
        signal,
        () => now().getTime(),
      );
      const rowsOf = {
        keyPrefix,
        account: account.name,
        login: storedLogin,
        zone: settings.zone,
        currency: account.currency,
      };
      for await (const window of windows) {
        const { events, rejects } = windowRows(window, rowsOf);
        const page: StreamBatch<YandexDirectEventRowInput> = {
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
