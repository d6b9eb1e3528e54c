/**
 * One Yandex.Direct login's stream as an engine job (docs/architecture.md, Glossary: job, window, batch): its
 * read takes the event windows from the checkpoint on as the reader yields them, each window one batch. When
 * the currency its events are requested in changed, the lookback is read one last time in the old currency
 * and the new one applies from the cursor on.
 */
import type { YandexDirectAccountConfig } from "../config/config.schema.js";
import type { RequestTally } from "../http/request.retries.js";
import type { AuditPolicy } from "../sources/page.capacity.js";
import {
  type EventsStreamSettings,
  type EventsStreamState,
  readEventWindows,
} from "../sources/yandex-direct/events.stream.js";
import type { YandexDirectClient } from "../sources/yandex-direct/yandex-direct.client.js";
import type { EventsLogFilter } from "../sources/yandex-direct/yandex-direct.schema.js";
import type { Currency } from "../vocabulary.js";
import { type YandexDirectEventRowInput, yandexDirectEventsTable } from "../warehouse/copy.columns.js";
import { streamIdentity } from "./event.identity.js";
import type { StreamBatch, StreamJob } from "./run-stream.engine.js";
import { recordReading, type RowSettings, windowBatch } from "./yandex-direct.batches.js";
import type { RequestsAheadSeat, RequestsAheadShare } from "./requests-ahead.share.js";

/**
 * Learns the token owner's login (Clients.get), once per run of the owner's stream: its requests are the
 * stream's, and a failure fails the stream before anything is read or stored.
 */
export type OwnerLoginLookup = (tally: RequestTally, signal: AbortSignal) => Promise<string>;

/** One login to read: the GetEventsLog login (none: the token owner), its stream, and the currency it is read in. */
interface LoginPlan {
  /** The login sent in `Logins`; undefined for the token owner's stream. */
  login: string | undefined;
  streamKey: string;
  /** The `login` column of its rows, or how to learn it when the read starts (the token owner's). */
  storedLogin: string | OwnerLoginLookup;
  /** The currency its events are requested in; an Error when it has none GetEventsLog takes. */
  currency: Currency | Error;
}

/** A currency the stream's events were read in before, and from when the new one applies. */
interface CurrencyChange {
  from: string;
  to: string;
  at: string;
}

type Batch = StreamBatch<YandexDirectEventRowInput>;
type ReadStart = Parameters<StreamJob<YandexDirectEventRowInput>["read"]>[0];

/** One login's stream in this run: what each pass of its read needs. */
interface LoginStream {
  client: YandexDirectClient;
  account: YandexDirectAccountConfig;
  /** The plan, its rows' login known. */
  plan: LoginPlan & { storedLogin: string };
  run: { startTime: Date; audit: AuditPolicy };
  /** Its seat in the account's share of requests ahead (requests-ahead.share.ts). */
  seat: RequestsAheadSeat;
  now: () => Date;
  keyPrefix: string;
}

/** The GetEventsLog filter the account's config asks for, if any. */
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

export function loginJob(
  client: YandexDirectClient,
  account: YandexDirectAccountConfig,
  plan: LoginPlan,
  run: { startTime: Date; audit: AuditPolicy; ahead: RequestsAheadShare },
  now: () => Date,
): StreamJob<YandexDirectEventRowInput> {
  const identity = { source: "yandex_direct" as const, account: account.name, streamKey: plan.streamKey };
  const keyPrefix = streamIdentity(identity.source, identity.account, identity.streamKey);
  return {
    identity,
    table: yandexDirectEventsTable,
    read: async function* (start, tally, signal) {
      const seat = run.ahead.join(start.onTail);
      try {
        if (plan.currency instanceof Error) throw plan.currency;
        const { storedLogin } = plan;
        const login = typeof storedLogin === "string" ? storedLogin : await storedLogin(tally, signal);
        const known = { ...plan, storedLogin: login };
        yield* readLogin({ client, account, plan: known, run, seat, now, keyPrefix }, start, tally, signal);
      } finally {
        seat.leave();
      }
    },
  };
}

/** How the reader reads the login's events in `currency`, from the account's config. */
function readSettings(stream: LoginStream, currency: Currency): EventsStreamSettings {
  const { account, plan, run } = stream;
  return {
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
    requestsAhead: account.requestsAhead,
    share: stream.seat,
    completeness: account.completeness,
    capacityMemoryMs: account.capacityMemory,
    audit: run.audit,
  };
}

/** A read: one pass in the planned currency, or two when the currency changed since the cursor. */
async function* readLogin(
  stream: LoginStream,
  start: ReadStart,
  tally: RequestTally,
  signal: AbortSignal,
): AsyncGenerator<Batch> {
  const currency = stream.plan.currency;
  if (currency instanceof Error) throw currency;
  const before = typeof start.state.currency === "string" ? (start.state.currency as Currency) : undefined;
  if (!start.cursor || before === undefined || before === currency) {
    yield* readPass(stream, readSettings(stream, currency), start.cursor, start.state, tally, signal);
    return;
  }
  yield* readAcrossCurrencyChange(
    stream,
    { from: before, to: currency, cursor: start.cursor },
    start.state,
    tally,
    signal,
  );
}

/** One pass of the reader from `cursor` and `state`, each window one batch. */
async function* readPass(
  stream: LoginStream,
  read: EventsStreamSettings,
  cursor: Date | null,
  state: Record<string, unknown>,
  tally: RequestTally,
  signal: AbortSignal,
): AsyncGenerator<Batch> {
  const { client, account, plan, now } = stream;
  const rows: RowSettings = {
    keyPrefix: stream.keyPrefix,
    account: account.name,
    login: plan.storedLogin,
    zone: account.timestampZone,
    currency: read.currency,
    redact: client.redact,
  };
  const windows = readEventWindows(
    client,
    { ...read, records: recordReading(rows) },
    { cursor, state: state as EventsStreamState, now: now() },
    tally,
    signal,
    () => now().getTime(),
  );
  for await (const window of windows) {
    const batch = windowBatch(window, rows);
    // The owner's stream keeps its rows' login in its state: sync.stream_freshness finds its newest event by it.
    const owner = plan.login === undefined && batch.state;
    yield owner ? { ...batch, state: { ...batch.state, ownerLogin: plan.storedLogin } } : batch;
  }
}

/**
 * Money values are part of an event's identity: the lookback is read one last time in the currency it was
 * stored in, and the new currency applies from the cursor on, so nothing is stored twice. The change is
 * recorded in the state (the last 20 kept).
 */
async function* readAcrossCurrencyChange(
  stream: LoginStream,
  switched: { from: Currency; to: Currency; cursor: Date },
  stored: Record<string, unknown>,
  tally: RequestTally,
  signal: AbortSignal,
): AsyncGenerator<Batch> {
  const { from, to, cursor } = switched;
  const changes = Array.isArray(stored.currencyChanges) ? (stored.currencyChanges as CurrencyChange[]) : [];
  let state: Record<string, unknown> = stored;
  const old = { ...readSettings(stream, from), endAt: cursor.getTime() };
  for await (const batch of readPass(stream, old, cursor, state, tally, signal)) {
    state = batch.state ?? state;
    yield batch;
  }
  const change: CurrencyChange = { from, to, at: cursor.toISOString() };
  const recorded = { ...state, currencyChanges: [...changes, change].slice(-20) };
  let moved = false;
  const fresh = { ...readSettings(stream, to), lookbackMs: 0 };
  for await (const batch of readPass(stream, fresh, cursor, recorded, tally, signal)) {
    // Early records leave the state as it is: the change is recorded with the window that moves the cursor.
    if (!batch.state) {
      yield batch;
      continue;
    }
    moved = true;
    yield { ...batch, state: { ...batch.state, currencyChanges: recorded.currencyChanges } };
  }
  if (!moved) yield { events: [], rejects: [], state: { ...recorded, currency: to }, fetched: 0 };
}
