/**
 * Reads one Yandex.Direct stream (one login of an account) as a sequence of windows, oldest first
 * (docs/architecture.md, Glossary: window, evidence, snapshot, gap). The decisions live in
 * events.evidence.ts; this file makes the requests they call for.
 *
 * - Windows are half-open `[from, to)` on whole seconds, requested as `TimestampFrom = from − 1 s`,
 *   `TimestampTo = to`, keeping only events inside: the same whatever either bound's inclusivity.
 * - A window is read by Offset pages until a follow-up (the same window with `Offset` = events received)
 *   comes back empty: only that answer ends a read. The follow-up is also the next page, so a window costs
 *   its pages plus one. No page size — a capacity, `Limit` — ends a read in `strict` mode.
 * - The pages of one read are one snapshot of every second, except where an event registered between two
 *   requests may have shifted the order (a page that begins with a record the page before held): those
 *   seconds are read again alone, until two reads agree, or they are a gap. Identical events are thus
 *   numbered from one consistent snapshot and a late event never becomes an extra occurrence.
 * - A page at an Offset that repeats what the read began with, from a server that also answers a far Offset,
 *   is a server that ignores Offset: the read stops with a gap, each response numbered on its own (a subset
 *   of the truth, never a duplicate), after a bounded number of requests.
 * - `economy` (the account's choice): a response smaller than a fresh capacity ends a read without a
 *   follow-up. Such windows are unverified (`unverifiedFrom`) until an audit — the first read of each run of
 *   the account, and a share of the rest, get the follow-up anyway — passes. An audit that finds more turns
 *   the account strict and re-reads every window settled on trust since the last audit (`recheck`).
 * - Windows end `settleLag` before now; each run re-reads `lookback` before the cursor. Window sizes are
 *   learned from density, aiming at a few pages per window.
 */
import { isoSeconds, parseTimestamp } from "../../time/timestamp.js";
import type { RequestTally } from "../../http/with-retries.js";
import { type AuditPolicy, auditsNext, type Capacity, CapacityMemory, type UnreadRecords } from "../page-capacity.js";
import type { YandexDirectClient } from "./yandex-direct.client.js";
import type { Currency } from "../../vocabulary.js";
import type { EventsLogFilter, GetEventsLogParams } from "./yandex-direct.schemas.js";
import {
  nextWindowMs,
  type ReadEnd,
  recordText,
  repeatsStart,
  type ResponsePage,
  runRange,
  sameRecords,
  secondOf,
  trustsResponse,
  unsettledSeconds,
} from "./events.evidence.js";

const SECOND = 1000;
/** Responses of one window read before the read stops with a gap. */
const MAX_PAGES_PER_READ = 1000;
/** Responses a window is sized for: its follow-up then costs a fraction of them. */
const PAGES_PER_WINDOW = 8;
/** Reads of a second whose pages may hold a repeat before it is recorded as a gap. */
const READS_TO_AGREE = 3;
/** An Offset no window reaches: a server that answers it with events ignores Offset. */
const FAR_OFFSET = 1_000_000_000;

/** How a read decides it has everything: `strict` (only a follow-up) or `economy` (a fresh capacity too, audited). */
export type Completeness = "strict" | "economy";

export interface EventsStreamSettings {
  /** The client login (agency accounts); undefined reads the token owner's own log. */
  login: string | undefined;
  currency: Currency;
  filter: EventsLogFilter | undefined;
  withTextDescription: boolean;
  /** Zone of timestamps that come without one. */
  zone: string;
  /** `Limit` of a request, events. */
  pageLimit: number;
  /** Where a stream without a cursor starts. */
  startTime: Date;
  /** How far before the cursor each run re-reads, ms. */
  lookbackMs: number;
  /** How far behind now windows end, ms. */
  settleLagMs: number;
  /** Largest window, ms. */
  maxWindowMs: number;
  completeness: Completeness;
  /** Economy: how long a capacity is relied on, ms. */
  capacityMemoryMs: number;
  /** Economy: the account's audits in this run. */
  audit: AuditPolicy;
  /** Where this read stops (default: now minus the settle lag), ms. */
  endAt?: number;
}

/** A request that delivered the capacity. */
export interface WindowProbe {
  from: number;
  to: number;
  limit: number;
}

/** Paging state kept in sync.streams.state between runs (null clears a key). */
export interface EventsStreamState {
  /** Window size learned from density, ms. */
  windowMs?: number;
  /** Economy: the most events the server delivered in one response, and when. */
  capacity?: Capacity<WindowProbe> | null;
  /** Economy: windows from here on were settled on trust and not yet audited, ms. */
  unverifiedFrom?: number | null;
  /** Windows in [from, until) are being read again after an audit found more, ms. */
  recheck?: { from: number; until: number } | null;
  /** An audit found the capacity wrong: this stream reads strictly from then on. */
  strict?: boolean;
}

/** Events numbered as one consistent snapshot. */
export interface Snapshot {
  items: unknown[];
  /** Each item's Timestamp, ms since the epoch (NaN: unreadable), so the mapper does not parse it again. */
  times: number[];
}

export interface EventsWindow {
  from: Date;
  to: Date;
  /** The window's events inside [from, to) (and any whose Timestamp cannot be read), each snapshot numbered alone. */
  snapshots: Snapshot[];
  /** Events received in [from, to), over every snapshot. */
  fetched: number;
  /** The stream's cursor once this window is stored: `to`. */
  cursor: Date;
  state: EventsStreamState;
  gaps: UnreadRecords[];
}

export class WindowOutOfRangeError extends Error {
  override readonly name = "WindowOutOfRangeError";
}

interface Part {
  snapshots: Snapshot[];
  gaps: UnreadRecords[];
  /** Events inside the window, for the density. */
  events: number;
}

export async function* readEventWindows(
  client: YandexDirectClient,
  settings: EventsStreamSettings,
  start: { cursor: Date | null; state: EventsStreamState; now: Date },
  /** Counts every request and retry; owned by the caller, never reset here. */
  tally: RequestTally,
  signal?: AbortSignal,
  /** Wall clock for the age of a capacity, ms. */
  clock: () => number = Date.now,
): AsyncGenerator<EventsWindow> {
  const state: EventsStreamState = { ...start.state };
  const capacity = new CapacityMemory<WindowProbe>(state.capacity, settings.capacityMemoryMs, clock);
  const range = runRange({
    startTime: settings.startTime.getTime(),
    cursor: start.cursor?.getTime() ?? null,
    lookbackMs: settings.lookbackMs,
    settleLagMs: settings.settleLagMs,
    now: start.now.getTime(),
  });
  const end = settings.endAt ?? range.end;
  let first = range.from;
  if (state.recheck && state.recheck.from < first) first = state.recheck.from;
  let windowMs = Math.min(settings.maxWindowMs, Math.max(SECOND, secondOf(state.windowMs ?? 3_600_000)));
  /** The largest response seen: sizes windows, proves nothing. */
  let pageSize = Math.min(settings.pageLimit, capacity.records ?? settings.pageLimit);
  /** A far Offset came back empty: a repeat at an Offset is the log's own content. */
  let offsetHonoured = false;
  /** Economy, in this read: an audit found more than a trusted response held. */
  let contradicted = false;
  const economy = () => settings.completeness === "economy" && !state.strict && !settings.audit.strict;

  const request = async (from: number, to: number, page: { limit: number; offset?: number }) => {
    signal?.throwIfAborted();
    const param: GetEventsLogParams = {
      TimestampFrom: isoSeconds(new Date(from - SECOND)),
      TimestampTo: isoSeconds(new Date(to)),
      Currency: settings.currency,
      WithTextDescription: settings.withTextDescription ? "Yes" : "No",
      ...(settings.login ? { Logins: [settings.login] } : {}),
      ...(settings.filter ? { Filter: settings.filter } : {}),
      Limit: page.limit,
      ...(page.offset ? { Offset: page.offset } : {}),
    };
    return client.getEventsLog(param, tally, signal);
  };

  const pageOf = (items: unknown[], from: number, to: number): ResponsePage => {
    const texts: string[] = new Array<string>(items.length);
    const times: number[] = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      texts[i] = recordText(item);
      const at = timeOf(item, settings.zone);
      times[i] = at ?? Number.NaN;
      if (at !== undefined && (at < from - 2 * SECOND || at > to + SECOND)) {
        const text = client.redact(String((item as { Timestamp: string }).Timestamp));
        throw new WindowOutOfRangeError(
          `GetEventsLog returned an event at ${text} for the window ${isoSeconds(new Date(from))} – ${isoSeconds(new Date(to))}: ` +
            `if the API writes timestamps without a zone, set the account's timestamp zone (now ${settings.zone})`,
        );
      }
    }
    return { items, texts, times };
  };

  /** Reads [from, to) by Offset pages until a follow-up is empty, or the read must stop. */
  const readPages = async (
    from: number,
    to: number,
    mayTrust: boolean,
  ): Promise<{ pages: ResponsePage[]; end: ReadEnd }> => {
    const pages: ResponsePage[] = [];
    const received: string[] = [];
    let offset = 0;
    let audited = false;
    for (let k = 0; k < MAX_PAGES_PER_READ; k++) {
      const items = await request(from, to, { limit: settings.pageLimit, offset });
      if (items.length === 0) {
        if (audited && pages.length === 1) state.unverifiedFrom = null;
        return { pages, end: "empty" };
      }
      const page = pageOf(items, from, to);
      if (offset > 0 && !offsetHonoured && repeatsStart(received, page.texts)) {
        if ((await request(from, to, { limit: 1, offset: FAR_OFFSET })).length > 0)
          return { pages, end: "offset-ignored" };
        offsetHonoured = true;
      }
      if (k === 1 && audited) {
        // The audit found more than a response the capacity would have settled: the capacity is wrong.
        contradicted = true;
        state.strict = true;
        settings.audit.strict = true;
      }
      pages.push(page);
      for (const text of page.texts) received.push(text);
      offset += items.length;
      pageSize = Math.max(pageSize, Math.min(items.length, settings.pageLimit));
      if (economy()) capacity.delivered(items.length, { from, to, limit: settings.pageLimit });
      if (k === 0 && mayTrust && economy()) {
        const trusted = trustsResponse(items.length, capacity.records, capacity.isFresh(), false);
        if (trusted && !auditsNext(settings.audit)) {
          state.unverifiedFrom ??= from;
          return { pages, end: "trusted" };
        }
        audited = trusted;
      }
    }
    return { pages, end: "page-bound" };
  };

  /** The items of pages inside [from, to), leaving out the seconds in `skip`. */
  const kept = (pages: readonly ResponsePage[], from: number, to: number, skip?: ReadonlySet<number>): Snapshot => {
    const items: unknown[] = [];
    const times: number[] = [];
    for (const page of pages) {
      for (let i = 0; i < page.items.length; i++) {
        const at = page.times[i] as number;
        const inside = Number.isNaN(at) || (at >= from && at < to);
        if (!inside || (skip && !Number.isNaN(at) && skip.has(secondOf(at)))) continue;
        items.push(page.items[i]);
        times.push(at);
      }
    }
    return { items, times };
  };

  const gapOf = (from: number, to: number, end: ReadEnd, pages: number): UnreadRecords => ({
    at: new Date(from),
    until: new Date(to),
    unread: null,
    reason:
      end === "offset-ignored"
        ? `GetEventsLog answered Offset ${FAR_OFFSET} with events: the server ignores Offset, so ${isoSeconds(new Date(from))} – ${isoSeconds(new Date(to))} cannot be read past its first response`
        : `${isoSeconds(new Date(from))} – ${isoSeconds(new Date(to))} still had events after ${pages} responses`,
  });

  /** Reads one second alone until two reads agree (or one read is one snapshot); otherwise a gap. */
  const readSecond = async (at: number): Promise<Part> => {
    const to = at + SECOND;
    const all: ResponsePage[] = [];
    let previous: string[] | undefined;
    for (let attempt = 0; attempt < READS_TO_AGREE; attempt++) {
      const read = await readPages(at, to, false);
      for (const page of read.pages) all.push(page);
      if (read.end !== "empty") {
        const each = read.pages.map((p) => kept([p], at, to));
        return { snapshots: each, gaps: [gapOf(at, to, read.end, read.pages.length)], events: 0 };
      }
      const snapshot = kept(read.pages, at, to);
      if (unsettledSeconds(read.pages, at, to).length === 0) return { snapshots: [snapshot], gaps: [], events: 0 };
      const texts = snapshot.items.map(recordText);
      if (previous && sameRecords(previous, texts)) return { snapshots: [snapshot], gaps: [], events: 0 };
      previous = texts;
    }
    return {
      // Each response numbered on its own: never more occurrences than the server holds.
      snapshots: all.map((p) => kept([p], at, to)),
      gaps: [
        {
          at: new Date(at),
          until: new Date(to),
          unread: null,
          reason: `${READS_TO_AGREE} reads of ${isoSeconds(new Date(at))} disagreed (events registered while it was paged)`,
        },
      ],
      events: 0,
    };
  };

  const readWindow = async (from: number, to: number): Promise<Part> => {
    const read = await readPages(from, to, true);
    if (read.end === "offset-ignored" || read.end === "page-bound") {
      const snapshots = read.pages.map((p) => kept([p], from, to));
      const events = snapshots.reduce((n, s) => n + s.items.length, 0);
      return { snapshots, gaps: [gapOf(from, to, read.end, read.pages.length)], events };
    }
    const unsettled = unsettledSeconds(read.pages, from, to);
    const main = kept(read.pages, from, to, new Set(unsettled));
    const part: Part = { snapshots: [main], gaps: [], events: main.items.length };
    for (const at of unsettled) {
      const second = await readSecond(at);
      for (const s of second.snapshots) {
        part.snapshots.push(s);
        part.events += s.items.length;
      }
      part.gaps.push(...second.gaps);
    }
    return part;
  };

  for (let from = first; from < end;) {
    const to = Math.min(end, from + windowMs);
    const part = await readWindow(from, to);
    windowMs = nextWindowMs({
      current: windowMs,
      events: part.events,
      spanMs: to - from,
      pageSize,
      pagesPerWindow: PAGES_PER_WINDOW,
      maxMs: settings.maxWindowMs,
    });
    state.windowMs = windowMs;
    state.capacity = capacity.snapshot();
    let next = to;
    if (contradicted) {
      contradicted = false;
      // Every window settled on trust since the last audit is read again, strictly.
      const back = state.unverifiedFrom ?? to;
      state.unverifiedFrom = null;
      if (back < from) {
        state.recheck = { from: back, until: Math.max(to, state.recheck?.until ?? to) };
        next = back;
      }
    } else if (state.recheck) {
      state.recheck = to >= state.recheck.until ? null : { ...state.recheck, from: to };
    }
    yield {
      from: new Date(from),
      to: new Date(to),
      snapshots: part.snapshots,
      fetched: part.snapshots.reduce((n, s) => n + s.items.length, 0),
      cursor: new Date(to),
      state: { ...state },
      gaps: part.gaps,
    };
    from = next;
  }
}

function timeOf(item: unknown, zone: string): number | undefined {
  const text = (item as { Timestamp?: unknown } | null)?.Timestamp;
  return typeof text === "string" ? parseTimestamp(text, zone)?.getTime() : undefined;
}
