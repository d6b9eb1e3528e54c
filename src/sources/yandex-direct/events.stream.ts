/**
 * Reads one Yandex.Direct stream (one login of an account) as a sequence of windows, oldest first. Each
 * yielded window is one consistent snapshot: every event of every second inside it came in one response
 * (or, for one dense second, in consecutive Offset pages of one settled second), so numbering identical
 * events within it is the same on every read (docs/architecture.md, Glossary: occurrence, event key).
 *
 * - Windows are half-open `[from, to)` on whole seconds. A window is requested as
 *   `TimestampFrom = from − 1 s`, `TimestampTo = to` and only events inside `[from, to)` are kept, so the
 *   result is the same whether the API treats either bound as inclusive or exclusive.
 * - "This is all there is" needs evidence (page-capacity.ts): an empty response; or one smaller than the
 *   capacity (the most events the server delivered in one response, proven within `capacityMemoryMs`,
 *   re-proven by repeating its request when older); or a follow-up of the same window with
 *   `Offset` = events received that comes back empty. A response that holds `Limit` events, or that the
 *   follow-up shows was cut short, is full: the window is split in two and each half read the same way.
 * - A single full second cannot be split. It is read without `Limit` (the seed page: every event of the
 *   period); when that response may itself be capped, the same second is paged on with `Limit`/`Offset`
 *   from the events received. The second lies `settleLag` in the past, so nothing is added to it between
 *   those requests, and Offset paging presumes the server's order within a second is the same on every
 *   request: then the pages together are one snapshot of the second and are numbered as one. A second that
 *   still has events after 100 such pages (a server that ignores Offset) is recorded as a gap
 *   and the stream steps past it.
 * - When a re-proof shows the server's cap was lowered, the windows settled on the old capacity since it
 *   was last proven are read again (`recheck` in the state, so a crash does not lose the re-read).
 * - Windows end `settleLag` before now, so a second is complete before it is read; each run re-reads
 *   `lookback` before the cursor to pick up events registered late.
 * - The window size is learned from the density of recent windows so that splits stay rare.
 */
import { isoSeconds, parseTimestamp } from "../../time/timestamp.js";
import type { RequestTally } from "../../http/with-retries.js";
import { type Capacity, CapacityMemory, type UnreadRecords } from "../page-capacity.js";
import type { YandexDirectClient } from "./yandex-direct.client.js";
import type { Currency } from "../../vocabulary.js";
import type { EventsLogFilter, GetEventsLogParams } from "./yandex-direct.schemas.js";

const SECOND = 1000;
/** Offset pages of one second before the server is taken to ignore Offset. */
const MAX_DENSE_SECOND_PAGES = 100;
/** Re-reads after a lowered cap within one run before the stream fails: a cap that keeps falling. */
const MAX_RECHECKS_PER_RUN = 5;

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
  /** Where the first run starts. */
  startTime: Date;
  /** How far before the cursor each run re-reads, ms. */
  lookbackMs: number;
  /** How far behind now windows end, ms. */
  settleLagMs: number;
  /** Largest window, ms. */
  maxWindowMs: number;
  /** How long a proven capacity is relied on before it is proven again, ms. */
  capacityMemoryMs: number;
}

/** A request that delivered the capacity: repeated to re-prove it. */
export interface WindowProbe {
  from: number;
  to: number;
  limit: number;
}

/** Paging state kept in sync.streams.state between runs (null clears a key). */
export interface EventsStreamState {
  /** Window size learned from density, ms. */
  windowMs?: number;
  capacity?: Capacity<WindowProbe> | null;
  /** Windows from here on were settled on a capacity that has not been re-proven since, ms. */
  unverifiedFrom?: number | null;
  /** The cap was found lowered: windows in [from, until) are being read again, ms. */
  recheck?: { from: number; until: number } | null;
}

export interface EventsWindow {
  from: Date;
  to: Date;
  /** The items of the response whose Timestamp lies in [from, to), plus any whose Timestamp cannot be read. */
  items: unknown[];
  /**
   * Each item's Timestamp as read here, ms since the epoch (NaN: unreadable), so the mapper does not parse it again.
   */
  times: number[];
  /** The stream's cursor once this window is stored: `to`. */
  cursor: Date;
  state: EventsStreamState;
  gaps: UnreadRecords[];
}

export class WindowOutOfRangeError extends Error {
  override readonly name = "WindowOutOfRangeError";
}

const floorSecond = (ms: number) => Math.floor(ms / SECOND) * SECOND;

/** The range a run reads: from the cursor minus the lookback (never before the start) to now minus the settle lag. */
export function runRange(
  settings: EventsStreamSettings,
  cursor: Date | null,
  now: Date,
): { from: number; end: number } {
  const start = floorSecond(settings.startTime.getTime());
  const from = cursor ? Math.max(start, floorSecond(cursor.getTime() - settings.lookbackMs)) : start;
  return { from, end: floorSecond(now.getTime() - settings.settleLagMs) };
}

interface Part {
  from: number;
  to: number;
  items: unknown[];
  times: number[];
  /** Split or read as a dense second: not a sample of the density. */
  split: boolean;
  gap?: UnreadRecords;
}

export async function* readEventWindows(
  client: YandexDirectClient,
  settings: EventsStreamSettings,
  start: { cursor: Date | null; state: EventsStreamState; now: Date },
  /** Counts every request and retry; owned by the caller, never reset here. */
  tally: RequestTally,
  signal?: AbortSignal,
  /** Wall clock for the age of a proven capacity, ms. */
  clock: () => number = Date.now,
): AsyncGenerator<EventsWindow> {
  const state: EventsStreamState = { ...start.state };
  const capacity = new CapacityMemory<WindowProbe>(state.capacity, settings.capacityMemoryMs, clock);
  const range = runRange(settings, start.cursor, start.now);
  const end = range.end;
  let first = range.from;
  if (state.recheck && state.recheck.from < first)
    first = Math.max(floorSecond(settings.startTime.getTime()), state.recheck.from);
  let windowMs = Math.min(settings.maxWindowMs, Math.max(SECOND, floorSecond(state.windowMs ?? 3_600_000)));
  let rechecks = 0;

  const request = async (from: number, to: number, page?: { limit: number; offset?: number }): Promise<unknown[]> => {
    signal?.throwIfAborted();
    const param: GetEventsLogParams = {
      TimestampFrom: isoSeconds(new Date(from - SECOND)),
      TimestampTo: isoSeconds(new Date(to)),
      Currency: settings.currency,
      WithTextDescription: settings.withTextDescription ? "Yes" : "No",
      ...(settings.login ? { Logins: [settings.login] } : {}),
      ...(settings.filter ? { Filter: settings.filter } : {}),
      ...(page ? { Limit: page.limit } : {}),
      ...(page?.offset ? { Offset: page.offset } : {}),
    };
    return client.getEventsLog(param, tally, signal);
  };

  const timeOf = (item: unknown): number | undefined => {
    const text = (item as { Timestamp?: unknown } | null)?.Timestamp;
    return typeof text === "string" ? parseTimestamp(text, settings.zone)?.getTime() : undefined;
  };

  /** The items inside [from, to) and their times; a time outside the window's neighbourhood fails the read. */
  const keep = (all: unknown[], from: number, to: number): { items: unknown[]; times: number[] } => {
    const items: unknown[] = [];
    const times: number[] = [];
    for (const item of all) {
      const at = timeOf(item);
      if (at === undefined) {
        // The mapper rejects it, with its payload.
        items.push(item);
        times.push(Number.NaN);
        continue;
      }
      if (at < from - 2 * SECOND || at > to + SECOND) {
        const text = client.redact(String((item as { Timestamp: string }).Timestamp));
        throw new WindowOutOfRangeError(
          `GetEventsLog returned an event at ${text} for the window ${isoSeconds(new Date(from))} – ${isoSeconds(new Date(to))}: ` +
            `if the API writes timestamps without a zone, set the account's timestamp zone (now ${settings.zone})`,
        );
      }
      if (at >= from && at < to) {
        items.push(item);
        times.push(at);
      }
    }
    return { items, times };
  };

  /** Re-proves a capacity past its memory before a response of `n` events relies on it. */
  const reproveFor = async (n: number): Promise<void> => {
    const probe = capacity.probeFor(n);
    if (!probe) return;
    if (capacity.reproved((await request(probe.from, probe.to, { limit: probe.limit })).length))
      state.unverifiedFrom = null;
  };

  /** Whether a response of `items` to the window requested with `Limit` is all the window holds. */
  const settle = async (from: number, to: number, items: unknown[]): Promise<boolean> => {
    const n = items.length;
    const probe: WindowProbe = { from, to, limit: settings.pageLimit };
    if (n === 0) return true;
    await reproveFor(n);
    if (n >= settings.pageLimit || capacity.atExactCap(n)) {
      if (capacity.delivered(n, probe)) state.unverifiedFrom = null;
      return false;
    }
    if (capacity.settles(n)) {
      state.unverifiedFrom ??= from;
      return true;
    }
    const more = await request(from, to, { limit: settings.pageLimit, offset: n });
    if (more.length === 0) {
      if (capacity.delivered(n, probe)) state.unverifiedFrom = null;
      return true;
    }
    capacity.cutShortAt(n, probe);
    return false;
  };

  /**
   * Reads one full second: without Limit, then on with Limit/Offset from the events received until a page
   * is empty (or settled by the capacity of Limit requests). A read without Limit never proves a capacity:
   * the server may cap it differently.
   */
  const denseSecond = async (from: number, to: number): Promise<Part> => {
    const all = await request(from, to);
    for (let pages = 0; pages < MAX_DENSE_SECOND_PAGES; pages++) {
      const page = await request(from, to, { limit: settings.pageLimit, offset: all.length });
      for (const item of page) all.push(item);
      if (page.length === 0 || (page.length < settings.pageLimit && capacity.settles(page.length))) {
        const kept = keep(all, from, to);
        return { from, to, items: kept.items, times: kept.times, split: true };
      }
    }
    const kept = keep(all, from, to);
    return {
      from,
      to,
      items: kept.items,
      times: kept.times,
      split: true,
      gap: {
        at: new Date(from),
        unread: null,
        reason: `the second ${isoSeconds(new Date(from))} still had events after ${all.length} (${MAX_DENSE_SECOND_PAGES} Offset pages): the server seems to ignore Offset`,
      },
    };
  };

  /**
   * Where to split a full window: any whole second inside it is correct; this one is cheap. A server that
   * returns the earliest events first fills a cut response from the window's start, so the second its
   * latest event lies in ends a part that is likely whole; events all in the first second get that second
   * read alone. Otherwise the middle.
   */
  const splitPoint = (from: number, to: number, items: unknown[]): number => {
    let latest = Number.NEGATIVE_INFINITY;
    for (const item of items) {
      const at = timeOf(item);
      if (at !== undefined && at >= from && at < to && at > latest) latest = at;
    }
    const second = floorSecond(latest);
    if (second > from && second < to) return second;
    if (second === from) return from + SECOND;
    return from + floorSecond((to - from) / 2);
  };

  // Reads [from, to) completely, splitting while responses are full; yields sub-windows in time order.
  async function* complete(from: number, to: number): AsyncGenerator<Part> {
    const items = await request(from, to, { limit: settings.pageLimit });
    if (await settle(from, to, items)) {
      const kept = keep(items, from, to);
      yield { from, to, items: kept.items, times: kept.times, split: false };
      return;
    }
    if (capacity.takeLowered()) throw new CapLowered();
    if (to - from > SECOND) {
      const at = splitPoint(from, to, items);
      for await (const part of complete(from, at)) yield { ...part, split: true };
      for await (const part of complete(at, to)) yield { ...part, split: true };
      return;
    }
    yield await denseSecond(from, to);
  }

  for (let from = first; from < end;) {
    const to = Math.min(end, from + windowMs);
    let split = false;
    try {
      for await (const part of complete(from, to)) {
        if (capacity.takeLowered()) throw new CapLowered();
        split ||= part.split;
        if (!split) {
          // Aim for half of what one response can hold.
          const perPage = Math.min(settings.pageLimit, capacity.cap ?? settings.pageLimit);
          const perMs = part.items.length / (part.to - part.from);
          const target = perMs > 0 ? perPage / 2 / perMs : windowMs * 2;
          windowMs = Math.min(settings.maxWindowMs, Math.max(SECOND, floorSecond(Math.min(target, windowMs * 4))));
        }
        state.windowMs = windowMs;
        state.capacity = capacity.snapshot();
        if (state.recheck) state.recheck = part.to >= state.recheck.until ? null : { ...state.recheck, from: part.to };
        yield {
          from: new Date(part.from),
          to: new Date(part.to),
          items: part.items,
          times: part.times,
          cursor: new Date(part.to),
          state: { ...state },
          gaps: part.gap ? [part.gap] : [],
        };
      }
    } catch (err) {
      if (!(err instanceof CapLowered)) throw err;
      // The server now delivers fewer than the capacity the windows since `unverifiedFrom` were settled on.
      if (++rechecks > MAX_RECHECKS_PER_RUN) {
        throw new Error(
          `GetEventsLog's page cap kept falling (now ${capacity.records ?? 0} events) ${MAX_RECHECKS_PER_RUN} times in one run`,
          { cause: err },
        );
      }
      const back = state.unverifiedFrom ?? from;
      state.recheck =
        back < from ? { from: back, until: Math.max(from, state.recheck?.until ?? from) } : (state.recheck ?? null);
      state.unverifiedFrom = null;
      state.capacity = capacity.snapshot();
      windowMs = Math.max(SECOND, floorSecond(windowMs / 2));
      from = Math.min(back, from);
      continue;
    }
    if (split) windowMs = Math.max(SECOND, floorSecond(windowMs / 2));
    from = to;
  }
}

/** Internal signal: a re-proof found the server's cap lowered. */
class CapLowered extends Error {}
