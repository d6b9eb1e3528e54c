/**
 * What a read that threw means for the stream: interrupted when a signal came, failed when its lock was lost
 * (the batches stored are kept), partial when a quota was reached (progress kept), failed otherwise.
 */
import { classifyFailure } from "../http/retry.policy.js";
import { toError } from "../errors.js";
import { warehouseFailureMessage } from "../warehouse/connection.loss.js";
import { streamLabel } from "../warehouse/streams.repository.js";
import type { EngineRun, StreamResult } from "./run-stream.engine.js";

/** How a stream's read ended: its status so far (a stream read is never skipped), and why when it did not succeed. */
export interface ReadResult {
  status: Exclude<StreamResult, "skipped">;
  error: string | null;
}

/** The status and error of a read that threw `err`, logged. */
export function failedRead<Row>(run: EngineRun<Row>, err: unknown): ReadResult {
  const { context, lock, outcome, log } = run;
  const failure = toError(err);
  const where = `${streamLabel(run.job.identity)} at cursor ${outcome.cursor?.toISOString() ?? "(start)"}`;
  if (context.signal.aborted) return { status: "interrupted", error: `interrupted by a signal (${where})` };
  if (lock.lost.aborted) {
    const error = `${toError(lock.lost.reason).message}: the stream stopped, its stored pages are kept (${where})`;
    log.error({ err: toError(lock.lost.reason), cursor: outcome.cursor }, "stream failed: its lock was lost");
    return { status: "failed", error };
  }
  const status = classifyFailure(err) === "quota" ? "partial" : "failed";
  log[status === "partial" ? "warn" : "error"](
    { err: failure, cursor: outcome.cursor },
    status === "partial" ? "quota reached: stream stopped, progress kept" : "stream failed",
  );
  return { status, error: `${warehouseFailureMessage(failure)} (${where})` };
}
