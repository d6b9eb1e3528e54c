import { type Kysely, sql } from "kysely";
import { type CountGap, recordCountGap } from "./gaps.repository.js";
import { retryOnLostConnection } from "./connection.loss.js";
import type { Database, SourceName, StreamRunStatus, StreamStatus } from "./warehouse.tables.js";

/**
 * Opens the stream's row for this run (status running) and marks the stream running: one statement, so one
 * round trip (a stream of an incremental run costs a few dozen milliseconds in all).
 */
export async function beginStreamRun(
  db: Kysely<Database>,
  runId: number,
  streamId: number,
  cursorBefore: Date | null,
): Promise<void> {
  await sql`
    with opened as (
      insert into sync.stream_runs (run_id, stream_id, cursor_before, cursor_after, finished_at, completeness_gap, error)
      values (${runId}, ${streamId}, ${cursorBefore}, ${cursorBefore}, null, null, null)
      on conflict (run_id, stream_id) do update
        set status = 'running', cursor_before = excluded.cursor_before, started_at = now()
      returning 1
    )
    update sync.streams set status = 'running', last_run_id = ${runId}, updated_at = now()
     where stream_id = ${streamId}`.execute(db);
}

/**
 * Records a stream the run could not sync because a session that is not an eventlog-sync process holds its
 * lock: a `failed` row for this run with `error` naming the holder, carried to the stream, so that status and
 * freshness show it. (A stream held by another eventlog-sync process gets no row: the run counts it.)
 */
export async function recordHeldStream(
  db: Kysely<Database>,
  runId: number,
  streamId: number,
  error: string,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const stream = await tx
      .selectFrom("sync.streams")
      .select("cursor")
      .where("stream_id", "=", streamId)
      .executeTakeFirstOrThrow();
    await tx
      .insertInto("sync.stream_runs")
      .values({
        run_id: runId,
        stream_id: streamId,
        status: "failed",
        finished_at: sql<Date>`now()`,
        cursor_before: stream.cursor,
        cursor_after: stream.cursor,
        completeness_gap: null,
        error,
      })
      .onConflict((oc) => oc.columns(["run_id", "stream_id"]).doNothing())
      .execute();
    await tx
      .updateTable("sync.streams")
      .set({ status: "failed", last_error: error, last_run_id: runId, updated_at: sql`now()` })
      .where("stream_id", "=", streamId)
      .execute();
  });
}

export interface StreamRunEnd {
  status: Exclude<StreamRunStatus, "running">;
  error: string | null;
  completenessGap?: number | null;
  /**
   * The result of a count check after the read (Altcraft total_count): a shortfall replaces the stream's
   * open count gap, null closes it (none found), undefined leaves it alone (not checked).
   */
  countGap?: CountGap | null;
  /** Requests and retries made after the last stored page (they belong to no page). */
  unpagedRequests?: number;
  unpagedRetries?: number;
}

/** Closes the stream's row for this run and carries the result to the stream itself. */
export async function finishStreamRun(
  db: Kysely<Database>,
  runId: number,
  streamId: number,
  end: StreamRunEnd,
): Promise<void> {
  await retryOnLostConnection(() => finishStreamRunOnce(db, runId, streamId, end));
}

async function finishStreamRunOnce(
  db: Kysely<Database>,
  runId: number,
  streamId: number,
  end: StreamRunEnd,
): Promise<void> {
  const { countGap } = end;
  if (countGap === undefined) {
    await finishStatement(runId, streamId, end).execute(db);
    return;
  }
  await db.transaction().execute(async (tx) => {
    await recordCountGap(tx, streamId, runId, countGap);
    await finishStatement(runId, streamId, end).execute(tx);
  });
}

/**
 * The stream's row for this run closed — its status, the cursor it reached, the requests made after its last
 * batch, and the gaps this run found or found again (their events summed, NULL when any is of unknown size) —
 * and the result carried to the stream, in one statement. sync.streams.unread_events / unread_at follow the open
 * gaps by themselves (a trigger).
 */
function finishStatement(runId: number, streamId: number, end: StreamRunEnd) {
  const status: StreamStatus = end.status;
  const gap = end.completenessGap === undefined ? sql`sr.completeness_gap` : sql`${end.completenessGap}`;
  const succeeded = end.status === "succeeded" ? sql`, last_success_at = now()` : sql``;
  // Freshness counts from here: an incomplete read still reached the end of what the source settles.
  const read = end.status === "succeeded" || end.status === "incomplete" ? sql`, last_read_at = now()` : sql``;
  return sql`
    with found as (
      select count(*) as gaps, count(*) filter (where unread_events is null) as unknown,
             sum(unread_events)::bigint as unread, min(at) as at
        from sync.gaps
       where last_run_id = ${runId} and stream_id = ${streamId} and closed_run_id is distinct from ${runId}
    ), finished as (
      update sync.stream_runs sr
         set status = ${end.status}, error = ${end.error}, finished_at = now(),
             cursor_after = (select cursor from sync.streams where stream_id = ${streamId}),
             requests = sr.requests + ${end.unpagedRequests ?? 0}, retries = sr.retries + ${end.unpagedRetries ?? 0},
             completeness_gap = ${gap},
             unread_events = case when found.gaps = 0 or found.unknown > 0 then null else found.unread end,
             unread_at = found.at
        from found
       where sr.run_id = ${runId} and sr.stream_id = ${streamId}
      returning 1
    )
    update sync.streams set status = ${status}, last_error = ${end.error}, updated_at = now()${succeeded}${read}
     where stream_id = ${streamId}`;
}

/**
 * An account that failed as a whole (its campaigns could not be listed, its token was refused) fails its
 * known streams too, so that status and freshness stop showing their last success. Each gets a row for
 * this run; retired streams and streams outside `streamKeys` (when given: a run restricted to some
 * streams) are left alone. Returns how many streams were marked.
 */
export async function failAccountStreams(
  db: Kysely<Database>,
  runId: number,
  account: { source: SourceName; account: string; error: string; streamKeys?: readonly string[] | undefined },
): Promise<number> {
  if (account.streamKeys?.length === 0) return 0;
  return db.transaction().execute(async (tx) => {
    let query = tx
      .selectFrom("sync.streams")
      .select(["stream_id", "cursor"])
      .where("source", "=", account.source)
      .where("account", "=", account.account)
      .where("status", "<>", "retired");
    if (account.streamKeys) query = query.where("stream_key", "in", [...account.streamKeys]);
    const streams = await query.forUpdate().execute();
    if (streams.length === 0) return 0;
    await tx
      .insertInto("sync.stream_runs")
      .values(
        streams.map((s) => ({
          run_id: runId,
          stream_id: s.stream_id,
          status: "failed" as const,
          finished_at: sql<Date>`now()`,
          cursor_before: s.cursor,
          cursor_after: s.cursor,
          completeness_gap: null,
          error: account.error,
        })),
      )
      .onConflict((oc) => oc.columns(["run_id", "stream_id"]).doNothing())
      .execute();
    await tx
      .updateTable("sync.streams")
      .set({ status: "failed", last_error: account.error, last_run_id: runId, updated_at: sql`now()` })
      .where(
        "stream_id",
        "in",
        streams.map((s) => s.stream_id),
      )
      .execute();
    return streams.length;
  });
}
