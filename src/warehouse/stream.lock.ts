/**
 * A per-stream advisory lock: two processes on one database never sync the same stream at once. The
 * lock is held on a connection of its own for the stream's whole run and ends with that connection,
 * so a process that dies releases it. Its two keys are derived from the warehouse's lock secret
 * (lock.keys.ts), so no other role can compute them.
 */
import type pg from "pg";
import { type LockHolder, lockHolders } from "./lock.holders.js";
import { lockKeysOf } from "./lock.keys.js";

export interface StreamLock {
  /**
   * Aborted when the connection that holds the lock dies (a restart, pg_terminate_backend, the network):
   * the lock went with it, and another process may take the stream.
   */
  lost: AbortSignal;
  release(): Promise<void>;
}

export class StreamLockLostError extends Error {
  override readonly name = "StreamLockLostError";
}

/** Takes the lock without waiting; undefined when another session holds it. */
export async function tryLockStream(pool: pg.Pool, streamId: number): Promise<StreamLock | undefined> {
  const key = (await lockKeysOf(pool)).of("stream", streamId);
  const client = await pool.connect();
  try {
    const result = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [...key]);
    if (!result.rows[0]?.locked) {
      client.release();
      return undefined;
    }
  } catch (err) {
    client.release(err instanceof Error ? err : true);
    throw err;
  }
  let released = false;
  const lost = new AbortController();
  const onError = (err: Error) =>
    lost.abort(
      new StreamLockLostError(`the warehouse connection holding the stream's lock was lost (${err.message})`, {
        cause: err,
      }),
    );
  client.on("error", onError);
  return {
    lost: lost.signal,
    release: async () => {
      if (released) return;
      released = true;
      client.removeListener("error", onError);
      if (lost.signal.aborted) {
        client.release(true);
        return;
      }
      try {
        await client.query("select pg_advisory_unlock($1, $2)", [...key]);
        client.release();
      } catch (err) {
        // Destroying the connection also ends the lock.
        client.release(err instanceof Error ? err : true);
      }
    },
  };
}

/**
 * The sessions holding the stream's lock, as pg_locks shows them now: empty when it was let go meanwhile.
 * Asked after tryLockStream found the stream held, to tell a sibling copy from a stranger.
 */
export async function streamLockHolders(pool: pg.Pool, streamId: number): Promise<LockHolder[]> {
  return lockHolders(pool, [(await lockKeysOf(pool)).of("stream", streamId)]);
}
