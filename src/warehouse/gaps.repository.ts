/**
 * Gaps are data: events a stream could not read, one row of sync.gaps per place (docs/architecture.md,
 * Glossary: gap, unread, completeness gap).
 *
 * - A **stepped** gap is a place in source time the read stepped past because the server would not give it
 *   whole. It is recorded in the transaction of the batch that stepped past it (`recordGaps`, called by
 *   the loader), so a crash right after that commit keeps it. Found again (a lookback re-read, a reset),
 *   it stays one row and takes the newer count: counts are replaced, never added. A later batch that reads
 *   its place completely without meeting it closes it.
 * - A **count** gap is the shortfall a source's own count reports after a read (Altcraft `total_count`):
 *   at most one open per stream, replaced at each check and closed by a check that finds none
 *   (`recordCountGap`, called when a stream run ends).
 *
 * How many events a gap holds is NULL when the server does not say: unknown, never 0. A stream's unread
 * events are its open gaps; sync.streams.unread_events / unread_at are kept from them by a trigger.
 */
import { CompiledQuery, Kysely, sql } from "kysely";
import type pg from "pg";
import { LoaderInputError } from "../errors.js";
import type { Database } from "./warehouse.tables.js";

/** A place the read stepped past, as a batch reports it. */
export interface GapRecord {
  kind: "stepped";
  /** Source time where the gap starts: the millisecond or second stepped past. */
  at: Date;
  /** Source time where it ends, when known. */
  until: Date | null;
  /** How many events it holds; null when the server does not say. */
  unread: number | null;
  /** Why, for the operator: what the server gave and what it would not. */
  reason: string;
}

/** A shortfall the source's own count reports after a read: how many events, from when, and why. */
export interface CountGap {
  at: Date;
  unread: number;
  reason: string;
}

/** The source-time range `[from, to)` a batch read completely, except for the gaps it reports. */
export interface CoveredRange {
  from: Date;
  to: Date;
}

/** Whether `covered` holds any time (an empty range closes no gap). */
export function coversTime(covered: CoveredRange | undefined): covered is CoveredRange {
  return covered !== undefined && covered.to.getTime() > covered.from.getTime();
}

/** What a stream's open gaps add up to. */
export interface OpenGapSummary {
  openGaps: number;
  /** Events of the open gaps whose size is known, summed (0 when none). */
  unreadKnown: number;
  /** Open gaps whose size the server did not say. */
  unknownGaps: number;
  /** Source time of the earliest open gap; null when none. */
  unreadAt: Date | null;
}

/** A stream without open gaps. */
export const NO_OPEN_GAPS: Readonly<OpenGapSummary> = Object.freeze({
  openGaps: 0,
  unreadKnown: 0,
  unknownGaps: 0,
  unreadAt: null,
});

/** A raw pg connection (the loader's, inside its transaction) or a Kysely database or transaction. */
export type GapWriter = Pick<pg.PoolClient, "query"> | Kysely<Database>;

async function execute<R>(client: GapWriter, text: string, values: unknown[]): Promise<{ rows: R[]; count: number }> {
  if (client instanceof Kysely) {
    const result = await client.executeQuery<R>(CompiledQuery.raw(text, values));
    return { rows: result.rows, count: Number(result.numAffectedRows ?? 0) };
  }
  const result = await client.query(text, values);
  return { rows: result.rows as R[], count: result.rowCount ?? 0 };
}

const isTime = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

/**
 * Throws a LoaderInputError naming the field and the value when `covered` or `gaps` does not fit the
 * warehouse. `where` starts the message (the loader passes its table).
 */
export function checkGapInput(
  where: string,
  covered: CoveredRange | undefined,
  gaps: readonly GapRecord[] | undefined,
): void {
  if (covered !== undefined) {
    if (!isTime(covered?.from) || !isTime(covered.to) || covered.to.getTime() < covered.from.getTime()) {
      throw new LoaderInputError(
        `${where}: covered must be { from, to } with valid Dates, from ≤ to, got ${JSON.stringify(covered)}`,
        "covered",
      );
    }
  }
  if (gaps === undefined) return;
  if (!Array.isArray(gaps)) throw new LoaderInputError(`${where}: gaps must be an array`, "gaps");
  for (const [i, gap] of gaps.entries()) {
    const problem =
      gap?.kind !== "stepped"
        ? `kind must be "stepped", got ${String(gap?.kind)}`
        : !isTime(gap.at)
          ? `at must be a valid Date, got ${String(gap.at)}`
          : gap.until !== null && (!isTime(gap.until) || gap.until.getTime() < gap.at.getTime())
            ? `until must be null or a valid Date not before at, got ${String(gap.until)}`
            : gap.unread !== null && !isCount(gap.unread)
              ? `unread must be null (unknown) or a whole number ≥ 1, got ${String(gap.unread)}`
              : typeof gap.reason !== "string" || gap.reason === ""
                ? "reason must be a non-empty string"
                : undefined;
    if (problem) throw new LoaderInputError(`${where}: gaps[${i}].${problem}`, "gaps");
  }
}

/**
 * The statement that closes a stream's open stepped gaps whose place lies in [from, to) and is not among `met`
 * (the places the batch met again), written with the given parameters; without `met`, all of them. The batch
 * loader runs it inside the statement that moves a batch without gaps of its own (one round trip fewer).
 */
export function closeSteppedGaps(p: { stream: string; run: string; from: string; to: string; met?: string }): string {
  return `update sync.gaps set closed_at = now(), closed_run_id = ${p.run}
        where stream_id = ${p.stream} and kind = 'stepped' and closed_at is null
          and at >= ${p.from}::timestamptz and at < ${p.to}::timestamptz${p.met ? ` and at <> all (${p.met}::timestamptz[])` : ""}`;
}

/**
 * Records what one batch learned about its stream's gaps, inside the batch's transaction: first closes the
 * open stepped gaps whose place lies in `covered` and that the batch did not meet again (read completely
 * since), then records each gap of the batch — a new row, or the open gap at the same place updated: its
 * count replaced (never added to), its reason, end, last run and last sighting. Gaps at the same place
 * twice in one batch: the last one counts.
 */
export async function recordGaps(
  client: GapWriter,
  streamId: number,
  runId: number,
  covered: CoveredRange | undefined,
  gaps: readonly GapRecord[],
): Promise<{ recorded: number; closed: number }> {
  checkGapInput(`gaps of stream ${streamId}`, covered, gaps);
  const places = gaps.map((g) => g.at.toISOString());
  let closed = 0;
  if (coversTime(covered)) {
    const result = await execute(
      client,
      closeSteppedGaps({ stream: "$1", run: "$2", from: "$3", to: "$4", met: "$5" }),
      [streamId, runId, covered.from.toISOString(), covered.to.toISOString(), places],
    );
    closed = result.count;
  }
  if (gaps.length === 0) return { recorded: 0, closed };
  const result = await execute(
    client,
    `insert into sync.gaps as g (stream_id, kind, at, until, unread_events, reason, found_run_id, last_run_id)
     select distinct on (n.at) $1::bigint, 'stepped', n.at, n.until, n.unread, n.reason, $2::bigint, $2::bigint
       from unnest($3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::text[])
            with ordinality as n(at, until, unread, reason, i)
      order by n.at, n.i desc
     on conflict (stream_id, at) where kind = 'stepped' and closed_at is null do update set
       until = excluded.until,
       unread_events = excluded.unread_events,
       reason = excluded.reason,
       last_run_id = excluded.last_run_id,
       last_seen_at = now()`,
    [
      streamId,
      runId,
      places,
      gaps.map((g) => g.until?.toISOString() ?? null),
      gaps.map((g) => g.unread),
      gaps.map((g) => g.reason),
    ],
  );
  return { recorded: result.count, closed };
}

/**
 * Records the result of a count check at the end of a stream run: null closes the stream's open count gap
 * (the check found no shortfall); a gap replaces the open one's place, count and reason, or opens one.
 */
export async function recordCountGap(
  client: GapWriter,
  streamId: number,
  runId: number,
  gap: CountGap | null,
): Promise<void> {
  if (gap === null) {
    await execute(
      client,
      `update sync.gaps set closed_at = now(), closed_run_id = $2
        where stream_id = $1 and kind = 'count' and closed_at is null`,
      [streamId, runId],
    );
    return;
  }
  const problem = !isTime(gap.at)
    ? `at must be a valid Date, got ${String(gap.at)}`
    : !isCount(gap.unread)
      ? `unread must be a whole number ≥ 1 (null when there is no shortfall), got ${String(gap.unread)}`
      : typeof gap.reason !== "string" || gap.reason === ""
        ? "reason must be a non-empty string"
        : undefined;
  if (problem) throw new LoaderInputError(`count gap of stream ${streamId}: ${problem}`, "countGap");
  await execute(
    client,
    `insert into sync.gaps as g (stream_id, kind, at, unread_events, reason, found_run_id, last_run_id)
     values ($1, 'count', $3, $4, $5, $2, $2)
     on conflict (stream_id) where kind = 'count' and closed_at is null do update set
       at = excluded.at,
       unread_events = excluded.unread_events,
       reason = excluded.reason,
       last_run_id = excluded.last_run_id,
       last_seen_at = now()`,
    [streamId, runId, gap.at.toISOString(), gap.unread, gap.reason],
  );
}

/**
 * The open gaps of each stream that has any (all streams, or those given), keyed by stream id: what
 * `status` and the daemon's metrics show. A stream missing from the map has none (NO_OPEN_GAPS).
 */
export async function openGapSummaries(
  db: Kysely<Database>,
  streamIds?: readonly number[],
): Promise<Map<number, OpenGapSummary>> {
  if (streamIds?.length === 0) return new Map();
  const only = streamIds ? sql`and stream_id = any (${[...streamIds]}::bigint[])` : sql``;
  const { rows } = await sql<{
    stream_id: number;
    open_gaps: number;
    unknown_gaps: number;
    unread_known: number | string;
    unread_at: Date;
  }>`
    select stream_id, count(*)::int as open_gaps, count(*) filter (where unread_events is null)::int as unknown_gaps,
           coalesce(sum(unread_events), 0)::bigint as unread_known, min(at) as unread_at
      from sync.gaps
     where closed_at is null ${only}
     group by stream_id`.execute(db);
  return new Map(
    rows.map((r) => [
      Number(r.stream_id),
      {
        openGaps: r.open_gaps,
        unreadKnown: Number(r.unread_known),
        unknownGaps: r.unknown_gaps,
        unreadAt: r.unread_at,
      },
    ]),
  );
}

/** Events of open gaps in one number: their sum, or null when any is of unknown size or there are none. */
export function unreadEvents(summary: OpenGapSummary): number | null {
  return summary.openGaps === 0 || summary.unknownGaps > 0 ? null : summary.unreadKnown;
}
