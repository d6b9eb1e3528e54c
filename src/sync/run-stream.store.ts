/**
 * The engine's store step: one batch — rows, rejects, cursor, paging state, gaps and the requests it took —
 * in one transaction (the loader's `loadBatch`), then counted into the stream's outcome and reported.
 */
import type { GapRecord } from "../warehouse/gaps.repository.js";
import { loadBatch, type BatchLoaded } from "../warehouse/batch.loader.js";
import type { EngineRun, StreamBatch, StreamGap } from "./run-stream.engine.js";
import type { ReadBatch } from "./run-stream.read-ahead.js";

/** A gap as the loader stores it, with the batch that stepped past it. */
function gapRecord(gap: StreamGap): GapRecord {
  return { kind: "stepped", at: gap.at, until: gap.until ?? null, unread: gap.unread, reason: gap.reason };
}

/** Stores one batch in one transaction, with the requests it took, and counts it into the outcome. */
export async function storeBatch<Row>(run: EngineRun<Row>, read: ReadBatch<Row>): Promise<void> {
  const { batch } = read;
  // The requests this batch took: counted when it was read, before the read went on.
  const counters = {
    requests: read.requests - run.flushed.requests,
    retries: read.retries - run.flushed.retries,
    eventsFetched: batch.fetched,
  };
  const loaded = await loadBatch(run.context.warehouse.pool, run.job.table, {
    streamId: run.stream.stream_id,
    runId: run.context.runId,
    events: batch.events,
    rejects: batch.rejects,
    ...(batch.cursor ? { cursor: batch.cursor } : {}),
    state: batch.state,
    counters,
    // Together, always: a covered range closes the open gaps inside it that this batch did not find again.
    ...(batch.covered ? { covered: batch.covered } : {}),
    ...(batch.gaps?.length ? { gaps: batch.gaps.map(gapRecord) } : {}),
  });
  run.flushed.requests += counters.requests;
  run.flushed.retries += counters.retries;
  countBatch(run, batch, loaded);
}

/** A stored batch in the outcome, its gaps and rejects in the log, and its progress reported. */
function countBatch<Row>(run: EngineRun<Row>, batch: StreamBatch<Row>, loaded: BatchLoaded): void {
  const { outcome, log } = run;
  outcome.batches++;
  outcome.inserted += loaded.inserted;
  outcome.duplicates += loaded.duplicates;
  outcome.rejects += loaded.rejects;
  outcome.cursor = batch.cursor ?? outcome.cursor;
  for (const gap of batch.gaps ?? []) {
    run.gaps.push(gap);
    log.warn({ at: gap.at, unread: gap.unread }, `events the server would not give: ${gap.reason}`);
  }
  if (loaded.rejects > 0) log.warn({ rejects: loaded.rejects, first: batch.rejects[0]?.reason }, "records rejected");
  run.context.onPage?.(run.job.identity, {
    cursor: outcome.cursor,
    inserted: loaded.inserted,
    duplicates: loaded.duplicates,
  });
}
