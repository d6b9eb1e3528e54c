/**
 * Yandex.Direct streams as engine jobs: one per configured login, one for the token owner, or one per client
 * the agency's listing returns (`logins: all`), all of an account sharing one client and so one request gate. Each window becomes one page: occurrences are
 * numbered within the window's response, then every item is mapped or rejected.
 */
import {
  configuredLogins,
  discoversLogins,
  resolveStartTime,
  type YandexDirectAccountConfig,
} from "../config/config.schema.js";
import type { HttpAgent } from "../http/post.js";
import { createRequestGate, type RequestGate } from "../http/request-gate.js";
import { DESCRIPTION_FIELDS, mapEvent, type YandexDirectEvent } from "../sources/yandex-direct/events.mapper.js";
import {
  type EventsStreamSettings,
  type EventsStreamState,
  readEventWindows,
  type Snapshot,
} from "../sources/yandex-direct/events.stream.js";
import { type AuditPolicy, createAuditPolicy } from "../sources/page-capacity.js";
import { createYandexDirectClient, type YandexDirectClient } from "../sources/yandex-direct/yandex-direct.client.js";
import { CURRENCIES, type Currency, yandexDirectEndpointUrl } from "../vocabulary.js";
import type { EventsLogFilter } from "../sources/yandex-direct/yandex-direct.schemas.js";
import { type YandexDirectEventRowInput, yandexDirectEventsTable } from "../warehouse/copy-columns.js";
import type { RejectedRecord } from "../warehouse/load-page.js";
import { type CanonicalText, eventKey, OccurrenceCounter, streamIdentity, writeCanonical } from "./event-identity.js";
import type { Redactor } from "../http/redact.js";
import { type Assert, rejectedRecord, type SameColumns } from "./row-check.js";
import type { StreamJob, StreamBatch } from "./run-stream.js";
import { type DiscoveryDependencies, type DiscoveryOutcome, discoverClients } from "./yandex-direct.discovery.js";

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
 * One snapshot's rows and rejects. Occurrences are numbered over every item of the snapshot (rejects
 * included) on the item without its locale-dependent descriptions; the event key is computed from that text.
 */
export function windowRows(
  window: Snapshot,
  stream: { keyPrefix: string; account: string; login: string; zone: string; currency: string; redact: Redactor },
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
      rejects.push(rejectedRecord(mapped.reason, record, stream.redact));
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

/** One login to read: the GetEventsLog login (none: the token owner), its stream, and the currency it is read in. */
interface LoginPlan {
  /** The login sent in `Logins`; undefined for the token owner's stream. */
  login: string | undefined;
  streamKey: string;
  /** The `login` column of its rows. */
  storedLogin: string;
  /** The currency its events are requested in; an Error when it has none GetEventsLog takes. */
  currency: Currency | Error;
}

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
  deps: DiscoveryDependencies & { now: () => Date; agent: HttpAgent; gate?: RequestGate },
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
  const job = (plan: LoginPlan) => loginJob(client, account, plan, { startTime, audit }, deps.now);
  if (!discoversLogins(account)) {
    const fixed = account.currency === "client" ? new Error("currency: client needs logins: all") : account.currency;
    const logins = configuredLogins(account);
    const plans: LoginPlan[] =
      logins.length > 0
        ? logins.map((login) => ({ login, streamKey: login, storedLogin: login, currency: fixed }))
        : [
            {
              login: undefined,
              // The owner's stream keeps its key (so its cursor and event keys survive setting ownerLogin
              // later); its rows carry the owner's real login when the config names it.
              streamKey: OWNER_LOGIN,
              storedLogin: account.ownerLogin ?? OWNER_LOGIN,
              currency: fixed,
            },
          ];
    return { jobs: plans.map(job) };
  }
  const discovery = await discoverClients(
    account,
    { ...connection, endpoint: account.endpoint, redact: client.redact },
    deps,
  );
  // Logins are case-insensitive: a discovered client's rows carry its stream key (its login in lower case when
  // first listed), however the listing spells the login, so events.login and the stream key always agree.
  const plans = discovery.clients.map((c): LoginPlan => ({
    login: c.login,
    streamKey: c.streamKey,
    storedLogin: c.streamKey,
    currency: account.currency === "client" ? clientCurrency(c) : account.currency,
  }));
  return { jobs: plans.map(job), discovery };
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

/** A currency the stream's events were read in before, and from when the new one applies. */
interface CurrencyChange {
  from: string;
  to: string;
  at: string;
}

function loginJob(
  client: YandexDirectClient,
  account: YandexDirectAccountConfig,
  plan: LoginPlan,
  run: { startTime: Date; audit: AuditPolicy },
  now: () => Date,
): StreamJob<YandexDirectEventRowInput> {
  const identity = { source: "yandex_direct" as const, account: account.name, streamKey: plan.streamKey };
  const keyPrefix = streamIdentity(identity.source, identity.account, identity.streamKey);
  const currency = plan.currency;
  const settings = (currency: Currency): EventsStreamSettings => ({
    login: plan.login,
    currency,
    filter: filterOf(account),
    withTextDescription: account.withTextDescription,
    zone: account.timestampZone,
    pageLimit: account.pageLimit,
    startTime: run.startTime,
    lookbackMs: account.lookback,
    settleLagMs: account.settleLag,
    maxWindowMs: account.maxWindow,
    completeness: account.completeness,
    capacityMemoryMs: account.capacityMemory,
    audit: run.audit,
  });
  return {
    identity,
    table: yandexDirectEventsTable,
    async *read(start, tally, signal) {
      if (currency instanceof Error) throw currency;
      const rowsOf = (currency: Currency) => ({
        keyPrefix,
        account: account.name,
        login: plan.storedLogin,
        zone: account.timestampZone,
        currency,
        redact: client.redact,
      });
      async function* pass(read: EventsStreamSettings, cursor: Date | null, state: Record<string, unknown>) {
        const windows = readEventWindows(
          client,
          read,
          { cursor, state: state as EventsStreamState, now: now() },
          tally,
          signal,
          () => now().getTime(),
        );
        for await (const window of windows) {
          const events: YandexDirectEventRowInput[] = [];
          const rejects: RejectedRecord[] = [];
          for (const snapshot of window.snapshots) {
            const rows = windowRows(snapshot, rowsOf(read.currency));
            for (const row of rows.events) events.push(row);
            for (const reject of rows.rejects) rejects.push(reject);
          }
          const page: StreamBatch<YandexDirectEventRowInput> = {
            events,
            rejects,
            cursor: window.cursor,
            state: { ...window.state, currency: read.currency },
            fetched: window.fetched,
            gaps: window.gaps,
            covered: { from: window.from, to: window.to },
          };
          yield page;
        }
      }
      const before = typeof start.state.currency === "string" ? (start.state.currency as Currency) : undefined;
      if (!start.cursor || before === undefined || before === currency) {
        yield* pass(settings(currency), start.cursor, start.state);
        return;
      }
      // Money values are part of an event's identity: the lookback is read one last time in the currency it
      // was stored in, and the new currency applies from the cursor on, so nothing is stored twice.
      const changes = Array.isArray(start.state.currencyChanges)
        ? (start.state.currencyChanges as CurrencyChange[])
        : [];
      let state: Record<string, unknown> = start.state;
      for await (const batch of pass({ ...settings(before), endAt: start.cursor.getTime() }, start.cursor, state)) {
        state = batch.state;
        yield batch;
      }
      const change: CurrencyChange = { from: before, to: currency, at: start.cursor.toISOString() };
      const recorded = { ...state, currencyChanges: [...changes, change].slice(-20) };
      let moved = false;
      for await (const batch of pass({ ...settings(currency), lookbackMs: 0 }, start.cursor, recorded)) {
        moved = true;
        yield { ...batch, state: { ...batch.state, currencyChanges: recorded.currencyChanges } };
      }
      if (!moved) yield { events: [], rejects: [], state: { ...recorded, currency }, fetched: 0 };
    },
  };
}
