/**
 * The keys of eventlog-sync's advisory locks. Advisory locks are shared by every role of a database, so a
 * key another role can compute (a fixed namespace and a stream id it can read) is a lock that role can take:
 * a read-only BI session holding it would make every copy skip the stream. Both int4 keys of each lock are
 * therefore a keyed hash of (the warehouse's lock secret, purpose, id): the secret is random, made by a
 * migration in `sync_private.lock_secret`, a schema no other role is granted, so only the role that owns the
 * warehouse (or one it grants it to) can derive a key.
 *
 * pg_locks shows every held key to every role; a role that copies one while the sync holds it may take it
 * later. The sync names such a holder (see lock.holders.ts) instead of quietly skipping its stream.
 */
import { createHmac } from "node:crypto";
import type pg from "pg";

/**
 * What a lock guards: a stream while it is synced, one slot of a token's request budget, a run's lease, an
 * agency account's turn to list its clients.
 */
export type LockPurpose = "stream" | "budget slot" | "run" | "listing turn";

/** The two int4 keys of one advisory lock, as pg_advisory_lock(int4, int4) takes them. */
export type LockKey = readonly [number, number];

export interface LockKeys {
  /** The keys of the lock for `purpose` and `id` (a stream id; a budget key and slot; a run id). */
  of(purpose: LockPurpose, id: string | number): LockKey;
}

export class LockSecretError extends Error {
  override readonly name = "LockSecretError";
}

/** Keys derived from `secret`. */
export function lockKeysFrom(secret: string): LockKeys {
  return {
    of(purpose, id) {
      const digest = createHmac("sha256", secret).update(purpose).update("\0").update(String(id)).digest();
      return [digest.readInt32BE(0), digest.readInt32BE(4)];
    },
  };
}

/** Reads the warehouse's lock secret; fails with a sentence saying why the role cannot. */
export async function readLockSecret(pool: pg.Pool): Promise<string> {
  let secret: string | undefined;
  try {
    const result = await pool.query<{ secret: string }>("select secret from sync_private.lock_secret");
    secret = result.rows[0]?.secret;
  } catch (err) {
    throw new LockSecretError(
      `cannot read the warehouse's lock secret (sync_private.lock_secret): ${(err as Error).message}; ` +
        "run the sync as the role that owns the warehouse, or grant its role usage on schema sync_private and select on the table",
      { cause: err },
    );
  }
  if (!secret) throw new LockSecretError("the warehouse's lock secret (sync_private.lock_secret) is missing");
  return secret;
}

/**
 * The lock keys of the warehouse of `pool`. The secret is read once per pool (a process opens one), on first
 * use; a failed read is tried again on the next call.
 */
export function lockKeysOf(pool: pg.Pool): Promise<LockKeys> {
  let keys = known.get(pool);
  if (!keys) {
    keys = readLockSecret(pool).then(lockKeysFrom);
    keys.catch(() => known.delete(pool));
    known.set(pool, keys);
  }
  return keys;
}

/** A property of each pool rather than a module-wide value: it goes with its pool. */
const known = new WeakMap<pg.Pool, Promise<LockKeys>>();
