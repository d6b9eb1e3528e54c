/**
 * The engine's lock step: take the stream's lock, or say why the stream is not synced. Another eventlog-sync
 * process holding it skips the stream; a stranger holding it fails the stream, naming that session.
 */
import type { Logger } from "../log/pino.logger.js";
import { describeHolder, type LockHolder } from "../warehouse/lock.holders.js";
import { recordHeldStream } from "../warehouse/stream-runs.repository.js";
import { ensureStream, type StreamIdentity, streamLabel } from "../warehouse/streams.repository.js";
import { type StreamLock, tryLockStream } from "../warehouse/stream.lock.js";
import type { Stream } from "../warehouse/warehouse.tables.js";
import type { EngineContext, StreamOutcome } from "./run-stream.engine.js";

/** The stream's lock with the stream as registered, or the outcome of a stream not synced because it is held. */
type TakenLock =
  { lock: StreamLock; registered: Stream } | { refused: Pick<StreamOutcome, "status" | "cursor" | "error"> };

/**
 * Takes the stream's lock (registering the stream first unless the run did); when it is held, the outcome that
 * says by whom.
 */
export async function takeStreamLock(
  context: EngineContext,
  identity: StreamIdentity,
  log: Logger,
  planned?: Stream,
): Promise<TakenLock> {
  const registered = planned ?? (await ensureStream(context.warehouse.db, identity));
  const attempt = await tryLockStream(context.warehouse.pool, registered.stream_id);
  if ("lock" in attempt) return { lock: attempt.lock, registered };
  return { refused: await heldStream(context, identity, registered, attempt.holders, log) };
}

/**
 * Another eventlog-sync process is syncing it: skipped, counted on the run, no stream-run row. Anything
 * else holding the lock is a stranger that stops the stream: a failure naming it.
 */
async function heldStream(
  context: EngineContext,
  identity: StreamIdentity,
  registered: Stream,
  holders: readonly LockHolder[],
  log: Logger,
): Promise<Pick<StreamOutcome, "status" | "cursor" | "error">> {
  const strangers = holders.filter((h) => !h.sibling);
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
