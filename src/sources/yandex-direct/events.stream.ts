/**
 * Reads one Yandex.Direct stream (one login of an account) as a sequence of windows, oldest first. Each
 * yielded window is one consistent snapshot: every event of every second inside it came in one response,
 * so numbering identical events within it is the same on every read (design notes, "Event identity").
 *
 * - Windows are half-open `[from, to)` on whole seconds. A window is requested as
 *   `TimestampFrom = from − 1 s`, `TimestampTo = to` and only events inside `[from, to)` are kept, so the
 *   result is the same whether the API treats either bound as inclusive or exclusive.
 * - A response is full when it holds `Limit` events, or as many as the largest response this stream has
 *   seen (a server may clamp `Limit` silently). A full window is split in two; a single full second is read
 *   again without `Limit`, which returns every event of the period.
 * - Windows end `settleLag` before now, so a second is complete before it is read; each run re-reads
 *   `lookback` before the cursor to pick up events registered late.
 * - The window size is learned from the density of recent windows so that splits stay rare.
 */
import { isoSeconds, parseTimestamp } from "../../time/timestamp.js";
import type { RequestTally } from "../../http/with-retries.js";
import type { YandexDirectClient } from "./yandex-direct.client.js";
import type { Currency, EventsLogFilter, GetEventsLogParams } from "./yandex-direct.schemas.js";

const SECOND = 1000;
/** Below this many events a response is never suspected of being clamped: no API pages that small. */
const SMALLEST_CLAMP = 50;

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
}

/** Paging state kept in sync.streams.state between runs. */
export interface EventsStreamState {
  /** Window size learned from density, ms. */
  windowMs?: number;
  /** Largest response (events) the server returned to a request with `Limit`. */
  largestPage?: number;
}

export interface EventsWindow {
  from: Date;
  to: Date;
  /** The items of the response whose Timestamp lies in [from, to), plus any whose Timestamp cannot be read. */
  items: unknown[];
  /** The stream's cursor once this window is stored: `to`. */
  cursor: Date;
  state: EventsStreamState;
}

export class WindowOutOfRangeError extends Error {
  override readonly name = "WindowOutOfRangeError";
}

const floorSecond = (ms: number) => Math.floor(ms / SECOND) * SECOND;

/** The range a run reads: from the cursor minus the lookback (never before the start) to now minus the settle lag. */
export function runRange(settings: EventsStreamSettings, cursor: Date | null, now: Date): { from: number; end: number } {
  const start = floorSecond(settings.startTime.getTime());
  const from = cursor ? Math.max(start, floorSecond(cursor.getTime() - settings.lookbackMs)) : start;
  return { from, end: floorSecond(now.getTime() - settings.settleLagMs) };
}

export async function* readEventWindows(
  client: YandexDirectClient,
  settings: EventsStreamSettings,
  start: { cursor: Date | null; state: EventsStreamState; now: Date },
  /** Counts every request and retry; owned by the caller, never reset here. */
  tally: RequestTally,
  signal?: AbortSignal,
): AsyncGenerator<EventsWindow> {
  const state: EventsStreamState = { ...start.state };
  const { from: first, end } = runRange(settings, start.cursor, start.now);
  let windowMs = Math.min(settings.maxWindowMs, Math.max(SECOND, floorSecond(state.windowMs ?? 3_600_000)));

  const request = async (from: number, to: number, limited: boolean): Promise<unknown[]> => {
    const param: GetEventsLogParams = {
      TimestampFrom: isoSeconds(new Date(from - SECOND)),
      TimestampTo: isoSeconds(new Date(to)),
      Currency: settings.currency,
      WithTextDescription: settings.withTextDescription ? "Yes" : "No",
      ...(settings.login ? { Logins: [settings.login] } : {}),
      ...(settings.filter ? { Filter: settings.filter } : {}),
      ...(limited ? { Limit: settings.pageLimit } : {}),
    };
    return client.getEventsLog(param, tally, signal);
  };

  const isFull = (n: number): boolean => {
    if (n >= settings.pageLimit) return true;
    const largest = state.largestPage ?? 0;
    return n >= SMALLEST_CLAMP && n >= largest;
  };

  const keep = (items: unknown[], from: number, to: number): unknown[] =>
    items.filter((item) => {
      const text = (item as { Timestamp?: unknown } | null)?.Timestamp;
      const at = typeof text === "string" ? parseTimestamp(text, settings.zone)?.getTime() : undefined;
      if (at === undefined) return true; // the mapper rejects it, with its payload
      if (at < from - 2 * SECOND || at > to + SECOND) {
        throw new WindowOutOfRangeError(
          `GetEventsLog returned an event at ${text} for the window ${isoSeconds(new Date(from))} – ${isoSeconds(new Date(to))}: ` +
            `if the API writes timestamps without a zone, set the account's timestamp zone (now ${settings.zone})`,
        );
      }
      return at >= from && at < to;
    });

  // Reads [from, to) completely, splitting while responses are full; yields sub-windows in time order.
  async function* complete(from: number, to: number): AsyncGenerator<{ from: number; to: number; items: unknown[]; dense: boolean }> {
    signal?.throwIfAborted();
    const items = await request(from, to, true);
    const n = items.length;
    if (!isFull(n)) {
      if (n > (state.largestPage ?? 0)) state.largestPage = n;
      yield { from, to, items: keep(items, from, to), dense: false };
      return;
    }
    if (n > (state.largestPage ?? 0)) state.largestPage = n;
    if (to - from > SECOND) {
      const mid = from + floorSecond((to - from) / 2);
      yield* complete(from, mid);
      yield* complete(mid, to);
      return;
    }
    signal?.throwIfAborted();
    yield { from, to, items: keep(await request(from, to, false), from, to), dense: true };
  }

  for (let from = first; from < end; ) {
    const to = Math.min(end, from + windowMs);
    let split = false;
    for await (const part of complete(from, to)) {
      split ||= part.to !== to || part.from !== from || part.dense;
      if (!split) {
        // Aim for half a page per window.
        const perMs = part.items.length / (part.to - part.from);
        const target = perMs > 0 ? (settings.pageLimit / 2) / perMs : windowMs * 2;
        windowMs = Math.min(settings.maxWindowMs, Math.max(SECOND, floorSecond(Math.min(target, windowMs * 4))));
      }
      state.windowMs = windowMs;
      yield { from: new Date(part.from), to: new Date(part.to), items: part.items, cursor: new Date(part.to), state: { ...state } };
    }
    if (split) windowMs = Math.max(SECOND, floorSecond(windowMs / 2));
    from = to;
  }
}
