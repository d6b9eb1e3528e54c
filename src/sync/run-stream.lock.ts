/**
 * The engine's lock step: take the stream's lock, or say why the stream is not synced. Another eventlog-sync
 * process holding it skips the stream; a stranger holding it fails the stream, naming that session. A stream
 * another run has read completely this round is skipped too.
 */
import type { Logger } from "../log/pino.logger.js";
import { describeHolder } from "../warehouse/lock.holders.js";
import { recordHeldStream } from "../warehouse/stream-runs.repository.js";
import { ensureStream, type StreamIdentity, streamLabel } from "../warehouse/streams.repository.js";
import { type StreamLock, streamLockHolders, tryLockStream } from "../warehouse/stream.lock.js";
import type { Stream } from "../warehouse/warehouse.tables.js";
import type { EngineContext, StreamOutcome } from "./run-stream.engine.js";

/** The stream's lock with the stream as registered, or the outcome of a stream not synced because it is held. */
type TakenLock =
  { lock: StreamLock; registered: Stream } | { refused: Pick<StreamOutcome, "status" | "cursor" | "error"> };

/** Registers the stream and takes its lock; when it is held, the outcome that says by whom. */
export async function takeStreamLock(
  context: EngineContext,
  identity: StreamIdentity,
  log: Logger,
): Promise<TakenLock> {
  const registered = await ensureStream(context.warehouse.db, identity);
  const lock = await tryLockStream(context.warehouse.pool, registered.stream_id);
  if (lock) return { lock, registered };
  return { refused: await heldStream(context, identity, registered, log) };
}

/**
 * Another eventlog-sync process is syncing it: skipped, counted on the run, no stream-run row. Anything
 * else holding the lock is a stranger that stops the stream: a failure naming it.
 */
async function heldStream(
  context: EngineContext,
  identity: StreamIdentity,
  registered: Stream,
  log: Logger,
): Promise<Pick<StreamOutcome, "status" | "cursor" | "error">> {
  const strangers = (await streamLockHolders(context.warehouse.pool, registered.stream_id)).filter((h) => !h.sibling);
  if (strangers.length === 0) {
    log.info("stream is being synced by another process: skipped");
    return { status: "skipped", cursor: registered.cursor };
  }
  const error = `the stream's lock is held by a session that is not an eventlog-sync process (${strangers.map(describeHolder).join("; ")}): not synced (${streamLabel(identity)})`;
  log.warn(
    { holders: strangers.map(({ pid, role, application }) => ({ pid, role, application })) },
    "stream not synced: its lock is held by a session that is not an eventlog-sync process",
  );
  await recordHeldStream(context.warehouse.db, context.runId, registered.stream_id, error);
  return { status: "failed", error, cursor: registered.cursor };
}

/** Whether another run has read the stream completely since this run began. */
export function readThisRound(
  stream: { last_read_at: Date | null; last_run_id: number | null },
  context: EngineContext,
): boolean {
  const began = context.roundStartedAt;
  if (!began || !stream.last_read_at || stream.last_run_id === null || stream.last_run_id === context.runId)
    return false;
  return stream.last_read_at.getTime() >= began.getTime();
}
