import type { Kysely } from "kysely";
import { retryOnLostConnection } from "./connection.loss.js";
import type { Database, RunStatus } from "./warehouse.tables.js";

/** What a stream run still `running` at its run's end says: its end was never recorded. */
export const UNRECORDED_END =
  "failed: the run ended before this stream's end could be recorded (the warehouse did not answer); its stored batches are kept";

/**
 * Records how a run ended, and how many streams it left to another process (`streamsSkipped`, default 0).
 * Every stream of the run has stopped by then, so a stream run still `running` (its end was lost to the
 * warehouse going away) is ended `failed` in the same transaction, with its stream: nothing of a finished
 * run stays `running`.
 */
export async function finishRun(
  db: Kysely<Database>,
  runId: number,
  status: RunStatus,
  error: string | null = null,
  counts: { streamsSkipped?: number } = {},
): Promise<void> {
  await retryOnLostConnection(() =>
    db.transaction().execute(async (tx) => {
      await tx
        .updateTable("sync.runs")
        .set({ status, error, finished_at: new Date(), streams_skipped: counts.streamsSkipped ?? 0 })
        .where("run_id", "=", runId)
        .execute();
      await tx
        .updateTable("sync.stream_runs")
        .set({ status: "failed", error: UNRECORDED_END, finished_at: new Date() })
        .where("run_id", "=", runId)
        .where("status", "=", "running")
        .execute();
      await tx
        .updateTable("sync.streams")
        .set({ status: "failed", last_error: UNRECORDED_END, updated_at: new Date() })
        .where("last_run_id", "=", runId)
        .where("status", "=", "running")
        .execute();
    }),
  );
}
