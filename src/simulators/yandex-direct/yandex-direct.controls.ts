/**
 * The handle's own operations on a running simulator (yandex-direct.simulator.ts): ground-truth reads of the
 * logs, events added by hand, and injected Live 4 failures. Each works on the server's state, so what it
 * reads or changes is exactly what the API serves.
 */
import { INJECTABLE_CODES, type Currency, type InjectableCode, type Locale } from "./yandex-direct.options.js";
import type { SimulatedAccount } from "./yandex-direct.data.js";
import type { SimulatorState } from "./yandex-direct.handler.js";
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

/** The zone a zone-less timestamp is read in: `zoneOffset` when timestamps are zone-less, else UTC. */
function naiveOffset(state: SimulatorState): number {
  return state.behaviour.zonelessTimestamps ? offsetMinutes(state.behaviour.zoneOffset) : 0;
}

/** A timestamp argument (ISO or ms epoch) as ms; throws naming the argument. */
function toMs(state: SimulatorState, value: string | number, name: string): number {
  const ms = typeof value === "number" ? value : parseTimestamp(value, naiveOffset(state));
  if (ms === null || !Number.isFinite(ms))
    throw new TypeError(`Expected \`${name}\` to be a timestamp, got \`${value}\``);
  return ms;
}

export function checkLogin(state: SimulatorState, login: string): void {
  if (!state.store.hasLogin(login)) throw new TypeError(`Unknown login \`${login}\``);
}

/** How events are rendered: the asked currency, locale and texts, in the server's current time zone mode. */
function renderOptions(state: SimulatorState, query: Omit<GroundTruthQuery, "login" | "from" | "to">) {
  return {
    currency: query.currency ?? "RUB",
    locale: query.locale ?? "en",
    withTextDescription: query.withTextDescription ?? false,
    zoneless: state.behaviour.zonelessTimestamps,
    offsetMin: offsetMinutes(state.behaviour.zoneOffset),
  };
}

/** Exactly the events the server holds for the login in [from, to] and up to the clock, ascending. */
export function groundTruthEvents(state: SimulatorState, query: GroundTruthQuery): EventsLogItem[] {
  checkLogin(state, query.login);
  const nowMs = state.data.clock();
  const records = runQuery(
    state.store,
    {
      logins: [query.login],
      fromMs: query.from === undefined ? Number.NEGATIVE_INFINITY : toMs(state, query.from, "from"),
      fromInclusive: true,
      toMs: query.to === undefined ? nowMs : toMs(state, query.to, "to"),
      toInclusive: true,
      filter: {},
      lastEventOnly: false,
      order: "ascending",
      offset: 0,
    },
    Math.floor(nowMs / 1000),
    state.data.seed,
  );
  const ctx = renderOptions(state, query);
  return records.map((r) => renderItem(r, ctx));
}

/** Number of events of a login (or of every account's login) up to the clock. */
export function countEvents(state: SimulatorState, accounts: readonly SimulatedAccount[], login?: string): number {
  const nowSec = Math.floor(state.data.clock() / 1000);
  const logins = login === undefined ? accounts.map((a) => a.login) : [login];
  logins.forEach((l) => checkLogin(state, l));
  return logins.reduce((sum, l) => sum + state.store.count(l, nowSec), 0);
}

/** Adds events to a login's log (served once the clock reaches them). */
export function addEvents(state: SimulatorState, login: string, items: readonly AddedEvent[]): void {
  checkLogin(state, login);
  const records = items.map((item) => toRecord(item, naiveOffset(state)));
  for (const record of records) state.store.add(login, record);
}

/** Adds `count` identical events in one second; returns the rendered event (RUB, en). */
export function addBurst(state: SimulatorState, login: string, burst: BurstSpec): EventsLogItem {
  checkLogin(state, login);
  if (!Number.isInteger(burst.count) || burst.count < 1) {
    throw new TypeError(`Expected \`count\` to be an integer ≥ 1, got \`${burst.count}\``);
  }
  const template = burst.event ?? {
    EventType: "MoneyIn",
    CampaignID: state.store.ids(login).campaignIds[0],
    Attributes: { Payed: 1000, Currency: "RUB" },
  };
  const record = toRecord({ ...template, Timestamp: toMs(state, burst.at, "at") }, naiveOffset(state));
  for (let i = 0; i < burst.count; i++) state.store.add(login, { ...record });
  return renderItem(record, renderOptions(state, {}));
}

/** Queues `count` failures with `code` for the next Live 4 requests carrying `token`. */
export function failNext(state: SimulatorState, token: string, code: InjectableCode, count: number): void {
  if (!INJECTABLE_CODES.includes(code)) {
    throw new TypeError(`Expected \`code\` to be one of ${INJECTABLE_CODES.join(", ")}, got \`${code}\``);
  }
  if (!Number.isInteger(count) || count < 0)
    throw new TypeError(`Expected \`count\` to be an integer ≥ 0, got \`${count}\``);
  const queue = state.failQueue.get(token) ?? [];
  for (let i = 0; i < count; i++) queue.push(code);
  if (queue.length > 0) state.failQueue.set(token, queue);
}
