import { type Kysely, sql } from "kysely";
import { type CountGap, recordCountGap } from "./gaps.repository.js";
import { retryOnLostConnection } from "./connection.loss.js";
import type { StreamLock } from "./stream.lock.js";
import type { Database, SourceName, Stream, StreamRunStatus, StreamStatus } from "./warehouse.tables.js";

/** The stream a run was to sync is no longer in the warehouse (removed while the run waited for it). */
export class StreamGoneError extends Error {
  override readonly name = "StreamGoneError";
}

/** The stream as read under its lock, and whether this run opened its row (false: read by another run since). */
export interface OpenedStreamRun {
  stream: Stream;
  opened: boolean;
}

/**
 * Under the stream's lock, in one statement: reads the stream again (another process may have moved its cursor
 * since the run registered it) and, unless another run has read it completely since `roundStartedAt` (copies
 * side by side never read one stream twice in one round), opens its row for this run (status running, the
 * cursor it starts from) and marks the stream running. Throws StreamGoneError when the stream is no longer in the
 * warehouse.
 */
export async function openStreamRun(
  db: Kysely<Database>,
  runId: number,
  streamId: number,
  roundStartedAt?: Date,
  /** The stream's lock: its run is opened on the lock's own connection. */
  on?: Pick<StreamLock, "run">,
): Promise<OpenedStreamRun> {
  const statement = sql<Stream & { opened: boolean }>`
    with s as (select * from sync.streams where stream_id = ${streamId}),
    opened as (
      insert into sync.stream_runs (run_id, stream_id, cursor_before, cursor_after, finished_at, completeness_gap, error)
      select ${runId}, s.stream_id, s.cursor, s.cursor, null, null, null from s
       where not coalesce(s.last_read_at >= ${roundStartedAt ?? null}::timestamptz and s.last_run_id <> ${runId}, false)
      on conflict (run_id, stream_id) do update
        set status = 'running', cursor_before = excluded.cursor_before, started_at = now()
      returning 1
    ), marked as (
      update sync.streams set status = 'running', last_run_id = ${runId}, updated_at = now()
       where stream_id = ${streamId} and exists (select 1 from opened)
    )
    select s.*, exists (select 1 from opened) as opened from s`;
  const { rows } = on ? await on.run(statement.compile(db)) : await statement.execute(db);
  const row = rows[0];
  if (!row)
    throw new StreamGoneError(`no stream with stream_id ${streamId}: it left the warehouse before it was synced`);
  const { opened, ...stream } = row;
  return { stream, opened };
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
