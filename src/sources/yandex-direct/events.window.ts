/**
 * Reading one Yandex.Direct window whole (docs/architecture.md, Glossary: follow-up, snapshot, step past):
 * its Offset pages until a follow-up is empty, the seconds a late event may have shifted read again until
 * two reads agree, and a gap where the server will not give the rest. The decisions are in
 * events.evidence.ts; events.stream.ts walks the windows.
 */
import type { RequestTally } from "../../http/request.retries.js";
import { isoSeconds, parseTimestampMs } from "../../time/time.timestamp.js";
import { type AuditPolicy, auditsNext, type CapacityMemory, type UnreadRecords } from "../page.capacity.js";
import {
  type ReadEnd,
  type RecordRead,
  type RecordReading,
  repeatsStart,
  type ResponsePage,
  sameRecords,
  secondOf,
  trustsResponse,
  unsettledSeconds,
} from "./events.evidence.js";
import { EarlyRecords, type EarlyRecordsQueue } from "./events.handover.js";
import type { YandexDirectClient } from "./yandex-direct.client.js";
import type { GetEventsLogParams } from "./yandex-direct.schema.js";

const SECOND = 1000;
/** Responses of one window read before the read stops with a gap. */
const MAX_PAGES_PER_READ = 1000;
/** Reads of a second whose pages may hold a repeat before it is recorded as a gap. */
const READS_TO_AGREE = 3;
/** An Offset no window reaches: a server that answers it with events ignores Offset. */
export const FAR_OFFSET = 1_000_000_000;

/** An event outside the window asked for: its time is most likely read in the wrong zone. */
export class WindowOutOfRangeError extends Error {
  override readonly name = "WindowOutOfRangeError";
}

/** A request that delivered the capacity. */
export interface WindowProbe {
  from: number;
  to: number;
  limit: number;
}

/** Events numbered as one consistent snapshot: what the reader kept of each (RecordReading), its text and time. */
export interface Snapshot<T = unknown> {
  items: T[];
  /** Each item's Timestamp, ms since the epoch (NaN: unreadable). */
  times: number[];
  /** Each item's text (RecordReading): one text, one event. */
  texts: string[];
}

/**
 * What one window read gave: its snapshots, its gaps, and how many events lie inside it. A record handed on early
 * (events.handover.ts) is a placeholder (undefined) in its snapshot, numbered still.
 */
export interface WindowPart<T = unknown> {
  snapshots: Snapshot<T | undefined>[];
  gaps: UnreadRecords[];
  events: number;
}

/** The request of every GetEventsLog call of one stream but its window and page. */
export type WindowRequest = Omit<GetEventsLogParams, "TimestampFrom" | "TimestampTo" | "Limit" | "Offset">;

/** One stream's read: how to ask, and what it learned so far in this run. */
export interface WindowReading<T = unknown> {
  client: YandexDirectClient;
  request: WindowRequest;
  pageLimit: number;
  zone: string;
  /** What is kept of each record as its response arrives. */
  records: RecordReading<T>;
  tally: RequestTally;
  signal: AbortSignal | undefined;
  /** Economy: the capacity, the account's audits, and whether economy still holds for this stream. */
  capacity: CapacityMemory<WindowProbe>;
  audit: AuditPolicy;
  economy: () => boolean;
  /** The largest response seen: sizes windows, proves nothing. */
  pageSize: number;
  /** A far Offset came back empty: a repeat at an Offset is the log's own content. */
  offsetHonoured: boolean;
  /** Economy: a read settled on trust began here, ms (the first since the last audit). */
  onTrusted: (from: number) => void;
  /** Economy: an audit passed (the trusted reads before it stand) or found more (they are read again). */
  onAudit: (passed: boolean) => void;
}

async function getPage<T>(r: WindowReading<T>, from: number, to: number, limit: number, offset: number) {
  r.signal?.throwIfAborted();
  const param: GetEventsLogParams = {
    ...r.request,
    TimestampFrom: isoSeconds(new Date(from - SECOND)),
    TimestampTo: isoSeconds(new Date(to)),
    Limit: limit,
    ...(offset ? { Offset: offset } : {}),
  };
  return r.client.getEventsLog(param, r.tally, r.signal);
}

/** A response as the reader keeps it (RecordReading); an event far outside the window fails the read. */
function responsePage<T>(r: WindowReading<T>, items: unknown[], from: number, to: number): ResponsePage<T> {
  const kept = new Array<T>(items.length);
  const texts = new Array<string>(items.length);
  const times = new Array<number>(items.length);
  const read = { text: "", kept: undefined } as RecordRead<T | undefined> as RecordRead<T>;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const stamp = (item as { Timestamp?: unknown } | null)?.Timestamp;
    const at = typeof stamp === "string" ? parseTimestampMs(stamp, r.zone) : undefined;
    times[i] = at ?? Number.NaN;
    r.records(item, times[i] as number, read);
    kept[i] = read.kept;
    texts[i] = read.text;
    if (at !== undefined && (at < from - 2 * SECOND || at > to + SECOND)) {
      throw new WindowOutOfRangeError(
        `GetEventsLog returned an event at ${r.client.redact(String(stamp))} for the window ${isoSeconds(new Date(from))} – ${isoSeconds(new Date(to))}: ` +
          `if the API writes timestamps without a zone, set the account's timestamp zone (now ${r.zone})`,
      );
    }
  }
  return { items: kept, texts, times };
}

/** Economy: whether a first response ends the read on trust (not audited this time). */
function settledOnTrust<T>(r: WindowReading<T>, n: number): "trusted" | "audit" | "no" {
  if (!r.economy() || !trustsResponse(n, r.capacity.records, r.capacity.isFresh(), false)) return "no";
  return auditsNext(r.audit) ? "audit" : "trusted";
}

/** Reads [from, to) by Offset pages until a follow-up is empty, or the read must stop. */
export async function readPages<T>(
  r: WindowReading<T>,
  from: number,
  to: number,
  mayTrust: boolean,
  /** Given each page once it belongs to the read: hands its early records on (events.handover.ts). */
  early?: (page: ResponsePage<T | undefined>) => Promise<void>,
): Promise<{ pages: ResponsePage<T | undefined>[]; end: ReadEnd }> {
  const pages: ResponsePage<T | undefined>[] = [];
  const received: string[] = [];
  let offset = 0;
  let auditing = false;
  for (let k = 0; k < MAX_PAGES_PER_READ; k++) {
    const items = await getPage(r, from, to, r.pageLimit, offset);
    if (auditing) r.onAudit(items.length === 0);
    if (items.length === 0) return { pages, end: "empty" };
    const page = responsePage(r, items, from, to);
    if (offset > 0 && !r.offsetHonoured && repeatsStart(received, page.texts)) {
      if ((await getPage(r, from, to, 1, FAR_OFFSET)).length > 0) return { pages, end: "offset-ignored" };
      r.offsetHonoured = true;
    }
    pages.push(page);
    for (const text of page.texts) received.push(text);
    await early?.(page);
    offset += items.length;
    r.pageSize = Math.max(r.pageSize, Math.min(items.length, r.pageLimit));
    if (r.economy()) r.capacity.delivered(items.length, { from, to, limit: r.pageLimit });
    const trust = k === 0 && mayTrust ? settledOnTrust(r, items.length) : "no";
    if (trust === "trusted") {
      r.onTrusted(from);
      return { pages, end: "trusted" };
    }
    auditing = trust === "audit";
  }
  return { pages, end: "page-bound" };
}

/** Whether the record at `at` (NaN: unreadable, always kept) lies inside [from, to), outside the seconds in `skip`. */
function inside(at: number, from: number, to: number, skip: ReadonlySet<number> | undefined): boolean {
  return Number.isNaN(at) || (at >= from && at < to && !skip?.has(secondOf(at)));
}

/**
 * The items of pages inside [from, to) (and those without a readable time), leaving out the seconds in `skip`.
 * A placeholder (a record handed on early) is left out too: all occurrences of its text in its page went early
 * together, so the numbering of every other text is the same without it.
 */
export function kept<T>(
  pages: readonly ResponsePage<T | undefined>[],
  from: number,
  to: number,
  skip?: ReadonlySet<number>,
): Snapshot<T> {
  const kept: Snapshot<T> = { items: [], times: [], texts: [] };
  for (const page of pages) {
    for (let i = 0; i < page.items.length; i++) {
      const item = page.items[i];
      const at = page.times[i] as number;
      if (item === undefined || !inside(at, from, to, skip)) continue;
      kept.items.push(item);
      kept.times.push(at);
      kept.texts.push(page.texts[i] as string);
    }
  }
  return kept;
}

/** How many records of `pages` `kept` takes, placeholders counted: the events inside, for the window's density. */
function insideCount(pages: readonly ResponsePage<unknown>[], from: number, to: number, skip: ReadonlySet<number>) {
  let n = 0;
  for (const page of pages) for (const at of page.times) if (inside(at, from, to, skip)) n++;
  return n;
}

function gapOf(from: number, to: number, reason: string): UnreadRecords {
  return { at: new Date(from), until: new Date(to), unread: null, reason };
}

function stoppedRead(from: number, to: number, end: ReadEnd, pages: number): UnreadRecords {
  const range = `${isoSeconds(new Date(from))} – ${isoSeconds(new Date(to))}`;
  return gapOf(
    from,
    to,
    end === "offset-ignored"
      ? `GetEventsLog answered Offset ${FAR_OFFSET} with events: the server ignores Offset, so ${range} cannot be read past its first response`
      : `${range} still had events after ${pages} responses`,
  );
}

/** A read that must stop: each response numbered on its own, never more occurrences than the server holds. */
function stopped<T>(
  pages: readonly ResponsePage<T | undefined>[],
  from: number,
  to: number,
  gap: UnreadRecords,
): WindowPart<T> {
  const snapshots = pages.map((p) => kept([p], from, to));
  return { snapshots, gaps: [gap], events: snapshots.reduce((n, s) => n + s.items.length, 0) };
}

/** Reads one second alone until one read is one snapshot or two reads agree; otherwise a gap. */
export async function readSecond<T>(r: WindowReading<T>, at: number): Promise<WindowPart<T>> {
  const to = at + SECOND;
  const all: ResponsePage<T | undefined>[] = [];
  let previous: string[] | undefined;
  for (let attempt = 0; attempt < READS_TO_AGREE; attempt++) {
    const read = await readPages(r, at, to, false);
    for (const page of read.pages) all.push(page);
    if (read.end !== "empty") return stopped(read.pages, at, to, stoppedRead(at, to, read.end, read.pages.length));
    const snapshot = kept(read.pages, at, to);
    const texts = snapshot.texts;
    const consistent = unsettledSeconds(read.pages, at, to).length === 0;
    if (consistent || (previous && sameRecords(previous, texts)))
      return { snapshots: [snapshot], gaps: [], events: snapshot.items.length };
    previous = texts;
  }
  const reason = `${READS_TO_AGREE} reads of ${isoSeconds(new Date(at))} disagreed (events registered while it was paged)`;
  return stopped(all, at, to, gapOf(at, to, reason));
}

/**
 * Reads [from, to) whole: its pages, then each second a late event may have shifted, alone. Each page's early
 * records go to `early` as it arrives (events.handover.ts); the read waits while `early` is full. A first answer
 * smaller than a page is told to `firstAnswer` (its count of events) before the follow-up is asked: a size to plan
 * by, which proves nothing.
 */
export async function readWindow<T>(
  r: WindowReading<T>,
  from: number,
  to: number,
  early?: EarlyRecordsQueue<T>,
  firstAnswer?: (events: number) => void,
): Promise<WindowPart<T>> {
  const handover = new EarlyRecords<T>(from, to);
  let answers = 0;
  const read = await readPages(r, from, to, true, (page) => {
    if (answers++ === 0 && page.items.length < r.pageSize) firstAnswer?.(page.items.length);
    return early ? handover.page(page, early) : Promise.resolve();
  });
  if (read.end === "offset-ignored" || read.end === "page-bound") {
    const part = stopped(read.pages, from, to, stoppedRead(from, to, read.end, read.pages.length));
    // Early records counted too: the events inside, for the window's density.
    const events = insideCount(read.pages, from, to, new Set());
    return { ...part, snapshots: [...handover.heldBack(), ...part.snapshots], events };
  }
  const unsettled = unsettledSeconds(read.pages, from, to);
  const skip = new Set(unsettled);
  const main = kept(read.pages, from, to, skip);
  // The last page's early records go with the window's end, numbered as in their page.
  const events = insideCount(read.pages, from, to, skip);
  const part: WindowPart<T> = { snapshots: [...handover.heldBack(), main], gaps: [], events };
  for (const at of unsettled) {
    const second = await readSecond(r, at);
    for (const snapshot of second.snapshots) handover.leaveOut(snapshot, read.pages);
    part.snapshots.push(...second.snapshots);
    part.gaps.push(...second.gaps);
    part.events += second.events;
  }
  return part;
}
