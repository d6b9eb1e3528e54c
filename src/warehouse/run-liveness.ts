/**
 * Whether a run's process is still there, on any machine: every run holds a session-level advisory lock
 * keyed by its run id, on a connection of its own, for its whole life. The lock ends with that session —
 * the process exiting, crashing or being killed, its host going away, its connection dropped — so a
 * `running` run whose lock can be taken has no process behind it any more. Such a run is marked
 * `abandoned`, and so are its stream runs and its streams still shown `running`. Every run looks for them
 * when it starts (and `status` too), so nothing stays `running` after its process is gone.
 */
import { hostname } from "node:os";
import type pg from "pg";

/** Namespace of eventlog-sync's run locks ("EVLR"), the first key of the two-key advisory lock. */
const RUN_NAMESPACE = 0x45564c52;

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
  const client = await pool.connect();
  let runId: number;
  let startedAt: Date;
  try {
    const result = await client.query<{ run_id: number; started_at: Date }>(
      `with run as (insert into sync.runs (command, host, pid) values ($1, $2, $3) returning run_id, started_at)
       select run_id, started_at, pg_advisory_lock($4, run_id::int) from run`,
      [command, hostname(), process.pid, RUN_NAMESPACE],
    );
    runId = Number(result.rows[0]?.run_id);
    startedAt = result.rows[0]?.started_at ?? new Date();
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
        await client.query("select pg_advisory_unlock($1, $2::int)", [RUN_NAMESPACE, runId]);
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
    for (const { run_id: runId } of running.rows) {
      const probe = await client.query<{ free: boolean }>("select pg_try_advisory_lock($1, $2::int) as free", [
        RUN_NAMESPACE,
        runId,
      ]);
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
        await client.query("select pg_advisory_unlock($1, $2::int)", [RUN_NAMESPACE, runId]);
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
