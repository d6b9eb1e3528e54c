/**
 * A per-stream advisory lock: two processes on one database never sync the same stream at once. The
 * lock is held on a connection of its own for the stream's whole run and ends with that connection,
 * so a process that dies releases it.
 */
import type pg from "pg";

/** Namespace of eventlog-sync's stream locks ("EVLS"), the first key of the two-key advisory lock. */
const LOCK_NAMESPACE = 0x45564c53;

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
  const client = await pool.connect();
  try {
    const result = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [
      LOCK_NAMESPACE,
      streamId,
    ]);
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
        await client.query("select pg_advisory_unlock($1, $2)", [LOCK_NAMESPACE, streamId]);
        client.release();
      } catch (err) {
        // Destroying the connection also ends the lock.
        client.release(err instanceof Error ? err : true);
      }
    },
  };
}
