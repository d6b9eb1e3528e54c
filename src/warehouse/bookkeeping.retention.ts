/**
 * Retention of the bookkeeping: the rows of sync.stream_runs, sync.rejects, yandex_direct.client_listings and
 * closed sync.gaps older than their table's setting, then the runs nothing points to any more. Each statement
 * deletes at most `batchSize` rows and is its own short transaction, so nothing is locked for long; rows
 * another copy is pruning at the same moment are passed over (skip locked), not waited for.
 *
 * What always stays: a running run and everything of it; the newest stream run of each stream
 * (sync.stream_freshness and `status` read it); the newest complete client listing of each account;
 * open gaps; a run that a kept row, a stream's last_run_id or an open gap points to. Event rows are never
 * pruned: their run_id stays as a plain number when the run goes.
 */
import { type Kysely, sql } from "kysely";
import { toError } from "../errors.js";
import type { Logger } from "../log/pino.logger.js";
import type { Database } from "./warehouse.tables.js";

/** How long each table is kept, in ms (null: forever), and the rows one statement deletes. */
export interface RetentionPolicy {
  runs: number | null;
  streamRuns: number | null;
  rejects: number | null;
  clientListings: number | null;
  closedGaps: number | null;
  batchSize: number;
}

/** Rows pruned, per table. */
export interface PrunedRows {
  streamRuns: number;
  rejects: number;
  clientListings: number;
  closedGaps: number;
  runs: number;
}

export interface PruneOptions {
  /** The time retention counts back from; default the database's clock. */
  now?: Date | undefined;
  /** Stops between statements when aborted (what is pruned stays pruned). */
  signal?: AbortSignal | undefined;
}

/** One batch of a table: deletes at most `limit` rows older than `cutoff` and returns how many went. */
type Batch = (db: Kysely<Database>, cutoff: Date, limit: number) => Promise<number>;

const deleted = (result: { numAffectedRows?: bigint }) => Number(result.numAffectedRows ?? 0n);

/** Runs old enough to prune the records of: started before the cutoff and not running. */
const oldRuns = (cutoff: Date) => sql`(select r.run_id from sync.runs r
   where r.started_at < ${cutoff} and r.status <> 'running')`;

const streamRunsBatch: Batch = async (db, cutoff, limit) =>
  deleted(
    await sql`
      delete from sync.stream_runs d
       using (select sr.run_id, sr.stream_id
                from sync.stream_runs sr
               where sr.run_id in ${oldRuns(cutoff)}
                 and exists (select 1 from sync.stream_runs n
                              where n.stream_id = sr.stream_id
                                and (n.started_at, n.run_id) > (sr.started_at, sr.run_id))
               order by sr.run_id
               limit ${limit}
                 for update of sr skip locked) old
       where d.run_id = old.run_id and d.stream_id = old.stream_id`.execute(db),
  );

const rejectsBatch: Batch = async (db, cutoff, limit) =>
  deleted(
    await sql`
      delete from sync.rejects
       where reject_id in (select j.reject_id from sync.rejects j
                            where j.run_id in ${oldRuns(cutoff)}
                            order by j.reject_id
                            limit ${limit}
                              for update skip locked)`.execute(db),
  );

const clientListingsBatch: Batch = async (db, cutoff, limit) =>
  deleted(
    await sql`
      delete from yandex_direct.client_listings d
       using (select l.run_id, l.account
                from yandex_direct.client_listings l
               where l.run_id in ${oldRuns(cutoff)}
                 and exists (select 1 from yandex_direct.client_listings n
                              where n.account = l.account and n.complete
                                and (n.finished_at, n.run_id) > (l.finished_at, l.run_id))
               order by l.run_id
               limit ${limit}
                 for update of l skip locked) old
       where d.run_id = old.run_id and d.account = old.account`.execute(db),
  );

const closedGapsBatch: Batch = async (db, cutoff, limit) =>
  deleted(
    await sql`
      delete from sync.gaps
       where gap_id in (select g.gap_id from sync.gaps g
                         where g.closed_at < ${cutoff}
                         order by g.gap_id
                         limit ${limit}
                           for update skip locked)`.execute(db),
  );

const runsBatch: Batch = async (db, cutoff, limit) =>
  deleted(
    await sql`
      delete from sync.runs
       where run_id in (select r.run_id from sync.runs r
                         where r.started_at < ${cutoff} and r.status <> 'running'
                           and not exists (select 1 from sync.stream_runs x where x.run_id = r.run_id)
                           and not exists (select 1 from sync.rejects x where x.run_id = r.run_id)
                           and not exists (select 1 from yandex_direct.client_listings x where x.run_id = r.run_id)
                           and not exists (select 1 from sync.streams s where s.last_run_id = r.run_id)
                           and not exists (select 1 from sync.gaps g where g.closed_at is null and g.found_run_id = r.run_id)
                           and not exists (select 1 from sync.gaps g where g.closed_at is null and g.last_run_id = r.run_id)
                         order by r.run_id
                         limit ${limit}
                           for update skip locked)`.execute(db),
  );

/** The tables in the order they are pruned: what points to a run before the runs. */
const TABLES: readonly { table: keyof PrunedRows; batch: Batch }[] = [
  { table: "streamRuns", batch: streamRunsBatch },
  { table: "rejects", batch: rejectsBatch },
  { table: "clientListings", batch: clientListingsBatch },
  { table: "closedGaps", batch: closedGapsBatch },
  { table: "runs", batch: runsBatch },
];

/** Prunes every table past its retention, batch after batch until a batch comes back short. */
export async function pruneBookkeeping(
  db: Kysely<Database>,
  policy: RetentionPolicy,
  options: PruneOptions = {},
): Promise<PrunedRows> {
  const pruned: PrunedRows = { streamRuns: 0, rejects: 0, clientListings: 0, closedGaps: 0, runs: 0 };
  const now = options.now ?? (await sql<{ now: Date }>`select now() as now`.execute(db)).rows[0]?.now ?? new Date();
  for (const { table, batch } of TABLES) {
    const keep = policy[table];
    if (keep === null) continue;
    const cutoff = new Date(now.getTime() - keep);
    for (;;) {
      if (options.signal?.aborted) return pruned;
      const n = await batch(db, cutoff, policy.batchSize);
      pruned[table] += n;
      if (n < policy.batchSize) break;
    }
  }
  return pruned;
}

/**
 * The job's retention at the end of a run: prunes, and logs how many rows went. Pruning that fails is
 * logged, not thrown: the run it ends is already recorded, and the next run prunes what is left.
 */
export async function applyRetention(
  db: Kysely<Database>,
  policy: RetentionPolicy,
  deps: { log: Logger; signal?: AbortSignal | undefined; now?: Date | undefined },
): Promise<PrunedRows | undefined> {
  try {
    const pruned = await pruneBookkeeping(db, policy, { signal: deps.signal, now: deps.now });
    const total = Object.values(pruned).reduce((a, b) => a + b, 0);
    if (total > 0) deps.log.info({ pruned }, `bookkeeping pruned: ${total} rows past their retention`);
    return pruned;
  } catch (err) {
    deps.log.warn({ err: toError(err) }, "bookkeeping could not be pruned: the next run tries again");
    return undefined;
  }
}
