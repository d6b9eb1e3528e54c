/**
 * One run: every configured stream (or the chosen ones), `parallelStreams` at a time, recorded in
 * sync.runs. Streams of one account share that account's request gate; a failing stream never stops
 * the others.
 *
 * The steps live in units of their own: run-sync.lease.ts (the run's lease, connections and request budgets),
 * run-sync.plan.ts (the jobs of every selected account), run-sync.settle.ts (retirement and the streams of
 * failed accounts), run-sync.workers.ts (the streams, most behind first, in parallel) and run-sync.status.ts
 * (the run's status, recorded); retention is applied at the end of every run.
 */
import type { Config } from "../config/config.schema.js";
import type { HttpAgent } from "../http/http.post.js";
import type { RequestObserver } from "../http/request.retries.js";
import type { Logger } from "../log/pino.logger.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { finishRun } from "../warehouse/runs.repository.js";
import { applyRetention } from "../warehouse/bookkeeping.retention.js";
import type { RunStatus } from "../warehouse/warehouse.tables.js";
import { toError } from "../errors.js";
import type { EngineContext, StreamOutcome } from "./run-stream.engine.js";
import { underRunLease } from "./run-sync.lease.js";
import { type GateFactory, planJobs } from "./run-sync.plan.js";
import { settleAccounts, settleConfiguredStreams } from "./run-sync.settle.js";
import { recordRunEnd } from "./run-sync.status.js";
import { mostBehindFirst, runStreams } from "./run-sync.workers.js";

export { planJobs, type GateFactory } from "./run-sync.plan.js";
export { nothingToDo, runStatus } from "./run-sync.status.js";

export interface SyncSelection {
  /** Only these sources (altcraft, yandex_direct). */
  sources?: readonly string[];
  /** Only these accounts (by name). */
  accounts?: readonly string[];
  /** Only these streams (campaign ids or logins). */
  streams?: readonly string[];
}

/**
 * An account whose listing failed (e.g. campaigns/list refused the token): its streams could not be planned,
 * or (`streamsRead`) were planned from its last complete listing.
 */
export interface AccountFailure {
  source: string;
  account: string;
  error: string;
  /** The streams of the account's last complete listing were read all the same. */
  streamsRead?: boolean;
}

/**
 * What a complete listing of an account showed: every stream it proves (Altcraft campaigns, discovered
 * Yandex.Direct clients), and the finished Altcraft campaigns left out of this run.
 */
export interface AccountListing {
  source: "altcraft" | "yandex_direct";
  account: string;
  listedKeys: string[];
  slowPolledKeys: string[];
}

export interface RunSummary {
  runId: number;
  status: RunStatus;
  streams: StreamOutcome[];
  accounts: AccountFailure[];
  /**
   * Said of a run that synced nothing because other eventlog-sync processes held (or had just synced) every
   * stream it planned: `nothing to do: all 8 streams held by other eventlog-sync processes`.
   */
  note?: string;
}

export interface SyncDependencies {
  warehouse: Warehouse;
  config: Config;
  log: Logger;
  signal: AbortSignal;
  /** Name recorded in sync.runs.command. */
  command: string;
  now?: () => Date;
  onPage?: EngineContext["onPage"];
  /** The observer of one account's requests (the daemon's metrics); none by default. */
  requests?: (source: string, account: string) => RequestObserver;
}

export async function runSync(deps: SyncDependencies, selection: SyncSelection = {}): Promise<RunSummary> {
  return underRunLease(deps, ({ runId, startedAt, agent, gates }) =>
    runUnderLease({ ...deps, agent, ...(gates ? { gates } : {}) }, selection, runId, startedAt),
  );
}

type LeasedDependencies = SyncDependencies & { agent: HttpAgent; gates?: GateFactory };

/** Plans the run and settles its accounts; a failure here fails the run, recorded, and is thrown. */
async function planRun(deps: LeasedDependencies, selection: SyncSelection, runId: number, now: () => Date) {
  try {
    // Retirement is judged against the configuration this run loaded, before anything is planned, so a
    // stream configured again runs in this very run.
    await settleConfiguredStreams(deps, selection);
    const planned = await planJobs({ ...deps, runId }, selection, now);
    await settleAccounts(deps, runId, selection, planned);
    return planned;
  } catch (err) {
    await finishRun(deps.warehouse.db, runId, "failed", toError(err).message);
    throw err;
  }
}

async function runUnderLease(
  deps: LeasedDependencies,
  selection: SyncSelection,
  runId: number,
  roundStartedAt: Date,
): Promise<RunSummary> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ run: runId });
  const planned = await planRun({ ...deps, log }, selection, runId, now);
  const { failures } = planned;
  // Stopped while listing: what was not listed is not run, and the run is interrupted, not failed.
  const plannedInFull = !deps.signal.aborted;
  const jobs = await mostBehindFirst(deps.warehouse, planned.jobs);
  log.info({ streams: jobs.length }, "run started");
  const context: EngineContext = {
    warehouse: deps.warehouse,
    runId,
    log,
    signal: deps.signal,
    roundStartedAt,
    ...(deps.onPage ? { onPage: deps.onPage } : {}),
  };
  const outcomes = await runStreams(context, jobs, deps.config.sync.parallelStreams);
  const { status, note } = await recordRunEnd({ ...deps, log }, runId, {
    jobs: jobs.length,
    plannedInFull,
    outcomes,
    failures,
  });
  await applyRetention(deps.warehouse.db, deps.config.retention, { log, signal: deps.signal });
  return { runId, status, streams: outcomes, accounts: failures, ...(note ? { note } : {}) };
}
