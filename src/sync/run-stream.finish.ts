/**
 * The engine's finish step: after the read, the job's own bookkeeping (a good read only), the gaps summed up
 * (a stream that read all it could but not everything is incomplete), the stream run recorded with its
 * outcome, and the outcome logged.
 */
import type { CountGap } from "../warehouse/gaps.repository.js";
import { finishStreamRun } from "../warehouse/stream-runs.repository.js";
import { streamLabel } from "../warehouse/streams.repository.js";
import type { EngineRun, StreamGap, StreamOutcome } from "./run-stream.engine.js";
import type { ReadResult } from "./run-stream.failure.js";

/** One line for every gap of a read, with the total where the server says how many. */
function summariseGaps(
  gaps: readonly StreamGap[],
): { events: number | null; at: Date; description: string } | undefined {
  const first = gaps[0];
  if (!first) return undefined;
  const known = gaps.every((g) => g.unread !== null);
  const events = known ? gaps.reduce((sum, g) => sum + (g.unread ?? 0), 0) : null;
  const at = new Date(Math.min(...gaps.map((g) => g.at.getTime())));
  const count = events === null ? "an unknown number of events" : `${events} event${events === 1 ? "" : "s"}`;
  return { events, at, description: `${count} could not be read: ${gaps.map((g) => g.reason).join("; ")}` };
}

/** Records the stream run's end and returns the stream's outcome. */
export async function finishStream<Row>(run: EngineRun<Row>, read: ReadResult): Promise<StreamOutcome> {
  const { context, job, outcome, tally, flushed } = run;
  const finished = read.status === "succeeded" && job.finish ? await job.finish(context.warehouse) : undefined;
  const completenessGap = finished?.completenessGap;
  const countGap = finished?.countGap;
  const { status, error } = withUnread(run, read, countGap);
  await finishStreamRun(context.warehouse.db, context.runId, run.stream.stream_id, {
    status,
    error,
    ...(completenessGap === undefined ? {} : { completenessGap }),
    ...(countGap === undefined ? {} : { countGap }),
    unpagedRequests: tally.requests - flushed.requests,
    unpagedRetries: tally.retries - flushed.retries,
  });
  outcome.status = status;
  if (error) outcome.error = error;
  outcome.requests = tally.requests;
  outcome.retries = tally.retries;
  logFinished(run);
  return outcome;
}

/**
 * The events the read stepped past, and those the source's own count says are missing, on the outcome; a read
 * that succeeded with some is incomplete.
 */
function withUnread<Row>(run: EngineRun<Row>, read: ReadResult, countGap: CountGap | null | undefined): ReadResult {
  const unread = summariseGaps(countGap ? [...run.gaps, countGap] : run.gaps);
  if (!unread) return read;
  run.outcome.unread = { events: unread.events, at: unread.at };
  if (read.status !== "succeeded") return read;
  run.log.warn({ unread: unread.events, at: unread.at }, "stream incomplete: the server would not give some events");
  return { status: "incomplete", error: `${unread.description} (${streamLabel(run.job.identity)})` };
}

function logFinished<Row>(run: EngineRun<Row>): void {
  const { outcome, tally } = run;
  run.log.info(
    {
      status: outcome.status,
      inserted: outcome.inserted,
      duplicates: outcome.duplicates,
      rejects: outcome.rejects,
      requests: tally.requests,
      retries: tally.retries,
      cursor: outcome.cursor,
    },
    "stream finished",
  );
}
