/**
 * The decisions of reading an Altcraft campaign log, each a small pure function (docs/architecture.md,
 * Glossary: evidence, follow-up, gap). log_v2 has `from_time` and `limit` only; the server model: a response
 * is the oldest rows from `from_time` on (inclusive or not), as many as the server chooses per response.
 *
 * A read pages with `from_time = last millisecond read − 1 ms`, so every follow-up holds that millisecond
 * whole again. Only a follow-up that brings nothing new ends a read. A follow-up that could not have
 * brought anything new — it is as large as the largest response the server has given, or total_count says
 * more is there — does not end it: the read steps past that millisecond, counting what it could not read.
 */

/** What total_count counts, once shown: the rows from from_time on, or every row of the campaign. */
export type TotalCountReading = "filtered" | "all";

/** What one response means for the read. */
export type LogVerdict =
  /** Empty: nothing more from this from_time. */
  | { kind: "end" }
  /** Rows past the last millisecond read: store them and follow up from the new last millisecond. */
  | { kind: "page"; latest: number }
  /** A follow-up that brought nothing past the last millisecond, and could have: the read is over. */
  | { kind: "settled" }
  /** Full at `limit` inside one millisecond: ask again with a larger `limit`. */
  | { kind: "raise" }
  /** It could not have shown more: step past the last millisecond. */
  | { kind: "step" };

export interface Response {
  rows: number;
  /** Latest readable time in the response, ms. */
  latest: number | undefined;
  totalCount: number | undefined;
}

/**
 * Judges a response to `from_time = from`, `limit`, given the latest millisecond read before (`last`), the
 * largest response the server has given (`largest`), whether `limit` can still grow, and what total_count
 * counts (when shown).
 */
export function judgeResponse(input: {
  response: Response;
  last: number | undefined;
  limit: number;
  canRaise: boolean;
  largest: number;
  reading: TotalCountReading | undefined;
  /**
   * Rows of the last millisecond in the response against the most an earlier answer held: fewer (it was
   * cut inside it: step past), or more (the one before was: a better snapshot of it, to follow up again).
   */
  atLast?: "fewer" | "more" | "same";
}): LogVerdict {
  const { response, last, limit, canRaise, largest, reading } = input;
  if (response.rows === 0) return { kind: "end" };
  if (response.latest === undefined) return { kind: response.rows >= limit && canRaise ? "raise" : "step" };
  if (last === undefined || response.latest > last) return { kind: "page", latest: response.latest };
  // Nothing past the last millisecond read.
  if (response.rows >= limit) return { kind: canRaise ? "raise" : "step" };
  if (response.rows >= largest || input.atLast === "fewer") return { kind: "step" };
  if (input.atLast === "more") return { kind: "page", latest: last };
  if (reading === "filtered" && response.totalCount !== undefined && response.totalCount > response.rows)
    return { kind: "step" };
  return { kind: "settled" };
}

/**
 * What two responses of one read at from_times `a.from < b.from` show total_count counts: it fell by exactly
 * the rows between them (`filtered`), or stayed and counts at least every row seen (`all`). `unchanged`: both
 * fit (nothing between), so nothing is shown; `contradicted`: neither fits — a count of the rows in the
 * response, say — and what was believed is dropped. `between` counts the rows of `a` in [a.from, b.from) and
 * in (a.from, b.from], for either inclusivity of from_time.
 */
export function readTotalCount(
  a: { totalCount: number | undefined },
  b: { totalCount: number | undefined },
  between: { inclusive: number; exclusive: number },
  /** Distinct rows this read has seen: a count of every row is never below it. */
  seen: number,
): TotalCountReading | "unchanged" | "contradicted" {
  if (a.totalCount === undefined || b.totalCount === undefined) return "contradicted";
  const fell = a.totalCount - b.totalCount;
  const filtered = fell === between.inclusive || fell === between.exclusive;
  const all = fell === 0 && b.totalCount >= seen;
  if (filtered && all) return "unchanged";
  if (filtered) return "filtered";
  if (all) return "all";
  return "contradicted";
}

/**
 * Rows of a stepped-past millisecond the server would not give: total_count from before it (`before`, asked
 * at the millisecond before) less total_count after it, less the rows the response before held. Null when
 * total_count is not known to count rows from from_time on; 0 when nothing was left.
 */
export function unreadAcross(input: {
  before: number | undefined;
  after: number | undefined;
  rowsRead: number;
  reading: TotalCountReading | undefined;
}): number | null {
  const { before, after, rowsRead, reading } = input;
  if (reading !== "filtered" || before === undefined || after === undefined) return null;
  const missing = before - after - rowsRead;
  return missing >= 0 ? missing : null;
}

/**
 * The from_time of the next request after a response judged `page` (or of a read's first request): the
 * millisecond before the latest, so that millisecond comes whole again whatever the inclusivity.
 */
export const followUpFrom = (latest: number): number => latest - 1;

/**
 * The from_time that steps past the millisecond `at`: first the millisecond itself (an exclusive server
 * answers what follows it; an inclusive one answers it alone, without the millisecond before taking room),
 * then, once the server gave it alone, one more.
 */
export const stepFrom = (at: number, shownAlone: boolean): number => (shownAlone ? at + 1 : at);

/**
 * The latest run marker (a start or end row: its time, ms, and state) of what a read has seen, given the one
 * seen before and a page's latest; at the same millisecond the later page's wins.
 */
export function latestRunMarker(
  seen: { time: number; state: string } | undefined,
  page: { time: number; state: string } | undefined,
): { time: number; state: string } | undefined {
  if (!page) return seen;
  return !seen || page.time >= seen.time ? page : seen;
}

/**
 * The state of the log's latest run marker after a read: the read's latest marker, else (the read saw none)
 * the state the read before recorded.
 */
export function lastRunState(
  read: { state: string } | undefined,
  before: string | null | undefined,
): string | null | undefined {
  return read ? read.state : before;
}

/** Whether the campaign's log has ended: its latest run marker is an `end` row. */
export const logHasEnded = (lastState: string | null | undefined): boolean => lastState === "end";
