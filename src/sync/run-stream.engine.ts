/**
 * The engine's unit of work: sync one stream. Take the stream's lock (or skip it, saying so; or, when a
 * session that is not an eventlog-sync process holds it, fail it naming that session), read its
 * batches from the cursor on, and store each batch — rows, rejects, cursor, counters — in one transaction.
 * Every failure ends in the stream's own status; nothing thrown here stops the other streams.
 *
 * The steps live in units of their own: run-stream.lock.ts (take the stream's lock, or say why not),
 * run-stream.read-ahead.ts (read the next batch while the current one is stored), run-stream.store.ts (store
 * one batch in one transaction), run-stream.failure.ts (what a read that threw means for the stream) and
 * run-stream.finish.ts (record the stream run's outcome).
 *
 * Terminology: docs/architecture.md, Glossary — source, account, stream, cursor, window, page, batch, run, job.
 */
import type { RequestTally } from "../http/request.retries.js";
import type { Logger } from "../log/pino.logger.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import type { EventTable } from "../warehouse/copy.columns.js";
import type { CountGap } from "../warehouse/gaps.repository.js";
import type { RejectedRecord } from "../warehouse/batch.loader.js";
import { openStreamRun } from "../warehouse/stream-runs.repository.js";
import type { StreamIdentity } from "../warehouse/streams.repository.js";
import type { StreamLock } from "../warehouse/stream.lock.js";
import type { Stream } from "../warehouse/warehouse.tables.js";
import { failedRead, type ReadResult } from "./run-stream.failure.js";
import { finishStream } from "./run-stream.finish.js";
import { dropReadAhead, startReading, takeBatch } from "./run-stream.read-ahead.js";
import { takeStreamLock } from "./run-stream.lock.js";
import { storeBatch } from "./run-stream.store.js";

/**
 * What one transaction stores for a stream: rows, rejects, the cursor and the paging state (promise 4). It
 * holds what one or more pages (responses) brought: a Yandex.Direct window read by splits or Offset pages,
 * or an Altcraft page together with follow-up pages that only re-read its last millisecond.
 */
export interface StreamBatch<Row> {
  events: Row[];
  rejects: RejectedRecord[];
  /** Cursor once the batch is stored; omitted: it stays where it is. */
  cursor?: Date;
  /** Paging state to keep for the next run (keys merged; omitted: it stays as it is). */
  state?: Record<string, unknown>;
  /** Events received, rejects included. */
  fetched: number;
  /** Events the server would not give, that the stream stepped past. */
  gaps?: StreamGap[];
  /** The source time this batch read completely but for its gaps: an older gap inside it is closed. */
  covered?: { from: Date; to: Date };
}

/**
 * Events a stream could not read because the server would not give them (more in one instant than one response holds).
 */
export interface StreamGap {
  at: Date;
  /** End of the range, when the gap is more than one instant. */
  until?: Date;
  /** How many; null when the server does not say. */
  unread: number | null;
  reason: string;
}

/** What a job learns after a successful read. */
export interface StreamFinish {
  /** Events the API reports that the warehouse does not hold; null when not measured. */
  completenessGap: number | null;
  /**
   * The source's own count after the read (Altcraft total_count): events it reports that the warehouse lacks
   * (the stream is `incomplete`), null when it shows none are missing, omitted when it cannot tell.
   */
  countGap?: CountGap | null;
}

/** Where a read starts: the stream's stored cursor and state; and whom it tells once it reads its last windows. */
interface ReadStart {
  streamId: number;
  cursor: Date | null;
  state: Record<string, unknown>;
  /**
   * The read is in its tail: its whole range planned, fewer windows in flight than it may read at once. The run may
   * start its next stream meanwhile (stream.turns.ts). May be called more than once.
   */
  onTail?: () => void;
}

/**
 * A job is the engine's view of one stream: its identity, the table its rows go to, how to read it from a
 * stored cursor and state as a sequence of batches (each stored in one transaction), and what to do after a
 * complete read. `*.jobs.ts` build the jobs of each source from the config; runStream runs one.
 */
export interface StreamJob<Row> {
  identity: StreamIdentity;
  table: EventTable<Row>;
  /**
   * Reads batches from the stored cursor and state, oldest first; counts requests into `tally`. The engine
   * asks for the next batch while it stores the current one, so a read must not depend on a batch being
   * stored: it decides its next request from what it has received.
   */
  read(start: ReadStart, tally: RequestTally, signal: AbortSignal): AsyncIterable<StreamBatch<Row>>;
  /**
   * After a successful read: bookkeeping of the source, and the completeness gap (events the API reports that the
   * warehouse does not hold).
   */
  finish?(warehouse: Warehouse): Promise<StreamFinish>;
}

export type StreamResult = "succeeded" | "incomplete" | "partial" | "failed" | "interrupted" | "skipped";

export interface StreamOutcome {
  identity: StreamIdentity;
  status: StreamResult;
  error?: string;
  /** Events stepped past (status incomplete): how many (null: unknown) and from when. */
  unread?: { events: number | null; at: Date };
  inserted: number;
  duplicates: number;
  rejects: number;
  /** Batches stored, each in its own transaction. */
  batches: number;
  requests: number;
  retries: number;
  cursor: Date | null;
}

/** An outcome before anything was read: every counter at 0. */
export function freshOutcome(identity: StreamIdentity, status: StreamResult): StreamOutcome {
  return {
    identity,
    status,
    inserted: 0,
    duplicates: 0,
    rejects: 0,
    batches: 0,
    requests: 0,
    retries: 0,
    cursor: null,
  };
}

export interface EngineContext {
  warehouse: Warehouse;
  runId: number;
  log: Logger;
  /** Aborted on shutdown: no new page is taken, the page in flight is finished. */
  signal: AbortSignal;
  /**
   * When the run began (the database's clock): a stream another process has read completely since then is
   * skipped, so copies running side by side never read one stream twice in one round.
   */
  roundStartedAt?: Date;
  /** Called after each stored page (progress reporting). */
  onPage?: (identity: StreamIdentity, page: { cursor: Date | null; inserted: number; duplicates: number }) => void;
}

/**
 * One stream's run under its lock, as the engine's units share it: the job, the stream as read under the
 * lock, the outcome so far, the tally of its requests and the part of it already stored with a batch, and the
 * gaps the read stepped past.
 */
export interface EngineRun<Row> {
  context: EngineContext;
  job: StreamJob<Row>;
  log: Logger;
  lock: StreamLock;
  stream: Stream;
  outcome: StreamOutcome;
  tally: RequestTally;
  /** The requests and retries already stored with a batch; the rest belong to no batch. */
  flushed: { requests: number; retries: number };
  gaps: StreamGap[];
  /** Told once the read is in its tail (ReadStart.onTail). */
  onTail?: () => void;
}

/** Syncs one stream; `registered` is its row as the run registered it (none: registered here). */
export async function runStream<Row>(
  context: EngineContext,
  job: StreamJob<Row>,
  registered?: Stream,
  /** Told once the read is in its tail (ReadStart.onTail). */
  onTail?: () => void,
): Promise<StreamOutcome> {
  const log = context.log.child({
    source: job.identity.source,
    account: job.identity.account,
    stream: job.identity.streamKey,
  });
  const outcome = freshOutcome(job.identity, "succeeded");
  const taken = await takeStreamLock(context, job.identity, log, registered);
  if ("refused" in taken) return { ...outcome, ...taken.refused };
  const { lock } = taken;
  try {
    const opened = await openStreamRun(
      context.warehouse.db,
      context.runId,
      taken.registered.stream_id,
      context.roundStartedAt,
      lock,
    );
    const { stream } = opened;
    outcome.cursor = stream.cursor;
    if (!opened.opened) {
      log.info({ by: stream.last_run_id }, "stream was synced by another process since this run began: skipped");
      return { ...outcome, status: "skipped" };
    }
    const run: EngineRun<Row> = {
      context,
      job,
      log,
      lock,
      stream,
      outcome,
      tally: retryTally(log),
      flushed: { requests: 0, retries: 0 },
      gaps: [],
      ...(onTail ? { onTail } : {}),
    };
    log.info({ cursor: stream.cursor }, "stream started");
    return await finishStream(run, await readStream(run));
  } finally {
    await lock.release();
  }
}

/** A stream's tally of requests, each retry logged as it happens. */
function retryTally(log: Logger): RequestTally {
  return {
    requests: 0,
    retries: 0,
    onRetry: ({ attempt, code, delayMs, error }) =>
      log.warn({ attempt, code, delayMs, err: error }, "request failed, retrying"),
  };
}

/** Reads and stores the stream's batches until the read ends, a signal comes or something fails. */
async function readStream<Row>(run: EngineRun<Row>): Promise<ReadResult> {
  try {
    await storeEveryBatch(run);
    run.lock.lost.throwIfAborted();
    if (run.context.signal.aborted)
      return { status: "interrupted", error: "interrupted by a signal before the stream was up to date" };
    return { status: "succeeded", error: null };
  } catch (err) {
    return failedRead(run, err);
  }
}

/**
 * Stores each batch as the read gives it, the next one read meanwhile. A lost lock stops the read like a
 * signal does (the stream then ends failed, not interrupted).
 */
async function storeEveryBatch<Row>(run: EngineRun<Row>): Promise<void> {
  const reading = startReading(run);
  try {
    for (;;) {
      const read = await takeBatch(reading);
      if (!read) break;
      await storeBatch(run, read);
      if (reading.signal.aborted) break;
    }
  } finally {
    dropReadAhead(reading);
  }
}
