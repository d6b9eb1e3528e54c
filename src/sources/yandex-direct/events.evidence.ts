/**
 * The decisions of reading a Yandex.Direct window, each a small pure function (docs/architecture.md,
 * Glossary: evidence, follow-up, snapshot). The server model they serve: a response is a prefix, in the
 * server's order, of the events that match the request, starting at `Offset`, of a length the server
 * chooses per response — or it ignores `Offset`. Only an empty answer ends a read; a size never does.
 *
 * Records are compared by a text the reader writes once per record as its response arrives (RecordReading): two
 * records with one text are the same event.
 */

/** One response as the reader keeps it: what it keeps of each record, their texts, and their times (NaN: unreadable). */
export interface ResponsePage<T = unknown> {
  items: T[];
  texts: string[];
  times: number[];
}

/** What the reader keeps of one record (RecordReading writes it). */
export interface RecordRead<T> {
  text: string;
  kept: T;
}

/**
 * What the reader keeps of each record as its response arrives, given the record and its time (ms since the epoch;
 * NaN: unreadable): `text` tells records apart (two records with one text are the same event, to compare and to
 * number) and `kept` is handed on in the record's stead, so the record itself need not be kept.
 */
export type RecordReading<T> = (item: unknown, at: number, into: RecordRead<T>) => void;

const SECOND = 1000;
export const secondOf = (ms: number): number => Math.floor(ms / SECOND) * SECOND;

/** How a read of one window by Offset pages ended. */
export type ReadEnd =
  /** A follow-up came back empty: the pages are all there is. */
  | "empty"
  /** A follow-up repeated what the read began with and the server answered a far Offset: it ignores Offset. */
  | "offset-ignored"
  /** The page bound of one read was reached with events still coming. */
  | "page-bound"
  /** Economy: a response smaller than the server's capacity was taken as the whole answer, not yet verified. */
  | "trusted";

/**
 * Whether a page asked at an Offset repeats the records the read began with, in order: what a server that
 * ignores Offset answers. (A log of identical events repeats too; the caller asks a far Offset to tell.)
 */
export function repeatsStart(received: readonly string[], page: readonly string[]): boolean {
  if (page.length === 0 || page.length > received.length) return false;
  for (let i = 0; i < page.length; i++) if (page[i] !== received[i]) return false;
  return true;
}

/**
 * The seconds of a window that cannot be numbered from its Offset pages: those of a record a page holds that
 * an earlier page of the read already held. Events registered between two requests before the Offset move
 * the order on by as many places, so the next pages hold again the records that were just before the
 * Offset — anywhere in their first places, between the new events. Without a record seen again (the log only
 * grows, and the server's order is stable) the pages together are one consistent snapshot of every second.
 * Identical records of a dense second are seen again too: those seconds are read again alone, at a cost.
 */
export function unsettledSeconds(pages: readonly ResponsePage<unknown>[], from: number, to: number): number[] {
  const seconds = new Set<number>();
  const seen = new Set<string>();
  for (const [k, page] of pages.entries()) {
    if (k > 0) {
      for (let i = 0; i < page.texts.length; i++) {
        const at = page.times[i] as number;
        if (seen.has(page.texts[i] as string) && at >= from && at < to) seconds.add(secondOf(at));
      }
    }
    for (const text of page.texts) seen.add(text);
  }
  return [...seconds].sort((a, b) => a - b);
}

/** Whether two reads hold the same records, counted (their order aside). */
export function sameRecords(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const counts = new Map<string, number>();
  for (const text of a) counts.set(text, (counts.get(text) ?? 0) + 1);
  for (const text of b) {
    const left = counts.get(text);
    if (!left) return false;
    counts.set(text, left - 1);
  }
  return true;
}

/**
 * Economy only: whether a response may be taken as the whole answer without a follow-up — non-empty and
 * smaller than a fresh capacity — and whether this read is audited anyway.
 */
export function trustsResponse(n: number, capacity: number | undefined, fresh: boolean, audit: boolean): boolean {
  return n > 0 && capacity !== undefined && fresh && n < capacity && !audit;
}

/** Responses a window is sized for: its follow-up then costs a fraction of them. */
const PAGES_PER_WINDOW = 16;

/**
 * What `events` in `window` teach: the size of the windows planned from now on (ms), and the pages a ms holds by
 * its density, where the rest of a read may be shared among windows. Plans reads; proves nothing.
 */
export function sizeFromDensity(
  events: number,
  window: { from: number; to: number; plannedMs: number },
  pageSize: number,
  maxWindowMs: number,
): [windowMs: number, pagesPerMs: number] {
  const { from, to } = window;
  const windowMs = nextWindowMs({
    current: window.plannedMs,
    events,
    spanMs: to - from,
    pageSize,
    pagesPerWindow: PAGES_PER_WINDOW,
    maxMs: maxWindowMs,
  });
  return [windowMs, to > from && pageSize > 0 ? events / (to - from) / pageSize : 0];
}

/**
 * The window to read next, ms: aim for `pagesPerWindow` responses of the size the server delivers, from the
 * density of the window just read; grow at most eightfold at once, never below a second or above `maxMs`.
 */
export function nextWindowMs(input: {
  current: number;
  events: number;
  spanMs: number;
  pageSize: number;
  pagesPerWindow: number;
  maxMs: number;
}): number {
  const { current, events, spanMs, pageSize, pagesPerWindow, maxMs } = input;
  const perMs = spanMs > 0 ? events / spanMs : 0;
  const target = perMs > 0 ? (pageSize * pagesPerWindow) / perMs : current * 8;
  return Math.min(maxMs, Math.max(SECOND, secondOf(Math.min(target, current * 8))));
}

/**
 * The range a run reads, ms: from the cursor minus the lookback — never before the start time, unless the
 * cursor itself lies before it (a stream that was away longer than a duration `startTime` resumes from its
 * cursor) — to now minus the settle lag. Only a stream without a cursor starts at the start time.
 */
export function runRange(input: {
  startTime: number;
  cursor: number | null;
  lookbackMs: number;
  settleLagMs: number;
  now: number;
}): { from: number; end: number } {
  const start = secondOf(input.startTime);
  const end = secondOf(input.now - input.settleLagMs);
  if (input.cursor === null) return { from: start, end };
  const from = secondOf(input.cursor - input.lookbackMs);
  return { from: input.cursor < start ? from : Math.max(start, from), end };
}
