/**
 * A per-stream advisory lock: two processes on one database never sync the same stream at once. The
 * lock is held on a connection of its own for the stream's whole run and ends with that connection,
 * so a process that dies releases it. Its two keys are derived from the warehouse's lock secret
 * (lock.keys.ts), so no other role can compute them.
 */
import type { CompiledQuery } from "kysely";
import type pg from "pg";
import { type LockHolder, lockHolders } from "./lock.holders.js";
import { type LockKey, lockKeysOf } from "./lock.keys.js";

export interface StreamLock {
  /**
   * Aborted when the connection that holds the lock dies (a restart, pg_terminate_backend, the network):
   * the lock went with it, and another process may take the stream.
   */
  lost: AbortSignal;
  /** Runs one statement on the lock's own connection (the stream's first, so it needs no connection of its own). */
  run<R>(compiled: CompiledQuery<R>): Promise<{ rows: R[] }>;
  release(): Promise<void>;
}

export class StreamLockLostError extends Error {
  override readonly name = "StreamLockLostError";
}

/** The lock taken, or the sessions that hold it (empty: let go since). */
export type StreamLockAttempt = { lock: StreamLock } | { holders: LockHolder[] };

/**
 * Takes the lock without waiting; when another session holds it, who does (read after the try, so a holder that
 * let go meanwhile leaves the list empty). The try alone is one cheap statement: a fresh connection's first read
 * of pg_locks and pg_stat_activity costs more than the try itself, and only a refused stream needs it.
 */
export async function tryLockStream(pool: pg.Pool, streamId: number): Promise<StreamLockAttempt> {
  const key = (await lockKeysOf(pool)).of("stream", streamId);
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1, $2) as locked", [...key]);
    if (rows[0]?.locked) return { lock: heldOn(client, key) };
    const holders = await lockHolders(client, [key]);
    client.release();
    return { holders };
  } catch (err) {
    client.release(err instanceof Error ? err : true);
    throw err;
  }
}

/** The lock held on `client`: lost with the connection, released by unlocking (or by dropping the connection). */
function heldOn(client: pg.PoolClient, key: LockKey): StreamLock {
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
    run: async <R>(compiled: CompiledQuery<R>) => {
      lost.signal.throwIfAborted();
      const result = await client.query(compiled.sql, [...compiled.parameters]);
      return { rows: result.rows as R[] };
    },
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
