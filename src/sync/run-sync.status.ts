/**
 * The run's end: its status, error and note from its streams' outcomes and its failed accounts, recorded in
 * sync.runs and logged.
 */
import type { Logger } from "../log/pino.logger.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { finishRun } from "../warehouse/runs.repository.js";
import type { RunStatus } from "../warehouse/warehouse.tables.js";
import type { StreamOutcome } from "./run-stream.engine.js";
import type { AccountFailure } from "./run-sync.engine.js";

/**
 * The run's status from its streams' results and its failed accounts: succeeded when everything attempted
 * succeeded (streams another process held are not attempted), failed when something was attempted and
 * nothing succeeded, partial in between.
 */
export function runStatus(outcomes: readonly StreamOutcome[], failedAccounts = 0): RunStatus {
  if (outcomes.some((o) => o.status === "interrupted")) return "interrupted";
  const attempted = outcomes.filter((o) => o.status !== "skipped");
  if (attempted.length + failedAccounts === 0) return "succeeded";
  const succeeded = attempted.filter((o) => o.status === "succeeded").length;
  if (succeeded === 0) return "failed";
  return succeeded === attempted.length && failedAccounts === 0 ? "succeeded" : "partial";
}

/**
 * A run that planned streams and left every one to other eventlog-sync processes is no plain success: the
 * note says so (its exit code stays 0: with several copies, one that finds its siblings took everything is
 * the normal case). A stranger holding a stream fails that stream instead, so it is never in this count.
 */
export function nothingToDo(outcomes: readonly StreamOutcome[], failedAccounts = 0): string | undefined {
  if (outcomes.length === 0 || failedAccounts > 0 || outcomes.some((o) => o.status !== "skipped")) return undefined;
  const n = outcomes.length;
  return `nothing to do: ${n === 1 ? "the 1 stream" : `all ${n} streams`} held or just synced by other eventlog-sync processes`;
}

/** `2 failed, 1 partial`: the streams of a run by result. */
function tally(outcomes: readonly StreamOutcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
}

/** Why the run did not succeed: the signal, its failed accounts, or its streams by result; null when it did. */
function runError(status: RunStatus, outcomes: readonly StreamOutcome[], failures: readonly AccountFailure[]) {
  if (status === "interrupted") return "interrupted by a signal";
  if (failures.length > 0) return failures.map((f) => f.error).join("; ");
  return status === "failed" ? `no stream succeeded: ${tally(outcomes)}` : null;
}

/**
 * Records the run's end in sync.runs and logs it. A run stopped before it took every job, or while it was
 * still listing (`plannedInFull` false), is interrupted.
 */
export async function recordRunEnd(
  deps: { warehouse: Warehouse; log: Logger; signal: AbortSignal },
  runId: number,
  run: {
    jobs: number;
    plannedInFull: boolean;
    outcomes: readonly StreamOutcome[];
    failures: readonly AccountFailure[];
  },
): Promise<{ status: RunStatus; note?: string }> {
  const { outcomes, failures } = run;
  const status =
    deps.signal.aborted && (outcomes.length < run.jobs || !run.plannedInFull)
      ? "interrupted"
      : runStatus(outcomes, failures.length);
  const skipped = outcomes.filter((o) => o.status === "skipped").length;
  await finishRun(deps.warehouse.db, runId, status, runError(status, outcomes, failures), { streamsSkipped: skipped });
  const note = nothingToDo(outcomes, failures.length);
  deps.log.info({ status, streams: outcomes.length, skipped, failedAccounts: failures.length }, note ?? "run finished");
  return { status, ...(note ? { note } : {}) };
}
