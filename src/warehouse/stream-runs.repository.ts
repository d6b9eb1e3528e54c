import { type Kysely, sql } from "kysely";
import { type CountGap, gapsOfRun, recordCountGap } from "./gaps.repository.js";
import { retryOnLostConnection } from "./connection.loss.js";
import type { Database, SourceName, StreamRunStatus, StreamStatus } from "./warehouse.tables.js";

/** Opens the stream's row for this run (status running) and marks the stream running. */
export async function beginStreamRun(
  db: Kysely<Database>,
  runId: number,
  streamId: number,
  cursorBefore: Date | null,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto("sync.stream_runs")
      .values({
        run_id: runId,
        stream_id: streamId,
        cursor_before: cursorBefore,
        cursor_after: cursorBefore,
        finished_at: null,
        completeness_gap: null,
        error: null,
      })
      .onConflict((oc) =>
        oc
          .columns(["run_id", "stream_id"])
          .doUpdateSet({ status: "running", cursor_before: cursorBefore, started_at: sql`now()` }),
      )
      .execute();
    await tx
      .updateTable("sync.streams")
      .set({ status: "running", last_run_id: runId, updated_at: sql`now()` })
      .where("stream_id", "=", streamId)
      .execute();
  });
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
  await db.transaction().execute(async (tx) => {
    const stream = await tx
      .selectFrom("sync.streams")
      .select("cursor")
      .where("stream_id", "=", streamId)
      .executeTakeFirstOrThrow();
    await tx
      .updateTable("sync.stream_runs")
      .set((eb) => ({
        status: end.status,
        error: end.error,
        finished_at: sql`now()`,
        cursor_after: stream.cursor,
        requests: eb("requests", "+", end.unpagedRequests ?? 0),
        retries: eb("retries", "+", end.unpagedRetries ?? 0),
        ...(end.completenessGap === undefined ? {} : { completeness_gap: end.completenessGap }),
      }))
      .where("run_id", "=", runId)
      .where("stream_id", "=", streamId)
      .execute();
    await settleRunGaps(tx, runId, streamId, end);
    const status: StreamStatus = end.status;
    await tx
      .updateTable("sync.streams")
      .set({
        status,
        last_error: end.error,
        updated_at: sql`now()`,
        ...(end.status === "succeeded" ? { last_success_at: sql`now()` } : {}),
        // Freshness counts from here: an incomplete read still reached the end of what the source settles.
        ...(end.status === "succeeded" || end.status === "incomplete" ? { last_read_at: sql`now()` } : {}),
      })
      .where("stream_id", "=", streamId)
      .execute();
  });
}

/**
 * The gaps of the run: the count check's result, then what this run found or found again onto its
 * stream-run row. sync.streams.unread_events / unread_at follow the open gaps by themselves (a trigger).
 */
async function settleRunGaps(tx: Kysely<Database>, runId: number, streamId: number, end: StreamRunEnd) {
  if (end.countGap !== undefined) await recordCountGap(tx, streamId, runId, end.countGap);
  const found = await gapsOfRun(tx, runId, streamId);
  await tx
    .updateTable("sync.stream_runs")
    .set({ unread_events: found.unread, unread_at: found.at })
    .where("run_id", "=", runId)
    .where("stream_id", "=", streamId)
    .execute();
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
