/**
 * One answer of campaigns/log_v2 as the reader sees it, and what it teaches (docs/architecture.md, Glossary:
 * zone guard, step past): the request, the guards against times read in the wrong zone, what total_count
 * counts, and how many rows a stepped-past millisecond held that no answer gave.
 */
import type { RequestTally } from "../../http/request.retries.js";
import { parseTimestampMs } from "../../time/time.timestamp.js";
import type { UnreadRecords } from "../page.capacity.js";
import type { AltcraftClient } from "./altcraft.client.js";
import { readTotalCount, type TotalCountReading, unreadAcross } from "./campaign-log.evidence.js";

/**
 * How far before from_time a row may lie before its time is taken to be read in the wrong zone: none can
 * (log_v2 filters on from_time), but a server may round from_time down to its second.
 */
const BEFORE_FROM_TOLERANCE_MS = 1_000;
/** How far after now a row may lie (clocks of two machines differ a little). */
const AFTER_NOW_TOLERANCE_MS = 60_000;

/** A row outside [from_time, now]: its time is most likely read in the wrong zone. */
export class RowOutOfRangeError extends Error {
  override readonly name = "RowOutOfRangeError";
}

/** A follow-up page that does not reach back to the previous page's last millisecond: the server skipped rows. */
export class SkippedRowsError extends Error {
  override readonly name = "SkippedRowsError";
}

export const iso = (ms: number) => new Date(ms).toISOString();

export interface Answer {
  /** The from_time asked, ms. */
  from: number;
  rows: unknown[];
  /** Each row's time, ms (undefined: unreadable). */
  times: (number | undefined)[];
  totalCount: number | undefined;
  latest: number | undefined;
  earliest: number | undefined;
}

/** How one campaign's log is asked for, and what the read has learned about total_count. */
export interface LogAsking {
  client: AltcraftClient;
  campaignId: number;
  zone: string;
  now: number;
  tally: RequestTally;
  signal: AbortSignal | undefined;
  /** What total_count counts (null: shown not to count either way). */
  reading: TotalCountReading | null | undefined;
  /** Rows of this read before the current from_time: a count of every row is never below it. */
  seen: number;
}

export async function askLog(r: LogAsking, from: number, limit: number): Promise<Answer> {
  r.signal?.throwIfAborted();
  const envelope = await r.client.call(
    "campaigns/log_v2",
    { id: r.campaignId, from_time: iso(from), limit },
    r.tally,
    r.signal,
  );
  const data = envelope.data;
  const rows = Array.isArray(data) ? data : data === undefined || data === null || data === "" ? [] : [data];
  const times = rows.map((row) => timeOf(row, r.zone));
  let latest: number | undefined;
  let earliest: number | undefined;
  for (let i = 0; i < times.length; i++) {
    const at = times[i];
    if (at === undefined) continue;
    if (at < from - BEFORE_FROM_TOLERANCE_MS || at > r.now + AFTER_NOW_TOLERANCE_MS) {
      const text = r.client.redact(String((rows[i] as { time?: unknown }).time));
      throw new RowOutOfRangeError(
        `campaign ${r.campaignId}: campaigns/log_v2 returned a row at ${text} for from_time ${iso(from)} (now ${iso(r.now)}): ` +
          `if the API writes times without a zone, set the account's timestampZone (now ${r.zone})`,
      );
    }
    if (latest === undefined || at > latest) latest = at;
    if (earliest === undefined || at < earliest) earliest = at;
  }
  return { from, rows, times, totalCount: envelope.total_count, latest, earliest };
}

/** A follow-up from the millisecond before `last` must hold `last` again; otherwise the server skipped rows. */
export function checkReachesBack(r: LogAsking, answer: Answer, last: number): void {
  if (answer.earliest !== undefined && answer.earliest <= last) return;
  throw new SkippedRowsError(
    `campaign ${r.campaignId}: campaigns/log_v2 from_time ${iso(answer.from)} answered ` +
      `${answer.earliest === undefined ? "no row" : `from ${iso(answer.earliest)} on`}, past the previous page's last row at ${iso(last)}: ` +
      `the server skipped rows; if the API writes times without a zone, set the account's timestampZone (now ${r.zone})`,
  );
}

/** Learns (or drops) what total_count counts from two answers of one read, `a` asked before `b`. */
export function learnTotalCount(r: LogAsking, a: Answer, b: Answer): void {
  if (b.from <= a.from || a.latest === undefined) return;
  let inclusive = 0;
  let exclusive = 0;
  for (const at of a.times) {
    if (at === undefined) continue;
    if (at >= a.from && at < b.from) inclusive++;
    if (at > a.from && at <= b.from) exclusive++;
  }
  if (a.latest <= b.from) {
    // `a` may hold only some of the rows between: a fall by at least those it holds suggests total_count
    // counts from from_time on (a count of every row never falls), until a whole pair says otherwise.
    const fell = (a.totalCount ?? 0) - (b.totalCount ?? 0);
    const known = Math.max(inclusive, exclusive);
    const both = a.totalCount !== undefined && b.totalCount !== undefined;
    if (r.reading === undefined && both && known > 0 && fell >= known) r.reading = "filtered";
    return;
  }
  r.seen += inclusive;
  const reading = readTotalCount(a, b, { inclusive, exclusive }, r.seen);
  if (reading === "contradicted") r.reading = null;
  else if (reading !== "unchanged") r.reading = reading;
}

/** The two total_counts a step's count rests on, asked again until they agree; undefined: they never did. */
export interface StepTotals {
  before: number | undefined;
  after: number | undefined;
}

/**
 * After stepping onto the millisecond `last` (the answer `stepping` could not pass it): `again` when this
 * answer gave it again alone (from_time is inclusive: step one more), otherwise the gap it leaves, if any.
 * An answer from the millisecond itself that passed it holds it whole; otherwise total_count's fall across
 * it counts what no answer gave, and without a total_count known to count from from_time on, how many is
 * unknown: no size says a response was not cut. `totals`: the two total_counts to count with, when they were
 * asked again to agree (campaign-log.stream.ts); undefined in them makes the gap's size unknown.
 */
export function steppedPast(
  r: LogAsking,
  step: {
    stepping: Answer;
    answer: Answer;
    last: number;
    limit: number;
    /** The most rows of `last` any answer of the read held: what the warehouse holds of it. */
    held: number;
    totals?: StepTotals;
  },
): "again" | UnreadRecords | undefined {
  const { stepping, answer, last, limit, held, totals } = step;
  const atLast = answer.times.some((at) => at === last);
  if (atLast && answer.latest !== undefined && answer.latest <= last) return "again";
  const alone = stepping.from === last;
  if (atLast) return undefined;
  // The stepping answer holds only rows of `last` (an exclusive server's follow-up, or the millisecond alone).
  const missing = unreadAcross({
    before: totals ? totals.before : stepping.totalCount,
    after: totals ? totals.after : answer.totalCount,
    rowsRead: Math.max(held, stepping.rows.length),
    reading: r.reading ?? undefined,
  });
  if (missing === 0) return undefined;
  const n = stepping.rows.length;
  const reason =
    n >= limit
      ? `${iso(last)} holds more rows than the largest page (limit ${limit}; raise maxPageLimit to read them)`
      : alone
        ? `the server gave ${n} rows of ${iso(last)} and would not page past them`
        : `the server gave ${n} rows from ${iso(stepping.from)} to ${iso(last)} and would not page past them`;
  return { at: new Date(last), unread: missing, reason };
}

function timeOf(row: unknown, zone: string): number | undefined {
  const text = (row as { time?: unknown } | null)?.time;
  return typeof text === "string" ? parseTimestampMs(text, zone) : undefined;
}
