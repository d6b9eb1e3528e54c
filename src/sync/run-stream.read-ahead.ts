/**
 * The engine's read ahead: the next batch is read (its requests in flight) while the current one is stored.
 * The read decides each request from the responses before it, never from what was stored, so the batch read
 * ahead is exactly the one it would read next; it is stored only after the current one commits, and dropped,
 * unread further, when the current one fails or a signal comes.
 */
import type { RequestTally } from "../http/request.retries.js";
import type { EngineRun, StreamBatch } from "./run-stream.engine.js";

/** A batch as the read gave it, with the stream's request counts when it was read (before the read went on). */
export interface ReadBatch<Row> {
  batch: StreamBatch<Row>;
  requests: number;
  retries: number;
}

/** The reading of a stream's batches, one ahead of the batch being stored. */
export interface BatchReading<Row> {
  /** Stops the read: the shutdown signal, the lost lock, or the batch read ahead dropped. */
  signal: AbortSignal;
  batches: AsyncIterator<StreamBatch<Row>>;
  tally: RequestTally;
  /** Stops a batch read ahead that will not be stored. */
  dropped: AbortController;
  /** The batch read ahead; undefined once the read has no more. */
  ahead: Promise<ReadBatch<Row> | undefined>;
}

/** Starts the read from the stream's stored cursor and state, and asks for its first batch. */
export function startReading<Row>(run: EngineRun<Row>): BatchReading<Row> {
  // A lost lock stops the read like a signal does, but the stream ends failed, not interrupted.
  const dropped = new AbortController();
  const signal = AbortSignal.any([run.context.signal, run.lock.lost, dropped.signal]);
  const { stream_id: streamId, cursor, state } = run.stream;
  const start = { streamId, cursor, state, ...(run.onTail ? { onTail: run.onTail } : {}) };
  const batches = run.job.read(start, run.tally, signal)[Symbol.asyncIterator]();
  const reading: BatchReading<Row> = { signal, batches, tally: run.tally, dropped, ahead: Promise.resolve(undefined) };
  reading.ahead = askNext(reading);
  return reading;
}

/** Asks the read for its next batch, noting the request counts once it comes. */
function askNext<Row>(reading: BatchReading<Row>): Promise<ReadBatch<Row> | undefined> {
  const { batches, tally } = reading;
  const read = batches
    .next()
    .then((next) => (next.done ? undefined : { batch: next.value, requests: tally.requests, retries: tally.retries }));
  // Handled here too: it may fail while the batch before it is still being stored.
  read.catch(() => undefined);
  return read;
}

/** The batch read ahead (undefined when the read is over), the one after it asked for at once. */
export async function takeBatch<Row>(reading: BatchReading<Row>): Promise<ReadBatch<Row> | undefined> {
  const read = await reading.ahead;
  if (read) reading.ahead = askNext(reading);
  return read;
}

/**
 * Whatever was read ahead and not stored (a signal, a failed load) is dropped: its requests stop and its
 * outcome is ignored.
 */
export function dropReadAhead<Row>(reading: BatchReading<Row>): void {
  reading.dropped.abort(new Error("batch read ahead dropped"));
  reading.ahead.then(() => reading.batches.return?.()).catch(() => undefined);
}
