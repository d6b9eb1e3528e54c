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
import { type AuditPolicy, auditsNext, type Capacity, CapacityMemory, type UnreadRecords } from "../page-capacity.js";
import type { AltcraftClient } from "./altcraft.client.js";
import {
  type Answer,
  askLog,
  checkReachesBack,
  iso,
  learnTotalCount,
  type LogAsking,
  steppedPast,
} from "./campaign-log.answer.js";
import {
  followUpFrom,
  judgeResponse,
  type LogVerdict,
  stepFrom,
  type TotalCountReading,
} from "./campaign-log.evidence.js";

export { RowOutOfRangeError, SkippedRowsError } from "./campaign-log.answer.js";

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

/** A read that keeps asking without advancing, or a page without a readable time that cannot be paged past. */
export class StuckPageError extends Error {
  override readonly name = "StuckPageError";
}

/** Where a read starts: the cursor minus the lookback; the start time for a stream without a cursor. */
export function readStart(settings: Pick<CampaignLogSettings, "startTime" | "lookbackMs">, cursor: Date | null) {
  return cursor ? cursor.getTime() - Math.max(1, settings.lookbackMs) : settings.startTime.getTime() - 1;
}

/** Where a read stands between two answers. */
interface Position {
  /** from_time and limit of the next request. */
  from: number;
  limit: number;
  /** Latest millisecond read in this read, and the most rows of it one answer held. */
  last: number | undefined;
  heldAtLast: number;
  cursor: Date | null;
  /** The answer before: to learn what total_count counts. */
  before: Answer | undefined;
  /** A millisecond being stepped past: the answer that could not pass it. */
  stepping: Answer | undefined;
  stalls: number;
  /** Economy: this answer follows up a page the capacity would have settled. */
  auditing: boolean;
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
  const { campaignId, zone } = settings;
  const asking: LogAsking = {
    client,
    campaignId,
    zone,
    tally,
    signal,
    now: start.now.getTime(),
    reading: state.totalCountReading,
    seen: 0,
  };
  const at: Position = {
    from: readStart(settings, start.cursor),
    limit: settings.pageLimit,
    cursor: start.cursor,
    last: undefined,
    heldAtLast: 0,
    before: undefined,
    stepping: undefined,
    stalls: 0,
    auditing: false,
  };
  const largest = () => Math.max(settings.audit.largest, capacity.records ?? 0);
  const pageOf = (answer: Answer, unread?: UnreadRecords, whole?: number): CampaignLogPage => ({
    ...(whole !== undefined && whole > answer.from
      ? { covered: { from: new Date(answer.from), to: new Date(whole) } }
      : {}),
    rows: answer.rows,
    times: answer.times,
    cursor: at.cursor,
    state: {
      ...state,
      capacity: capacity.snapshot(),
      ...(asking.reading === undefined ? {} : { totalCountReading: asking.reading }),
    },
    totalCount: answer.totalCount,
    fromTime: new Date(answer.from),
    ...(unread ? { unread } : {}),
  });

  for (;;) {
    const answer = await askLog(asking, at.from, at.limit);
    const n = answer.rows.length;
    if (at.last !== undefined && !at.stepping && at.from === followUpFrom(at.last))
      checkReachesBack(asking, answer, at.last);
    if (at.before) learnTotalCount(asking, at.before, answer);
    at.before = answer;
    settings.audit.largest = Math.max(settings.audit.largest, n);
    capacity.delivered(n, { from: at.from, limit: at.limit });
    // An answer from before the last millisecond that holds fewer rows of it than one before was cut inside
    // it; one that holds more shows the one before was. Only the same rows again can end the read.
    const atLast = at.last === undefined ? 0 : rowsAt(answer, at.last);
    const comparedAtLast =
      at.last === undefined || answer.from >= at.last
        ? undefined
        : atLast < at.heldAtLast
          ? "fewer"
          : atLast > at.heldAtLast
            ? "more"
            : "same";
    at.heldAtLast = Math.max(at.heldAtLast, atLast);
    let unread: UnreadRecords | undefined;
    if (at.stepping && at.last !== undefined) {
      const step = { stepping: at.stepping, answer, last: at.last, limit: at.limit, held: at.heldAtLast };
      const past = steppedPast(asking, step);
      if (past === "again") {
        // Given alone (from_time is inclusive) and nothing after: its fullest snapshot; a millisecond on next.
        at.stepping = answer;
        yield pageOf(answer);
        at.from = stepFrom(at.last, true);
        continue;
      }
      unread = past;
      at.stepping = undefined;
      at.limit = settings.pageLimit;
    }
    const verdict = judgeResponse({
      response: { rows: n, latest: answer.latest, totalCount: answer.totalCount },
      last: at.last,
      limit: at.limit,
      canRaise: at.limit < settings.maxPageLimit,
      largest: largest(),
      reading: asking.reading ?? undefined,
      ...(comparedAtLast ? { atLast: comparedAtLast } : {}),
    });
    if (verdict.kind === "end" || verdict.kind === "settled") {
      if (verdict.kind === "settled" || unread) yield pageOf(answer, unread);
      return;
    }
    if (verdict.kind === "page") {
      const trusted = settledOnTrust(at, verdict.latest, answer);
      yield pageOf(answer, unread, at.last);
      if (trusted) return;
      continue;
    }
    at.auditing = false;
    stepOrRaise(at, verdict, answer, settings.maxPageLimit);
    if (at.stepping || unread) yield pageOf(answer, unread);
  }

  /**
   * After a page: where the next request starts, and whether the read ends here on trust (economy). The
   * follow-up of a page the capacity would settle audits it: passing the page, it contradicts the capacity.
   */
  function settledOnTrust(p: Position, latest: number, answer: Answer): boolean {
    const n = answer.rows.length;
    p.stalls = 0;
    if (latest !== p.last) p.heldAtLast = rowsAt(answer, latest);
    p.last = latest;
    if (!p.cursor || latest > p.cursor.getTime()) p.cursor = new Date(latest);
    p.limit = settings.pageLimit;
    p.from = followUpFrom(latest);
    if (p.auditing) state.strict = settings.audit.strict = true;
    const economy = settings.completeness === "economy" && !state.strict && !settings.audit.strict;
    p.auditing = economy && capacity.isFresh() && n < (capacity.records ?? 0);
    // Settled on trust: the rest, if any, lies after the cursor and is read by the next run.
    return p.auditing && !auditsNext(settings.audit);
  }

  /** A response that did not advance: a larger limit, or a step past the last millisecond. */
  function stepOrRaise(p: Position, verdict: LogVerdict, answer: Answer, maxLimit: number): void {
    if (++p.stalls > MAX_STALLS) {
      const where = p.last === undefined ? "its first page" : iso(p.last);
      throw new StuckPageError(
        `campaign ${campaignId}: campaigns/log_v2 did not advance past ${where} in ${MAX_STALLS} requests`,
      );
    }
    if (verdict.kind === "raise") {
      p.limit = Math.min(maxLimit, p.limit * 4);
      return;
    }
    const last = p.last ?? answer.latest;
    if (last === undefined) {
      throw new StuckPageError(
        `campaign ${campaignId}: a page of ${answer.rows.length} rows without a readable time cannot be paged past with from_time`,
      );
    }
    if (last !== p.last) p.heldAtLast = rowsAt(answer, last);
    p.last = last;
    if (!p.cursor || last > p.cursor.getTime()) p.cursor = new Date(last);
    p.stepping = answer;
    p.from = stepFrom(last, false);
  }
}

/** Rows of an answer at one millisecond. */
function rowsAt(answer: Answer, ms: number): number {
  let n = 0;
  for (const at of answer.times) if (at === ms) n++;
  return n;
}
