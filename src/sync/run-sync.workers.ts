/**
 * Running a run's streams: the jobs taken most behind first, `parallelStreams` at a time, until every job
 * is taken or a signal comes. A stream whose own bookkeeping fails is reported failed; the others go on.
 */
import { toError } from "../errors.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { warehouseFailureMessage } from "../warehouse/connection.loss.js";
import { registerStreams, streamLabel } from "../warehouse/streams.repository.js";
import type { Stream } from "../warehouse/warehouse.tables.js";
import {
  type EngineContext,
  freshOutcome,
  runStream,
  type StreamJob,
  type StreamOutcome,
} from "./run-stream.engine.js";
import { takeOrder } from "./stream.order.js";

/** A job of the run with its stream as the run registered it (undefined: gone since, registered again when taken). */
export interface PlannedStream {
  job: StreamJob<unknown>;
  registered: Stream | undefined;
}

/** The jobs' streams registered at once, and the jobs in the order they are taken: see stream.order.ts. */
export async function mostBehindFirst(
  warehouse: Warehouse,
  jobs: readonly StreamJob<unknown>[],
): Promise<PlannedStream[]> {
  const registered = await registerStreams(
    warehouse.db,
    jobs.map((j) => j.identity),
  );
  const streamOf = (identity: StreamJob<unknown>["identity"]) => registered.get(streamLabel(identity));
  return takeOrder(jobs, (identity) => streamOf(identity)?.cursor).map((job) => ({
    job,
    registered: streamOf(job.identity),
  }));
}

/** Runs the jobs in order, `parallelStreams` at a time; the outcomes in the order the streams ended. */
export async function runStreams(
  context: EngineContext,
  jobs: readonly PlannedStream[],
  parallelStreams: number,
): Promise<StreamOutcome[]> {
  const outcomes: StreamOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !context.signal.aborted) {
      const planned = jobs[next++] as PlannedStream;
      outcomes.push(await runGuarded(context, planned));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelStreams, jobs.length) }, worker));
  return outcomes;
}

/** One stream; when its own bookkeeping fails (the warehouse went away, say), a failed outcome saying so. */
async function runGuarded(context: EngineContext, { job, registered }: PlannedStream): Promise<StreamOutcome> {
  try {
    return await runStream(context, job, registered);
  } catch (err) {
    // The stream's own bookkeeping failed (the warehouse went away, say): report it, go on.
    const error = warehouseFailureMessage(err);
    context.log.error({ err: toError(err), stream: job.identity }, "stream could not be synced");
    return { ...freshOutcome(job.identity, "failed"), error };
  }
}
