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
import type { RequestTally } from "../../http/request.retries.js";
import { type AuditPolicy, type Capacity, CapacityMemory, type UnreadRecords } from "../page.capacity.js";
import type { YandexDirectClient } from "./yandex-direct.client.js";
import type { Currency } from "../../vocabulary.js";
import type { EventsLogFilter } from "./yandex-direct.schema.js";
import { type RecordReading, runRange, sizeFromDensity } from "./events.evidence.js";
import {
  type AccountShare,
  type EarlyWindowRecords,
  earlyRecords,
  firstWindow,
  type WindowAhead,
  type WindowsAhead,
  windowsAhead,
} from "./events.pipeline.js";
import { readWindow, type Snapshot, type WindowPart, type WindowProbe, type WindowReading } from "./events.window.js";

export { type Snapshot, type WindowProbe, WindowOutOfRangeError } from "./events.window.js";
export type { EarlyWindowRecords } from "./events.pipeline.js";

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
  /**
   * Windows read at once (strict only; default 1): while the oldest is read and handed on, the next ones'
   * requests are already in flight. Each holds its last page and its end until its turn, and its early records
   * until the stream takes them: at most this many windows of a stream (each sized for about `PAGES_PER_WINDOW`
   * responses, events.evidence.ts) wait in memory.
   */
  requestsAhead?: number;
  /** What the stream shares with its account's streams in this run: its requests ahead now, a learned size. */
  share?: AccountShare;
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

/** A window read whole, as the reader hands it on: its last records, its gaps, and the cursor and state it moves to. */
export interface EventsWindow<T = unknown> {
  kind: "window";
  from: Date;
  to: Date;
  /**
   * The window's events inside [from, to) (and any whose Timestamp cannot be read), each snapshot numbered alone;
   * those handed on early are placeholders (undefined), numbered still.
   */
  snapshots: Snapshot<T | undefined>[];
  /** The stream's cursor once this window is stored: `to`. */
  cursor: Date;
  state: EventsStreamState;
  gaps: UnreadRecords[];
}

/** Where a run reads, ms: the range from the checkpoint, and a recheck that began before it. */
function firstAndEnd(
  settings: EventsStreamSettings,
  start: { cursor: Date | null; state: EventsStreamState; now: Date },
) {
  const range = runRange({
    startTime: settings.startTime.getTime(),
    cursor: start.cursor?.getTime() ?? null,
    lookbackMs: settings.lookbackMs,
    settleLagMs: settings.settleLagMs,
    now: start.now.getTime(),
  });
  const recheck = start.state.recheck;
  return { first: recheck && recheck.from < range.from ? recheck.from : range.from, end: settings.endAt ?? range.end };
}

/** The GetEventsLog parameters every window of this stream shares. */
function eventsRequest(settings: EventsStreamSettings): WindowReading["request"] {
  return {
    Currency: settings.currency,
    WithTextDescription: settings.withTextDescription ? "Yes" : "No",
    ...(settings.login ? { Logins: [settings.login] } : {}),
    ...(settings.filter ? { Filter: settings.filter } : {}),
  };
}

/**
 * How the windows of this stream are read: the request, the page size, the capacity, and the audit hooks that
 * keep `state` (windows settled on trust since the last audit) and note a contradicted audit in `audits`.
 */
function windowReading<T>(
  ask: { client: YandexDirectClient; tally: RequestTally; signal: AbortSignal | undefined },
  settings: EventsStreamSettings & { records: RecordReading<T> },
  state: EventsStreamState,
  capacity: CapacityMemory<WindowProbe>,
  /** Economy: an audit in the window just read found more than a trusted response held. */
  audits: { contradicted: boolean },
): WindowReading<T> {
  return {
    client: ask.client,
    request: eventsRequest(settings),
    pageLimit: settings.pageLimit,
    zone: settings.zone,
    records: settings.records,
    tally: ask.tally,
    signal: ask.signal,
    capacity,
    audit: settings.audit,
    economy: () => settings.completeness === "economy" && !state.strict && !settings.audit.strict,
    pageSize: Math.min(settings.pageLimit, capacity.records ?? settings.pageLimit),
    offsetHonoured: false,
    onTrusted: (from) => void (state.unverifiedFrom ??= from),
    onAudit: (passed) => {
      if (passed) state.unverifiedFrom = null;
      else audits.contradicted = state.strict = settings.audit.strict = true;
    },
  };
}

/**
 * How many windows are read at once: `requestsAhead`, or one in economy, whose trust and audits follow the
 * order of the windows (an audit that finds more goes back to the first window settled on trust).
 */
function depthOf(settings: EventsStreamSettings): number {
  if (settings.completeness === "economy") return 1;
  return Math.max(1, settings.share?.requestsAhead() ?? settings.requestsAhead ?? 1);
}

/** Reads the stream window by window, oldest first, up to `requestsAhead` at once; see the top of this file. */
export async function* readEventWindows<T>(
  client: YandexDirectClient,
  /** With what is kept of each record as its response arrives (events.evidence.ts, RecordReading). */
  settings: EventsStreamSettings & { records: RecordReading<T> },
  start: { cursor: Date | null; state: EventsStreamState; now: Date },
  /** Counts every request and retry; owned by the caller, never reset here. */
  tally: RequestTally,
  signal?: AbortSignal,
  /** Wall clock for the age of a capacity, ms. */
  clock: () => number = Date.now,
): AsyncGenerator<EventsWindow<T> | EarlyWindowRecords<T>> {
  const state: EventsStreamState = { ...start.state };
  const capacity = new CapacityMemory<WindowProbe>(state.capacity, settings.capacityMemoryMs, clock);
  const { first, end } = firstAndEnd(settings, start);
  const audits = { contradicted: false };
  // Stops the windows in flight when the read stops, whatever the reason.
  const stop = new AbortController();
  const stopped = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const reading = windowReading({ client, tally, signal: stopped }, settings, state, capacity, audits);
  // Economy reads one window at a time: its end is not planned for more, nor does it grow.
  const share = settings.completeness === "economy" ? undefined : settings.share;
  const windows: WindowsAhead<T> = windowsAhead<T>({
    read: (from, to, early) =>
      readWindow(reading, from, to, early, (events) =>
        // The first answer of a window read alone: the next windows start beside its follow-up.
        windows.estimated(
          ...sizeFromDensity(events, { from, to, plannedMs: to - from }, reading.pageSize, settings.maxWindowMs),
        ),
      ),
    first,
    end,
    ...firstWindow(state.windowMs, settings.share?.learnedWindow(), settings.maxWindowMs),
    depth: () => depthOf(settings),
    ...(share ? { atEnd: (leftPages: number) => share.windowsAtEnd(leftPages) } : {}),
    ...(share ? { allPlanned: (held: number) => share.allPlanned(held) } : {}),
  });
  let current: WindowAhead<T> | undefined;
  // Windows ahead start as soon as the stream's share grows, not at its next window.
  share?.whenGrown(() => windows.fill());
  try {
    for (let window = windows.take(); window; window = windows.take()) {
      current = window;
      // Its turn: its read asks each page once the one before is taken and more is asked for.
      window.early.paced = true;
      yield* earlyRecords(window, windows);
      const part = await window.part;
      yield windowRead(state, capacity, windows, { window, part, pageSize: reading.pageSize, settings, audits });
    }
  } finally {
    share?.whenGrown(undefined);
    stop.abort(new Error("the read of the stream stopped"));
    const left = current ? [current, ...windows.pending()] : windows.pending();
    for (const w of left) w.early.close();
    await Promise.allSettled(left.map((w) => w.part));
  }
}

/**
 * A window read, as the reader hands it on: the size of the windows planned from now on learned from its
 * density, where the next one starts, and the state that holds once it is stored.
 */
function windowRead<T>(
  state: EventsStreamState,
  capacity: CapacityMemory<WindowProbe>,
  windows: WindowsAhead<T>,
  read: {
    window: WindowAhead<T>;
    part: WindowPart<T>;
    pageSize: number;
    settings: EventsStreamSettings;
    audits: { contradicted: boolean };
  },
): EventsWindow<T> {
  const { window, part, audits } = read;
  const { from, to } = window;
  const [windowMs, pagesPerMs] = sizeFromDensity(part.events, window, read.pageSize, read.settings.maxWindowMs);
  windows.learned(windowMs, pagesPerMs, afterWindow(state, { from, to }, audits.contradicted));
  read.settings.share?.learnWindow({ windowMs, pagesPerMs });
  audits.contradicted = false;
  return {
    kind: "window",
    from: new Date(from),
    to: new Date(to),
    snapshots: part.snapshots,
    cursor: new Date(to),
    state: { ...state, windowMs, capacity: capacity.snapshot() },
    gaps: part.gaps,
  };
}

/**
 * The state after a window, and where the next one starts: after a contradicted audit, every window settled
 * on trust since the last audit is read again, strictly (kept as `recheck`, so a crash does not lose it).
 */
function afterWindow(state: EventsStreamState, window: { from: number; to: number }, contradicted: boolean): number {
  if (contradicted) {
    const back = state.unverifiedFrom ?? window.to;
    state.unverifiedFrom = null;
    if (back < window.from) {
      state.recheck = { from: back, until: Math.max(window.to, state.recheck?.until ?? window.to) };
      return back;
    }
  } else if (state.recheck) {
    state.recheck = window.to >= state.recheck.until ? null : { ...state.recheck, from: window.to };
  }
  return window.to;
}
