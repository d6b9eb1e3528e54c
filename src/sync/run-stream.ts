/**
 * The engine's unit of work: sync one stream. Take the stream's lock (or skip it, saying so; or, when a
 * session that is not an eventlog-sync process holds it, fail it naming that session), read its
 * pages from the cursor on, and store each page — rows, rejects, cursor, counters — in one transaction.
 * Every failure ends in the stream's own status; nothing thrown here stops the other streams.
 *
 * Terminology: docs/architecture.md, Glossary — source, account, stream, cursor, window, page, batch, run, job.
 */
import { classifyFailure } from "../http/retry-policy.js";
import type { RequestTally } from "../http/with-retries.js";
import type { Logger } from "../log/logger.js";
import { toError } from "../errors.js";
import type { Warehouse } from "../warehouse/database.js";
import type { EventTable } from "../warehouse/copy-columns.js";
import type { CountGap, GapRecord } from "../warehouse/gaps.repository.js";
import { loadPage, type RejectedRecord } from "../warehouse/load-page.js";
import { describeHolder } from "../warehouse/lock-holders.js";
import { beginStreamRun, finishStreamRun, recordHeldStream } from "../warehouse/stream-runs.repository.js";
import { ensureStream, getStream, type StreamIdentity, streamLabel } from "../warehouse/streams.repository.js";
import { streamLockHolders, tryLockStream } from "../warehouse/stream-lock.js";
import { warehouseFailureMessage } from "../warehouse/lost-connection.js";

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
  /** Paging state to keep for the next run. */
  state: Record<string, unknown>;
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
  read(
    start: { streamId: number; cursor: Date | null; state: Record<string, unknown> },
    tally: RequestTally,
    signal: AbortSignal,
  ): AsyncIterable<StreamBatch<Row>>;
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
  pages: number;
  requests: number;
  retries: number;
  cursor: Date | null;
}

/** An outcome before anything was read: every counter at 0. */
export function freshOutcome(identity: StreamIdentity, status: StreamResult): StreamOutcome {
  return { identity, status, inserted: 0, duplicates: 0, rejects: 0, pages: 0, requests: 0, retries: 0, cursor: null };
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

/** A gap as the loader stores it, with the batch that stepped past it. */
function gapRecord(gap: StreamGap): GapRecord {
  return { kind: "stepped", at: gap.at, until: gap.until ?? null, unread: gap.unread, reason: gap.reason };
}

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

/** Whether another run has read the stream completely since this run began. */
function readThisRound(
  stream: { last_read_at: Date | null; last_run_id: number | null },
  context: EngineContext,
): boolean {
  const began = context.roundStartedAt;
  if (!began || !stream.last_read_at || stream.last_run_id === null || stream.last_run_id === context.runId)
    return false;
  return stream.last_read_at.getTime() >= began.getTime();
}

export async function runStream<Row>(context: EngineContext, job: StreamJob<Row>): Promise<StreamOutcome> {
  const { warehouse, runId } = context;
  const log = context.log.child({
    source: job.identity.source,
    account: job.identity.account,
    stream: job.identity.streamKey,
  });
  const outcome = freshOutcome(job.identity, "succeeded");
  const registered = await ensureStream(warehouse.db, job.identity);
  const lock = await tryLockStream(warehouse.pool, registered.stream_id);
  if (!lock) {
    // Another eventlog-sync process is syncing it: skipped, counted on the run, no stream-run row. Anything
    // else holding the lock is a stranger that stops the stream: a failure naming it.
    const strangers = (await streamLockHolders(warehouse.pool, registered.stream_id)).filter((h) => !h.sibling);
    if (strangers.length === 0) {
      log.info("stream is being synced by another process: skipped");
      return { ...outcome, status: "skipped", cursor: registered.cursor };
    }
    const error = `the stream's lock is held by a session that is not an eventlog-sync process (${strangers.map(describeHolder).join("; ")}): not synced (${streamLabel(job.identity)})`;
    log.warn(
      { holders: strangers.map(({ pid, role, application }) => ({ pid, role, application })) },
      "stream not synced: its lock is held by a session that is not an eventlog-sync process",
    );
    await recordHeldStream(warehouse.db, runId, registered.stream_id, error);
    return { ...outcome, status: "failed", error, cursor: registered.cursor };
  }
  const tally: RequestTally = {
    requests: 0,
    retries: 0,
    onRetry: ({ attempt, code, delayMs, error }) =>
      log.warn({ attempt, code, delayMs, err: error }, "request failed, retrying"),
  };
  const flushed: RequestTally = { requests: 0, retries: 0 };
  try {
    // Read again under the lock: another process may have moved the cursor since, or read it whole.
    const stream = (await getStream(warehouse.db, registered.stream_id)) ?? registered;
    outcome.cursor = stream.cursor;
    if (readThisRound(stream, context)) {
      log.info({ by: stream.last_run_id }, "stream was synced by another process since this run began: skipped");
      return { ...outcome, status: "skipped" };
    }
    await beginStreamRun(warehouse.db, runId, stream.stream_id, stream.cursor);
    log.info({ cursor: stream.cursor }, "stream started");
    let status: StreamResult = "succeeded";
    let error: string | null = null;
    const gaps: StreamGap[] = [];
    try {
      // A lost lock stops the read like a signal does, but the stream ends failed, not interrupted. `dropped`
      // stops a batch read ahead that will not be stored.
      const dropped = new AbortController();
      const reading = AbortSignal.any([context.signal, lock.lost, dropped.signal]);
      const start = { streamId: stream.stream_id, cursor: stream.cursor, state: stream.state };
      const batches = job.read(start, tally, reading)[Symbol.asyncIterator]();
      // One batch ahead: the next one is read (its requests in flight) while this one is stored. The read
      // decides each request from the responses before it, never from what was stored, so the batch read
      // ahead is exactly the one it would read next; it is stored only after this one commits, and dropped,
      // unread further, when this one fails or a signal comes.
      const next = (): Promise<{ batch: IteratorResult<StreamBatch<Row>>; requests: number; retries: number }> => {
        const read = batches.next().then((batch) => ({ batch, requests: tally.requests, retries: tally.retries }));
        // Handled here too: it may fail while the batch before it is still being stored.
        read.catch(() => undefined);
        return read;
      };
      let ahead = next();
      try {
        for (;;) {
          const { batch, requests, retries } = await ahead;
          if (batch.done) break;
          const page = batch.value;
          ahead = next();
          // The requests this batch took: counted when it was read, before the read went on.
          const counters = {
            requests: requests - flushed.requests,
            retries: retries - flushed.retries,
            eventsFetched: page.fetched,
          };
          const loaded = await loadPage(warehouse.pool, job.table, {
            streamId: stream.stream_id,
            runId,
            events: page.events,
            rejects: page.rejects,
            ...(page.cursor ? { cursor: page.cursor } : {}),
            state: page.state,
            counters,
            // Together, always: a covered range closes the open gaps inside it that this batch did not find again.
            ...(page.covered ? { covered: page.covered } : {}),
            ...(page.gaps?.length ? { gaps: page.gaps.map(gapRecord) } : {}),
          });
          flushed.requests += counters.requests;
          flushed.retries += counters.retries;
          outcome.pages++;
          outcome.inserted += loaded.inserted;
          outcome.duplicates += loaded.duplicates;
          outcome.rejects += loaded.rejects;
          outcome.cursor = page.cursor ?? outcome.cursor;
          for (const gap of page.gaps ?? []) {
            gaps.push(gap);
            log.warn({ at: gap.at, unread: gap.unread }, `events the server would not give: ${gap.reason}`);
          }
          if (loaded.rejects > 0)
            log.warn({ rejects: loaded.rejects, first: page.rejects[0]?.reason }, "records rejected");
          context.onPage?.(job.identity, {
            cursor: outcome.cursor,
            inserted: loaded.inserted,
            duplicates: loaded.duplicates,
          });
          if (reading.aborted) break;
        }
      } finally {
        // Whatever was read ahead and not stored (a signal, a failed load) is dropped: its requests stop and
        // its outcome is ignored.
        dropped.abort(new Error("batch read ahead dropped"));
        ahead.then(() => batches.return?.()).catch(() => undefined);
      }
      lock.lost.throwIfAborted();
      if (context.signal.aborted) {
        status = "interrupted";
        error = "interrupted by a signal before the stream was up to date";
      }
    } catch (err) {
      const failure = toError(err);
      const where = `${streamLabel(job.identity)} at cursor ${outcome.cursor?.toISOString() ?? "(start)"}`;
      if (context.signal.aborted) {
        status = "interrupted";
        error = `interrupted by a signal (${where})`;
      } else if (lock.lost.aborted) {
        status = "failed";
        error = `${toError(lock.lost.reason).message}: the stream stopped, its stored pages are kept (${where})`;
        log.error({ err: toError(lock.lost.reason), cursor: outcome.cursor }, "stream failed: its lock was lost");
      } else {
        status = classifyFailure(err) === "quota" ? "partial" : "failed";
        error = `${warehouseFailureMessage(failure)} (${where})`;
        log[status === "partial" ? "warn" : "error"](
          { err: failure, cursor: outcome.cursor },
          status === "partial" ? "quota reached: stream stopped, progress kept" : "stream failed",
        );
      }
    }
    const finished = status === "succeeded" && job.finish ? await job.finish(warehouse) : undefined;
    const completenessGap = finished?.completenessGap;
    const countGap = finished?.countGap;
    const unread = summariseGaps(countGap ? [...gaps, countGap] : gaps);
    if (unread) {
      outcome.unread = { events: unread.events, at: unread.at };
      if (status === "succeeded") {
        status = "incomplete";
        error = `${unread.description} (${streamLabel(job.identity)})`;
        log.warn({ unread: unread.events, at: unread.at }, "stream incomplete: the server would not give some events");
      }
    }
    await finishStreamRun(warehouse.db, runId, stream.stream_id, {
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
    log.info(
      {
        status,
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
        rejects: outcome.rejects,
        requests: tally.requests,
        retries: tally.retries,
        cursor: outcome.cursor,
      },
      "stream finished",
    );
    return outcome;
  } finally {
    await lock.release();
  }
}
