/**
 * Reads one Altcraft stream (the log of one campaign) page by page from the cursor on (docs/architecture.md,
 * Glossary: page, evidence, gap, zone guard). The decisions live in campaign-log.evidence.ts, and how each
 * answer moves the read in campaign-log.position.ts; this file makes the requests they call for.
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
 *   across the millisecond when total_count is known to count rows from from_time on, unknown otherwise;
 *   the request before the millisecond is asked again after the one past it, and the count holds only when
 *   its total_count did not move between them (`agreedTotals`: a late row would make it one too low).
 * - Guards, since a time read in the wrong zone silently skips rows: every row must lie within
 *   [from_time − 1 s, now + 1 min], and each follow-up page must reach back to the previous page's last
 *   millisecond; otherwise the stream fails, naming the likely cause.
 */
import type { RequestTally } from "../../http/request.retries.js";
import { type AuditPolicy, type Capacity, CapacityMemory, type UnreadRecords } from "../page.capacity.js";
import type { AltcraftClient } from "./altcraft.client.js";
import { type Answer, askLog, type StepTotals } from "./campaign-log.answer.js";
import type { TotalCountReading } from "./campaign-log.evidence.js";
import {
  judgeAnswer,
  type LogRead,
  MAX_STALLS,
  settledOnTrust,
  stepOn,
  stepOrRaise,
  takeAnswer,
} from "./campaign-log.position.js";

export { RowOutOfRangeError, SkippedRowsError } from "./campaign-log.answer.js";
export { StuckPageError } from "./campaign-log.position.js";

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

/** Where a read starts: the cursor minus the lookback; the start time for a stream without a cursor. */
export function readStart(settings: Pick<CampaignLogSettings, "startTime" | "lookbackMs">, cursor: Date | null) {
  return cursor ? cursor.getTime() - Math.max(1, settings.lookbackMs) : settings.startTime.getTime() - 1;
}

/** A read about to begin: from the cursor less the lookback, at the page limit, nothing learned yet. */
function startRead(
  client: AltcraftClient,
  settings: CampaignLogSettings,
  start: { cursor: Date | null; state: CampaignLogState; now: Date },
  ask: { tally: RequestTally; signal: AbortSignal | undefined; clock: () => number },
): LogRead {
  const capacity = new CapacityMemory<LogProbe>(start.state.capacity, settings.capacityMemoryMs, ask.clock);
  const state: CampaignLogState = { ...start.state };
  const asking = {
    client,
    campaignId: settings.campaignId,
    zone: settings.zone,
    tally: ask.tally,
    signal: ask.signal,
    now: start.now.getTime(),
    reading: state.totalCountReading,
    seen: 0,
  };
  const at = {
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
  return { settings, state, capacity, asking, at };
}

/**
 * The batch handed over for an answer: its rows, the cursor and paging state as they stand, the gap of a
 * millisecond stepped past just before it, and the source time it holds whole (from its from_time to `whole`).
 */
function pageOf(read: LogRead, answer: Answer, unread?: UnreadRecords, whole?: number): CampaignLogPage {
  const { state, capacity, asking } = read;
  return {
    ...(whole !== undefined && whole > answer.from
      ? { covered: { from: new Date(answer.from), to: new Date(whole) } }
      : {}),
    rows: answer.rows,
    times: answer.times,
    cursor: read.at.cursor,
    state: {
      ...state,
      capacity: capacity.snapshot(),
      ...(asking.reading === undefined ? {} : { totalCountReading: asking.reading }),
    },
    totalCount: answer.totalCount,
    fromTime: new Date(answer.from),
    ...(unread ? { unread } : {}),
  };
}

/** What one answer makes of the read: the batch to hand over, if any, and whether the read is over. */
interface Move {
  page: CampaignLogPage | undefined;
  over: boolean;
}

/**
 * Whether an answer past a stepped-past millisecond is to be counted by total_count's fall across it: it
 * does not hold the millisecond, and both answers show a total_count that may count from from_time on.
 */
function countsByTotal(read: LogRead, answer: Answer): boolean {
  const { at, asking } = read;
  if (!at.stepping || at.last === undefined || asking.reading === null || asking.reading === "all") return false;
  const last = at.last;
  if (answer.times.some((t) => t === last)) return false;
  return at.stepping.totalCount !== undefined && answer.totalCount !== undefined;
}

/**
 * The total_counts a step's count rests on, measured so that they agree. A late row after the millisecond,
 * registered between the answer that could not pass it and the answer past it, raises the second count by
 * one and would make the count one too low (a row passed over, or a millisecond read whole taken for a gap
 * of unknown size). So the first request is asked again after the second, and the pair counts only when
 * the first's total_count did not move between them; otherwise the pair is asked again, up to MAX_STALLS
 * requests in all. If they never agree, the gap's size is unknown. Costs one request when nothing arrived.
 */
async function agreedTotals(read: LogRead, answer: Answer): Promise<StepTotals | undefined> {
  if (!countsByTotal(read, answer)) return undefined;
  const { asking, at } = read;
  const stepping = at.stepping as Answer;
  let before = stepping.totalCount;
  let after = answer.totalCount;
  for (let asked = 0; asked < MAX_STALLS; asked += 2) {
    const again = (await askLog(asking, stepping.from, at.limit)).totalCount;
    if (again === before) return { before, after };
    after = (await askLog(asking, answer.from, at.limit)).totalCount;
    before = again;
  }
  return { before: undefined, after: undefined };
}

/** Takes an answer in, finishes a step past a millisecond, judges the answer, and moves the read on. */
function moveOn(read: LogRead, answer: Answer, totals?: StepTotals): Move {
  const { at } = read;
  const atLast = takeAnswer(read, answer);
  let unread: UnreadRecords | undefined;
  if (at.stepping && at.last !== undefined) {
    const past = stepOn(read, answer, { last: at.last, stepping: at.stepping, totals });
    // Given alone (from_time is inclusive) and nothing after: its fullest snapshot; a millisecond on next.
    if (past === "again") return { page: pageOf(read, answer), over: false };
    unread = past;
  }
  const verdict = judgeAnswer(read, answer, atLast);
  if (verdict.kind === "end" || verdict.kind === "settled") {
    const page = verdict.kind === "settled" || unread ? pageOf(read, answer, unread) : undefined;
    return { page, over: true };
  }
  if (verdict.kind === "page") {
    const trusted = settledOnTrust(read, verdict.latest, answer);
    return { page: pageOf(read, answer, unread, at.last), over: trusted };
  }
  stepOrRaise(read, verdict, answer);
  return { page: at.stepping || unread ? pageOf(read, answer, unread) : undefined, over: false };
}

/** Reads the log of one campaign from the cursor on, a page per request; see the top of this file. */
export async function* readCampaignLog(
  client: AltcraftClient,
  settings: CampaignLogSettings,
  start: { cursor: Date | null; state: CampaignLogState; now: Date },
  tally: RequestTally,
  signal?: AbortSignal,
  /** Wall clock for the age of a capacity, ms. */
  clock: () => number = Date.now,
): AsyncGenerator<CampaignLogPage> {
  const read = startRead(client, settings, start, { tally, signal, clock });
  for (;;) {
    const answer = await askLog(read.asking, read.at.from, read.at.limit);
    const move = moveOn(read, answer, await agreedTotals(read, answer));
    if (move.page) yield move.page;
    if (move.over) return;
  }
}
