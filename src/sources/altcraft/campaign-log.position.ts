/**
 * Where a read of one campaign log stands between two answers, and how each answer moves it (docs/architecture.md,
 * Glossary: follow-up, verdict, step past, audit). The decisions themselves live in campaign-log.evidence.ts and
 * campaign-log.answer.ts; these functions apply them to the read's position, one job each: take an answer in,
 * go on stepping past a millisecond, judge the answer, follow up a page, step or raise the limit.
 */
import { auditsNext, type CapacityMemory, type UnreadRecords } from "../page.capacity.js";
import {
  type Answer,
  checkReachesBack,
  iso,
  learnTotalCount,
  type LogAsking,
  steppedPast,
  type StepTotals,
} from "./campaign-log.answer.js";
import { followUpFrom, judgeResponse, type LogVerdict, stepFrom } from "./campaign-log.evidence.js";
import type { CampaignLogSettings, CampaignLogState, LogProbe } from "./campaign-log.stream.js";

/** Requests of one read that do not advance it, in a row, before the stream fails instead of looping. */
export const MAX_STALLS = 16;

/** A read that keeps asking without advancing, or a page without a readable time that cannot be paged past. */
export class StuckPageError extends Error {
  override readonly name = "StuckPageError";
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

/** One read of one campaign log: how it asks, where it stands, and what it has learned so far. */
export interface LogRead {
  settings: CampaignLogSettings;
  /** The paging state handed over with each page (capacity and total_count reading are added then). */
  state: CampaignLogState;
  capacity: CapacityMemory<LogProbe>;
  asking: LogAsking;
  at: Position;
}

/** Rows of the last millisecond in an answer against the most an answer before held. */
type AtLast = "fewer" | "more" | "same";

/**
 * What an answer teaches before it is judged: the zone guard of a follow-up (it must reach back to the last
 * millisecond), what total_count counts, the capacity and the account's largest response. Returns how the
 * rows of the last millisecond compare with the most an answer before held.
 */
export function takeAnswer(read: LogRead, answer: Answer): AtLast | undefined {
  const { at, asking, settings } = read;
  const n = answer.rows.length;
  if (at.last !== undefined && !at.stepping && at.from === followUpFrom(at.last))
    checkReachesBack(asking, answer, at.last);
  if (at.before) learnTotalCount(asking, at.before, answer);
  at.before = answer;
  settings.audit.largest = Math.max(settings.audit.largest, n);
  read.capacity.delivered(n, { from: at.from, limit: at.limit });
  return compareAtLast(at, answer);
}

/**
 * An answer from before the last millisecond that holds fewer rows of it than one before was cut inside it;
 * one that holds more shows the one before was. Only the same rows again can end the read.
 */
function compareAtLast(at: Position, answer: Answer): AtLast | undefined {
  const atLast = at.last === undefined ? 0 : rowsAt(answer, at.last);
  const compared =
    at.last === undefined || answer.from >= at.last
      ? undefined
      : atLast < at.heldAtLast
        ? "fewer"
        : atLast > at.heldAtLast
          ? "more"
          : "same";
  at.heldAtLast = Math.max(at.heldAtLast, atLast);
  return compared;
}

/**
 * An answer while stepping past the millisecond `last` (`stepping`: the answer that could not pass it).
 * `again`: it came alone (from_time is inclusive), so the read re-reads it from one millisecond on; otherwise
 * the step is over, with the gap it left, if any, and the read goes on at the page limit.
 */
export function stepOn(
  read: LogRead,
  answer: Answer,
  step: {
    last: number;
    stepping: Answer;
    /** The total_counts the count rests on, once asked again to agree (undefined in them: they never did). */
    totals?: StepTotals | undefined;
  },
): "again" | UnreadRecords | undefined {
  const { at } = read;
  const { last, stepping, totals } = step;
  const held = at.heldAtLast;
  const past = steppedPast(read.asking, {
    stepping,
    answer,
    last,
    limit: at.limit,
    held,
    ...(totals ? { totals } : {}),
  });
  if (past === "again") {
    at.stepping = answer;
    at.from = stepFrom(last, true);
    return past;
  }
  at.stepping = undefined;
  at.limit = read.settings.pageLimit;
  return past;
}

/** The verdict on an answer, from what the read has seen (judgeResponse). */
export function judgeAnswer(read: LogRead, answer: Answer, atLast: AtLast | undefined): LogVerdict {
  const { at, settings } = read;
  return judgeResponse({
    response: { rows: answer.rows.length, latest: answer.latest, totalCount: answer.totalCount },
    last: at.last,
    limit: at.limit,
    canRaise: at.limit < settings.maxPageLimit,
    largest: Math.max(settings.audit.largest, read.capacity.records ?? 0),
    reading: read.asking.reading ?? undefined,
    ...(atLast ? { atLast } : {}),
  });
}

/**
 * After a page: where the next request starts, and whether the read ends here on trust (economy). The
 * follow-up of a page the capacity would settle audits it: passing the page, it contradicts the capacity.
 */
export function settledOnTrust(read: LogRead, latest: number, answer: Answer): boolean {
  const { at: p, settings, state, capacity } = read;
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

/** A response that did not advance: a larger limit, or a step past the last millisecond. Ends any audit. */
export function stepOrRaise(read: LogRead, verdict: LogVerdict, answer: Answer): void {
  const { at: p, settings } = read;
  const { campaignId } = settings;
  p.auditing = false;
  if (++p.stalls > MAX_STALLS) {
    const where = p.last === undefined ? "its first page" : iso(p.last);
    throw new StuckPageError(
      `campaign ${campaignId}: campaigns/log_v2 did not advance past ${where} in ${MAX_STALLS} requests`,
    );
  }
  if (verdict.kind === "raise") {
    p.limit = Math.min(settings.maxPageLimit, p.limit * 4);
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

/** Rows of an answer at one millisecond. */
function rowsAt(answer: Answer, ms: number): number {
  let n = 0;
  for (const at of answer.times) if (at === ms) n++;
  return n;
}
