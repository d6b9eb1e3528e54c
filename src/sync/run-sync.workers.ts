/**
 * Running a run's streams: the jobs taken most behind first, `parallelStreams` at a time (a stream reading its last
 * windows hands its turn on), until every job is taken or a signal comes. A stream whose own bookkeeping fails is
 * reported failed; the others go on.
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
import { StreamTurns } from "./stream.turns.js";

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

/**
 * Connections a run holds besides its streams' locks: its lease, the request budgets' and one for the batches its
 * streams store.
 */
const RUN_CONNECTIONS = 3;

/**
 * How many streams may be in their tail at once: the pool's connections beyond those of the streams in their turn
 * and the run's own (each tail holds its lock's connection), up to `parallelStreams`. The pool is not grown for
 * them: a copy opens no more connections on the warehouse than its size, and keeps one for the batches.
 */
export function tailsAllowed(connections: number, parallelStreams: number): number {
  return Math.max(0, Math.min(parallelStreams, connections - parallelStreams - RUN_CONNECTIONS));
}

/**
 * Runs the jobs in order, `parallelStreams` at a time, a stream in its tail handing its turn to the next
 * (stream.turns.ts, within `tailsAllowed`); the outcomes in the order the streams ended.
 */
export async function runStreams(
  context: EngineContext,
  jobs: readonly PlannedStream[],
  parallelStreams: number,
): Promise<StreamOutcome[]> {
  const outcomes: StreamOutcome[] = [];
  const tails = tailsAllowed(context.warehouse.pool.options.max ?? 10, parallelStreams);
  const turns = new StreamTurns(parallelStreams, tails);
  const running: Promise<void>[] = [];
  for (const planned of jobs) {
    const turn = await turns.take();
    if (context.signal.aborted) {
      turn.end();
      break;
    }
    const stream = runGuarded(context, planned, () => turn.handOn());
    running.push(stream.then((outcome) => void outcomes.push(outcome)).finally(() => turn.end()));
  }
  await Promise.all(running);
  return outcomes;
}

/** One stream; when its own bookkeeping fails (the warehouse went away, say), a failed outcome saying so. */
async function runGuarded(
  context: EngineContext,
  { job, registered }: PlannedStream,
  onTail: () => void,
): Promise<StreamOutcome> {
  try {
    return await runStream(context, job, registered, onTail);
  } catch (err) {
    // The stream's own bookkeeping failed (the warehouse went away, say): report it, go on.
    const error = warehouseFailureMessage(err);
    context.log.error({ err: toError(err), stream: job.identity }, "stream could not be synced");
    return { ...freshOutcome(job.identity, "failed"), error };
  }
}
