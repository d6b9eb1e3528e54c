import { hostname } from "node:os";
import type { Kysely } from "kysely";
import { retryOnLostConnection } from "./lost-connection.js";
import type { Database, RunStatus } from "./tables.js";

/** Records the start of a run and returns its id. */
export async function startRun(db: Kysely<Database>, command: string): Promise<number> {
  const row = await db
    .insertInto("sync.runs")
    .values({ command, host: hostname(), pid: process.pid, finished_at: null, error: null })
    .returning("run_id")
    .executeTakeFirstOrThrow();
  return row.run_id;
}

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
