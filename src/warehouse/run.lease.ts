/**
 * Whether a run's process is still there, on any machine: every run holds a session-level advisory lock
 * keyed by its run id, on a connection of its own, for its whole life. The lock ends with that session —
 * the process exiting, crashing or being killed, its host going away, its connection dropped — so a
 * `running` run whose lock can be taken has no process behind it any more. Such a run is marked
 * `abandoned`, and so are its stream runs and its streams still shown `running`. Every run looks for them
 * when it starts (and `status` too), so nothing stays `running` after its process is gone. The lock's keys
 * come from the warehouse's lock secret (lock.keys.ts): a role that reads sync.runs cannot hold a run's
 * lock to keep it `running`, nor the next run's to stall it.
 */
import { hostname } from "node:os";
import type pg from "pg";
import { lockKeysOf } from "./lock.keys.js";

export interface RunLease {
  runId: number;
  /** When the run began, by the database's clock. */
  startedAt: Date;
  /** Aborted when the connection holding the run's lock dies: a later run may then call this run abandoned. */
  lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Records a new run and takes its lock in one statement: no other session ever sees the run `running`
 * without its lock held.
 */
export async function beginRun(pool: pg.Pool, command: string): Promise<RunLease> {
  const keys = await lockKeysOf(pool);
  const client = await pool.connect();
  let runId: number;
  let startedAt: Date;
  let key: readonly [number, number];
  try {
    // The row is seen only once the transaction commits, by then with its lock held (a session lock).
    await client.query("begin");
    const result = await client.query<{ run_id: number; started_at: Date }>(
      "insert into sync.runs (command, host, pid) values ($1, $2, $3) returning run_id, started_at",
      [command, hostname(), process.pid],
    );
    runId = Number(result.rows[0]?.run_id);
    startedAt = result.rows[0]?.started_at ?? new Date();
    key = keys.of("run", runId);
    await client.query("select pg_advisory_lock($1, $2)", [...key]);
    await client.query("commit");
  } catch (err) {
    client.release(true);
    throw err;
  }
  const lost = new AbortController();
  const onError = (err: Error) => lost.abort(err);
  client.on("error", onError);
  let released = false;
  return {
    runId,
    startedAt,
    lost: lost.signal,
    release: async () => {
      if (released) return;
      released = true;
      client.removeListener("error", onError);
      if (lost.signal.aborted) return client.release(true);
      try {
        await client.query("select pg_advisory_unlock($1, $2)", [...key]);
        client.release();
      } catch (err) {
        client.release(err instanceof Error ? err : true);
      }
    },
  };
}

/** Marks every `running` run whose process is gone as `abandoned`; returns their ids. */
export async function markAbandonedRuns(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    const running = await client.query<{ run_id: number }>(
      "select run_id from sync.runs where status = 'running' order by run_id",
    );
    const abandoned: number[] = [];
    // Read only when a run is `running`: a warehouse with none needs no secret.
    const keys = running.rows.length > 0 ? await lockKeysOf(pool) : undefined;
    for (const { run_id: runId } of running.rows) {
      if (!keys) break;
      const key = keys.of("run", runId);
      const probe = await client.query<{ free: boolean }>("select pg_try_advisory_lock($1, $2) as free", [...key]);
      if (!probe.rows[0]?.free) continue;
      try {
        const why = "abandoned: its process went away without finishing it (found by a later run)";
        await client.query("begin");
        await client.query(
          "update sync.runs set status = 'abandoned', finished_at = now(), error = $2 where run_id = $1 and status = 'running'",
          [runId, why],
        );
        await client.query(
          "update sync.stream_runs set status = 'abandoned', finished_at = now(), error = $2 where run_id = $1 and status = 'running'",
          [runId, why],
        );
        await client.query(
          "update sync.streams set status = 'abandoned', last_error = $2, updated_at = now() where last_run_id = $1 and status = 'running'",
          [runId, why],
        );
        await client.query("commit");
        abandoned.push(runId);
      } catch (err) {
        await client.query("rollback").catch(() => undefined);
        throw err;
      } finally {
        await client.query("select pg_advisory_unlock($1, $2)", [...key]);
      }
    }
    return abandoned;
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    client.release(broken);
  }
}
