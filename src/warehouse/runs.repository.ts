import type { Kysely } from "kysely";
import { retryOnLostConnection } from "./connection.loss.js";
import type { Database, RunStatus } from "./warehouse.tables.js";

/** Records how a run ended, and how many streams it left to another process (`streamsSkipped`, default 0). */
export async function finishRun(
  db: Kysely<Database>,
  runId: number,
  status: RunStatus,
  error: string | null = null,
  counts: { streamsSkipped?: number } = {},
): Promise<void> {
  await retryOnLostConnection(() =>
    db
      .updateTable("sync.runs")
      .set({ status, error, finished_at: new Date(), streams_skipped: counts.streamsSkipped ?? 0 })
      .where("run_id", "=", runId)
      .execute(),
  );
}
