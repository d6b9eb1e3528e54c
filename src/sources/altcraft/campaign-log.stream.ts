/**
 * Reads one Altcraft stream (the log of one campaign) page by page from the cursor on (docs/architecture.md,
 * Glossary: page, evidence, gap, zone guard). The decisions live in campaign-log.evidence.ts; this file
 * makes the requests they call for.
 *
 * - Each follow-up asks `from_time = last millisecond read − 1 ms`, so it holds that millisecond whole again
 *   whether the API treats from_time as inclusive or exclusive; occurrences are numbered per response.
 * - A read ends on an answer: an empty response, or a follow-up that brought nothing past the last
 *   millisecond and could have (`judgeResponse`). total_count, once two responses showed what it counts,
 *   is a cross-check: more than the follow-up holds means it was cut short. In `economy` (the account's
 *   choice) a page smaller than a fresh capacity also ends a read, audited as on Yandex.Direct.
 * - A follow-up that could not advance (full at `maxPageLimit`, or as large as any response the server gave,
 *   inside one millisecond) steps past that millisecond: `from_time` = the millisecond, then one more once
 *   the server shows from_time is inclusive. What it could not read is a gap, counted by total_count's fall
 *   across the millisecond when total_count is known to count rows from from_time on, unknown otherwise.
 * - Guards, since a time read in the wrong zone silently skips rows: every row must lie within
 *   [from_time − 1 s, now + 1 min], and each follow-up page must reach back to the previous page's last
 *   millisecond; otherwise the stream fails, naming the likely cause.
 */
import type { RequestTally } from "../../http/with-retries.js";
import { parseTimestamp } from "../../time/timestamp.js";
import { type AuditPolicy, auditsNext, type Capacity, CapacityMemory, type UnreadRecords } from "../page-capacity.js";
import type { AltcraftClient } from "./altcraft.client.js";
import {
  followUpFrom,
  judgeResponse,
  readTotalCount,
  stepFrom,
  type TotalCountReading,
  unreadAcross,
} from "./campaign-log.evidence.js";

/**
 * How far before from_time a row may lie before its time is taken to be read in the wrong zone: none can
 * (log_v2 filters on from_time), but a server may round from_time down to its second.
 */
const BEFORE_FROM_TOLERANCE_MS = 1_000;
/** How far after now a row may lie (clocks of two machines differ a little). */
const AFTER_NOW_TOLERANCE_MS = 60_000;
/** Requests of one read that do not advance it, in a row, before the stream fails instead of looping. */
const MAX_STALLS = 16;

export interface CampaignLogSettings {
  campaignId: number;
  /** `limit` of a request, rows. */
  pageLimit: number;
  /** Largest `limit` used when one millisecond holds more than a page. */
  maxPageLimit: number;
  /** Zone of times without one. */
  zone: string;
  /** Where a stream without a cursor starts. */
  startTime: Date;
  /** How far before the cursor each run re-reads, ms (0: only the last millisecond). */
  lookbackMs: number;
  completeness: "strict" | "economy";
  /** Economy: how long a capacity is relied on, ms. */
  capacityMemoryMs: number;
  /** Economy: the account's audits in this run. */
  audit: AuditPolicy;
}

/** A request that delivered the capacity. */
export interface LogProbe {
  from: number;
  limit: number;
}

/** Paging state kept in sync.streams.state between runs (null clears a key). */
export interface CampaignLogState {
  /** The most rows the server delivered in one response: economy's shortcut, and strict's reason to doubt. */
  capacity?: Capacity<LogProbe> | null;
  /** What `total_count` counts, once two responses of one read showed it; dropped on a contradiction. */
  totalCountReading?: TotalCountReading | null;
  /** An audit found the capacity wrong: this stream reads strictly from then on. */
  strict?: boolean;
}

export interface CampaignLogPage {
  /** Rows of one response, as sent. */
  rows: unknown[];
  /** Each row's time as read here, ms since the epoch (undefined: unreadable). */
  times: (number | undefined)[];
  /** Latest time seen so far (the cursor once this page is stored). */
  cursor: Date | null;
  state: CampaignLogState;
  /** `total_count` of the response and the `from_time` it answered. */
  totalCount: number | undefined;
  fromTime: Date;
  /** Rows of a millisecond stepped past just before this page. */
  unread?: UnreadRecords;
  /** The source time this page holds whole: from its from_time to before its last millisecond. */
  covered?: { from: Date; to: Date };
}

export class StuckPageError extends Error {
  override readonly name = "StuckPageError";
}

/** A row outside [from_time, now]: its time is most likely read in the wrong zone. */
export class RowOutOfRangeError extends Error {
  override readonly name = "RowOutOfRangeError";
}

/** A follow-up page that does not reach back to the previous page's last millisecond: the server skipped rows. */
export class SkippedRowsError extends Error {
  override readonly name = "SkippedRowsError";
}

const iso = (ms: number) => new Date(ms).toISOString();

interface Answer {
  from: number;
  rows: unknown[];
  times: (number | undefined)[];
  totalCount: number | undefined;
  latest: number | undefined;
  earliest: number | undefined;
}

/** Where a read starts: the cursor minus the lookback; the start time for a stream without a cursor. */
export function readStart(settings: Pick<CampaignLogSettings, "startTime" | "lookbackMs">, cursor: Date | null) {
  return cursor ? cursor.getTime() - Math.max(1, settings.lookbackMs) : settings.startTime.getTime() - 1;
}

export async function* readCampaignLog(
  client: AltcraftClient,
  settings: CampaignLogSettings,
  start: { cursor: Date | null; state: CampaignLogState; now: Date },
  tally: RequestTally,
  signal?: AbortSignal,
  /** Wall clock for the age of a capacity, ms. */
  clock: () => number = Date.now,
): AsyncGenerator<CampaignLogPage> {
  const capacity = new CapacityMemory<LogProbe>(start.state.capacity, settings.capacityMemoryMs, clock);
  const state: CampaignLogState = { ...start.state };
  const now = start.now.getTime();
  let cursor = start.cursor;
  let from = readStart(settings, cursor);
  let limit = settings.pageLimit;
  /** Latest millisecond read in this read. */
  let last: number | undefined;
  /** The answer before: to learn what total_count counts, and to count a stepped-past millisecond. */
  let before: Answer | undefined;
  /** A millisecond being stepped past: the answer that could not pass it. */
  let stepping: Answer | undefined;
  let stalls = 0;
  /** Economy: the next answer follows up a page the capacity would have settled. */
  let auditing = false;
  /** Rows of this read before the current from_time: a count of every row is never below it. */
  let seen = 0;
  const economy = () => settings.completeness === "economy" && !state.strict && !settings.audit.strict;

  const call = async (fromMs: number, lim: number): Promise<Answer> => {
    signal?.throwIfAborted();
    const envelope = await client.call(
      "campaigns/log_v2",
      { id: settings.campaignId, from_time: iso(fromMs), limit: lim },
      tally,
      signal,
    );
    const data = envelope.data;
    const rows = Array.isArray(data) ? data : data === undefined || data === null || data === "" ? [] : [data];
    const times = rows.map((row) => timeOf(row, settings.zone));
    let latest: number | undefined;
    let earliest: number | undefined;
    for (let i = 0; i < times.length; i++) {
      const at = times[i];
      if (at === undefined) continue;
      if (at < fromMs - BEFORE_FROM_TOLERANCE_MS || at > now + AFTER_NOW_TOLERANCE_MS) {
        const text = client.redact(String((rows[i] as { time?: unknown }).time));
        throw new RowOutOfRangeError(
          `campaign ${settings.campaignId}: campaigns/log_v2 returned a row at ${text} for from_time ${iso(fromMs)} (now ${iso(now)}): ` +
            `if the API writes times without a zone, set the account's timestampZone (now ${settings.zone})`,
        );
      }
      if (latest === undefined || at > latest) latest = at;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return { from: fromMs, rows, times, totalCount: envelope.total_count, latest, earliest };
  };

  const pageOf = (answer: Answer, unread?: UnreadRecords, whole?: number): CampaignLogPage => ({
    ...(whole !== undefined && whole > answer.from
      ? { covered: { from: new Date(answer.from), to: new Date(whole) } }
      : {}),
    rows: answer.rows,
    times: answer.times,
    cursor,
    state: { ...state, capacity: capacity.snapshot() },
    totalCount: answer.totalCount,
    fromTime: new Date(answer.from),
    ...(unread ? { unread } : {}),
  });

  /** Learns (or drops) what total_count counts from two answers of this read. */
  const learnTotalCount = (a: Answer, b: Answer) => {
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
      if (state.totalCountReading === undefined && a.totalCount !== undefined && b.totalCount !== undefined)
        if (known > 0 && fell >= known) state.totalCountReading = "filtered";
      return;
    }
    seen += inclusive;
    const reading = readTotalCount(a, b, { inclusive, exclusive }, seen);
    if (reading === "contradicted") state.totalCountReading = null;
    else if (reading !== "unchanged") state.totalCountReading = reading;
  };

  for (;;) {
    const answer = await call(from, limit);
    console.log(
      "AC",
      settings.campaignId,
      new Date(from).toISOString(),
      limit,
      answer.rows.length,
      answer.totalCount,
      answer.latest && new Date(answer.latest).toISOString(),
      state.totalCountReading,
      last && new Date(last).toISOString(),
      settings.audit.largest,
      capacity.records,
      capacity.isFresh(),
    );
    const n = answer.rows.length;
    if (last !== undefined && stepping === undefined && from === followUpFrom(last)) {
      if (answer.earliest === undefined || answer.earliest > last) {
        throw new SkippedRowsError(
          `campaign ${settings.campaignId}: campaigns/log_v2 from_time ${iso(from)} answered ` +
            `${answer.earliest === undefined ? "no row" : `from ${iso(answer.earliest)} on`}, past the previous page's last row at ${iso(last)}: ` +
            `the server skipped rows; if the API writes times without a zone, set the account's timestampZone (now ${settings.zone})`,
        );
      }
    }
    if (before) learnTotalCount(before, answer);
    before = answer;
    settings.audit.largest = Math.max(settings.audit.largest, n);
    capacity.delivered(n, { from, limit });

    let unread: UnreadRecords | undefined;
    if (stepping !== undefined && last !== undefined) {
      const atLast = answer.times.some((at) => at === last);
      // The server gave the millisecond again at from_time = it (inclusive), and nothing after: this answer is
      // its fullest snapshot; the next one, a millisecond on, counts what even this one could not hold.
      if (atLast && answer.latest !== undefined && answer.latest <= last) {
        stepping = answer;
        yield pageOf(answer);
        from = stepFrom(last, true);
        continue;
      }
      // An answer from the millisecond itself that passed it holds it whole, and one that gave it alone with
      // room to spare (smaller than the server has answered) was not cut: nothing was left.
      const alone = stepping.from === last;
      const roomy = alone && stepping.rows.length < Math.max(settings.audit.largest, capacity.records ?? 0);
      const missing =
        atLast || roomy
          ? 0
          : unreadAcross({
              before: stepping.totalCount,
              after: answer.totalCount,
              rowsRead: stepping.rows.length,
              reading: state.totalCountReading ?? undefined,
            });
      if (missing !== 0) {
        unread = {
          at: new Date(last),
          unread: missing,
          reason:
            stepping.rows.length >= limit
              ? `${iso(last)} holds more rows than the largest page (limit ${limit}; raise maxPageLimit to read them)`
              : stepping.from === last
                ? `the server gave ${stepping.rows.length} rows of ${iso(last)} and would not page past them`
                : `the server gave ${stepping.rows.length} rows from ${iso(stepping.from)} to ${iso(last)} and would not page past them`,
        };
      }
      stepping = undefined;
      limit = settings.pageLimit;
    }

    const verdict = judgeResponse({
      response: { rows: n, latest: answer.latest, totalCount: answer.totalCount },
      last,
      limit,
      canRaise: limit < settings.maxPageLimit,
      largest: Math.max(settings.audit.largest, capacity.records ?? 0),
      reading: state.totalCountReading ?? undefined,
    });
    if (verdict.kind === "end") {
      if (unread) yield pageOf(answer, unread);
      return;
    }
    if (verdict.kind === "page") {
      stalls = 0;
      last = verdict.latest;
      if (!cursor || last > cursor.getTime()) cursor = new Date(last);
      limit = settings.pageLimit;
      // The follow-up of a page the capacity would settle audits it: passing the page, it contradicts the capacity.
      if (auditing) {
        state.strict = true;
        settings.audit.strict = true;
      }
      auditing = economy() && capacity.isFresh() && n < (capacity.records ?? 0);
      if (auditing && !auditsNext(settings.audit)) {
        // Settled on trust: the rest, if any, lies after the cursor and is read by the next run.
        yield pageOf(answer, unread, last);
        return;
      }
      yield pageOf(answer, unread, last);
      from = followUpFrom(last);
      continue;
    }
    auditing = false;
    if (verdict.kind === "settled") {
      yield pageOf(answer, unread);
      return;
    }
    if (++stalls > MAX_STALLS) {
      throw new StuckPageError(
        `campaign ${settings.campaignId}: campaigns/log_v2 did not advance past ${last === undefined ? "its first page" : iso(last)} in ${MAX_STALLS} requests`,
      );
    }
    if (verdict.kind === "raise") {
      limit = Math.min(settings.maxPageLimit, limit * 4);
      continue;
    }
    // Step past the last millisecond: what this answer could not show is counted by the next one.
    const at = last ?? answer.latest;
    if (at === undefined) {
      throw new StuckPageError(
        `campaign ${settings.campaignId}: a page of ${n} rows without a readable time cannot be paged past with from_time`,
      );
    }
    last = at;
    if (!cursor || at > cursor.getTime()) cursor = new Date(at);
    stepping = answer;
    yield pageOf(answer, unread);
    from = stepFrom(at, false);
  }
}

function timeOf(row: unknown, zone: string): number | undefined {
  const text = (row as { time?: unknown } | null)?.time;
  return typeof text === "string" ? parseTimestamp(text, zone)?.getTime() : undefined;
}
