/**
 * One run: every configured stream (or the chosen ones), `parallelStreams` at a time, recorded in
 * sync.runs. Streams of one account share that account's request gate; a failing stream never stops
 * the others.
 */
import type { Config } from "../config/config.schema.js";
import { createHttpAgent, type HttpAgent } from "../http/post.js";
import { createRequestGate, type RequestGate, type RequestGateOptions } from "../http/request-gate.js";
import { createSharedRequestGate } from "../http/shared-request-gate.js";
import { createRequestBudgets } from "../warehouse/request-budget.js";
import type { RequestObserver } from "../http/with-retries.js";
import type { Logger } from "../log/logger.js";
import type { Warehouse } from "../warehouse/database.js";
import { beginRun, markAbandonedRuns } from "../warehouse/run-liveness.js";
import { warehouseFailureMessage } from "../warehouse/lost-connection.js";
import { finishRun } from "../warehouse/runs.repository.js";
import { applyRetention } from "../warehouse/retention.js";
import { failAccountStreams } from "../warehouse/stream-runs.repository.js";
import { confirmReadThrough, settleRetirement, streamCursors, streamLabel } from "../warehouse/streams.repository.js";
import type { RunStatus } from "../warehouse/tables.js";
import { toError } from "../errors.js";
import { type EngineContext, freshOutcome, runStream, type StreamJob, type StreamOutcome } from "./run-stream.js";
import { planAltcraftJobs } from "./altcraft.jobs.js";
import { takeOrder } from "./take-order.js";
import { configuredStreams, listedStreams, retirementScope } from "./retirement.js";
import { OWNER_LOGIN, planYandexDirectJobs } from "./yandex-direct.jobs.js";

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

/** Makes the request gate of a token: its limits, shared however the run shares them. */
export type GateFactory = (source: string, token: string, limits: RequestGateOptions) => RequestGate;

interface AccountLimits {
  concurrency: number;
  requestsPerSecond: number;
}

/** Gates of this process alone. */
const localGates: GateFactory = (_source, _token, limits) => createRequestGate(limits);

/**
 * Gates whose limits hold across every process on the warehouse (`sync.shareRequestBudget`): the token's
 * budget kept in PostgreSQL, closed with the run.
 */
function sharedGates(deps: Pick<SyncDependencies, "warehouse" | "log">): {
  gates: GateFactory;
  close(): Promise<void>;
} {
  const budgets = createRequestBudgets(deps.warehouse.pool, { log: deps.log });
  return {
    gates: (source, token, limits) => createSharedRequestGate(budgets.budget(source, token, limits), limits),
    close: () => budgets.close(),
  };
}

const chosen = (wanted: readonly string[] | undefined, value: string) => !wanted?.length || wanted.includes(value);
const chosenStream = (wanted: readonly string[] | undefined, key: string) =>
  !wanted?.length || wanted.some((w) => w.toLowerCase() === key.toLowerCase());

/**
 * Plans the jobs of every selected account. Altcraft lists its campaigns first; an account that cannot be
 * planned is reported, and the others go on.
 */
export async function planJobs(
  deps: Pick<SyncDependencies, "config" | "warehouse" | "log" | "signal" | "requests"> & {
    agent: HttpAgent;
    /** The request gate of an account's token; default: one of this process alone. */
    gates?: GateFactory;
    /** The run the plan is for: listings are recorded under it. */
    runId?: number;
  },
  selection: SyncSelection,
  now: () => Date,
): Promise<{ jobs: StreamJob<unknown>[]; failures: AccountFailure[]; listings: AccountListing[] }> {
  const jobs: StreamJob<unknown>[] = [];
  const failures: AccountFailure[] = [];
  const listings: AccountListing[] = [];
  const gates = deps.gates ?? localGates;
  /** What planning one account needs: its gate, the run's connections, and the observer of its requests. */
  const planning = (
    source: "altcraft" | "yandex_direct",
    account: AccountLimits & { token: string; name: string },
  ) => ({
    gate: gates(source, account.token, {
      concurrency: account.concurrency,
      requestsPerSecond: account.requestsPerSecond,
    }),
    warehouse: deps.warehouse,
    now,
    log: deps.log,
    signal: deps.signal,
    agent: deps.agent,
    observer: deps.requests?.(source, account.name),
  });
  const wanted = (source: string, account: string) =>
    chosen(selection.sources, source) && chosen(selection.accounts, account);
  for (const account of deps.config.sources.altcraft?.accounts ?? []) {
    if (!wanted("altcraft", account.name)) continue;
    try {
      const plan = await planAltcraftJobs(account, planning("altcraft", account));
      jobs.push(...(plan.jobs as StreamJob<unknown>[]));
      listings.push({
        source: "altcraft",
        account: account.name,
        listedKeys: plan.listedKeys,
        slowPolledKeys: plan.slowPolledKeys,
      });
    } catch (err) {
      // A listing cut by the shutdown signal is not the account failing: the run is interrupted.
      if (deps.signal.aborted) continue;
      const error = `${toError(err).message} (altcraft/${account.name}: campaigns/list)`;
      deps.log.error(
        { err: toError(err), source: "altcraft", account: account.name },
        "account failed: its campaigns could not be listed",
      );
      failures.push({ source: "altcraft", account: account.name, error });
    }
  }
  for (const account of deps.config.sources.yandex_direct?.accounts ?? []) {
    if (!wanted("yandex_direct", account.name)) continue;
    try {
      const plan = await planYandexDirectJobs(account, { ...planning("yandex_direct", account), runId: deps.runId });
      jobs.push(...(plan.jobs as StreamJob<unknown>[]));
      const { discovery } = plan;
      if (discovery?.listedKeys)
        listings.push({
          source: "yandex_direct",
          account: account.name,
          listedKeys: discovery.listedKeys,
          slowPolledKeys: [],
        });
      if (discovery?.failure && !deps.signal.aborted)
        failures.push({
          source: "yandex_direct",
          account: account.name,
          error: `${discovery.failure.message} (yandex_direct/${account.name}: AgencyClients.get; the clients of the last complete listing were read)`,
          streamsRead: true,
        });
    } catch (err) {
      if (deps.signal.aborted) continue;
      const error = `${toError(err).message} (yandex_direct/${account.name}: AgencyClients.get)`;
      deps.log.error(
        { err: toError(err), source: "yandex_direct", account: account.name },
        "account failed: its clients could not be listed",
      );
      failures.push({ source: "yandex_direct", account: account.name, error });
    }
  }
  // Logins are case-insensitive; campaign ids are digits.
  const selected = jobs.filter((job) => chosenStream(selection.streams, job.identity.streamKey));
  const observe = deps.requests;
  return { jobs: observe ? selected.map((job) => observeRequests(job, observe)) : selected, failures, listings };
}

/**
 * The job with its requests told to the observer of its account: the engine's tally of the stream, which
 * the job hands to its client, carries the observer.
 */
function observeRequests<Row>(job: StreamJob<Row>, observe: NonNullable<SyncDependencies["requests"]>): StreamJob<Row> {
  const observer = observe(job.identity.source, job.identity.account);
  return { ...job, read: (start, tally, signal) => job.read(start, Object.assign(tally, { observer }), signal) };
}

/**
 * The run's status from its streams' results and its failed accounts: succeeded when everything attempted
 * succeeded (streams another process held are not attempted), failed when something was attempted and
 * nothing succeeded, partial in between.
 */
export function runStatus(outcomes: readonly StreamOutcome[], failedAccounts = 0): RunStatus {
  if (outcomes.some((o) => o.status === "interrupted")) return "interrupted";
  const attempted = outcomes.filter((o) => o.status !== "skipped");
  if (attempted.length + failedAccounts === 0) return "succeeded";
  const succeeded = attempted.filter((o) => o.status === "succeeded").length;
  if (succeeded === 0) return "failed";
  return succeeded === attempted.length && failedAccounts === 0 ? "succeeded" : "partial";
}

/**
 * The bookkeeping around planning that keeps status true: streams retired or brought back (only when the
 * run is not restricted to some streams), finished campaigns confirmed by their listing, and the known
 * streams of a failed account marked failed.
 */
async function settleAccounts(
  deps: Pick<SyncDependencies, "warehouse" | "log">,
  runId: number,
  selection: SyncSelection,
  planned: { failures: readonly AccountFailure[]; listings: readonly AccountListing[] },
): Promise<void> {
  const db = deps.warehouse.db;
  const mayRetire = retirementScope(selection) !== undefined;
  for (const listing of planned.listings) {
    if (mayRetire) {
      const { scope, configured } = listedStreams(listing.source, listing.account, listing.listedKeys);
      logRetirement(deps.log, await settleRetirement(db, scope, configured));
    }
    await confirmReadThrough(db, {
      source: listing.source,
      account: listing.account,
      streamKeys: listing.slowPolledKeys,
    });
  }
  for (const failure of planned.failures) {
    if (failure.streamsRead) continue;
    const source = failure.source as "altcraft" | "yandex_direct";
    const marked = await failAccountStreams(db, runId, {
      source,
      account: failure.account,
      error: failure.error,
      streamKeys: selection.streams?.length ? selection.streams : undefined,
    });
    if (marked > 0)
      deps.log.warn(
        { source, account: failure.account, streams: marked },
        "streams of the failed account marked failed",
      );
  }
}

/**
 * A run that planned streams and left every one to other eventlog-sync processes is no plain success: the
 * note says so (its exit code stays 0: with several copies, one that finds its siblings took everything is
 * the normal case). A stranger holding a stream fails that stream instead, so it is never in this count.
 */
export function nothingToDo(outcomes: readonly StreamOutcome[], failedAccounts = 0): string | undefined {
  if (outcomes.length === 0 || failedAccounts > 0 || outcomes.some((o) => o.status !== "skipped")) return undefined;
  const n = outcomes.length;
  return `nothing to do: ${n === 1 ? "the 1 stream" : `all ${n} streams`} held or just synced by other eventlog-sync processes`;
}

/** `2 failed, 1 partial`: the streams of a run by result. */
function tally(outcomes: readonly StreamOutcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
}

function logRetirement(log: Logger, change: Awaited<ReturnType<typeof settleRetirement>>): void {
  if (change.retired.length > 0)
    log.info({ streams: change.retired.map(streamLabel) }, "streams retired: no longer configured");
  if (change.restored.length > 0)
    log.info({ streams: change.restored.map(streamLabel) }, "retired streams configured again");
}

/** The jobs in the order they are taken: see take-order.ts. */
async function mostBehindFirst(
  warehouse: Warehouse,
  jobs: readonly StreamJob<unknown>[],
): Promise<StreamJob<unknown>[]> {
  const cursors = await streamCursors(
    warehouse.db,
    jobs.map((j) => j.identity),
  );
  return takeOrder(jobs, (identity) => cursors.get(streamLabel(identity)));
}

export async function runSync(deps: SyncDependencies, selection: SyncSelection = {}): Promise<RunSummary> {
  // Runs left `running` by a process that is gone (here or on another machine) are closed first.
  const abandoned = await markAbandonedRuns(deps.warehouse.pool);
  const lease = await beginRun(deps.warehouse.pool, deps.command);
  // The run's connections to the APIs and its request budgets: opened with it, closed when it ends.
  const agent = createHttpAgent({ maxResponseBytes: deps.config.http.maxResponseBytes });
  const shared = deps.config.sync.shareRequestBudget ? sharedGates(deps) : undefined;
  try {
    if (abandoned.length > 0) deps.log.warn({ runs: abandoned }, "runs whose process went away were marked abandoned");
    return await runUnderLease(
      { ...deps, agent, ...(shared ? { gates: shared.gates } : {}) },
      selection,
      lease.runId,
      lease.startedAt,
    );
  } finally {
    await agent.close();
    await shared?.close();
    await lease.release();
  }
}

async function runUnderLease(
  deps: SyncDependencies & { agent: HttpAgent; gates?: GateFactory },
  selection: SyncSelection,
  runId: number,
  roundStartedAt: Date,
): Promise<RunSummary> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ run: runId });
  let planned: Awaited<ReturnType<typeof planJobs>>;
  try {
    // Retirement is judged against the configuration this run loaded, before anything is planned, so a
    // stream configured again runs in this very run.
    const scope = retirementScope(selection);
    if (scope)
      logRetirement(log, await settleRetirement(deps.warehouse.db, scope, configuredStreams(deps.config, OWNER_LOGIN)));
    planned = await planJobs({ ...deps, log, runId }, selection, now);
    await settleAccounts({ warehouse: deps.warehouse, log }, runId, selection, planned);
  } catch (err) {
    await finishRun(deps.warehouse.db, runId, "failed", toError(err).message);
    throw err;
  }
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
  const outcomes: StreamOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !deps.signal.aborted) {
      const job = jobs[next++] as StreamJob<unknown>;
      try {
        outcomes.push(await runStream(context, job));
      } catch (err) {
        // The stream's own bookkeeping failed (the warehouse went away, say): report it, go on.
        const error = warehouseFailureMessage(err);
        log.error({ err: toError(err), stream: job.identity }, "stream could not be synced");
        outcomes.push({ ...freshOutcome(job.identity, "failed"), error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.config.sync.parallelStreams, jobs.length) }, worker));
  const status =
    deps.signal.aborted && (outcomes.length < jobs.length || !plannedInFull)
      ? "interrupted"
      : runStatus(outcomes, failures.length);
  const error =
    status === "interrupted"
      ? "interrupted by a signal"
      : failures.length > 0
        ? failures.map((f) => f.error).join("; ")
        : status === "failed"
          ? `no stream succeeded: ${tally(outcomes)}`
          : null;
  const skipped = outcomes.filter((o) => o.status === "skipped").length;
  await finishRun(deps.warehouse.db, runId, status, error, { streamsSkipped: skipped });
  const note = nothingToDo(outcomes, failures.length);
  log.info({ status, streams: outcomes.length, skipped, failedAccounts: failures.length }, note ?? "run finished");
  await applyRetention(deps.warehouse.db, deps.config.retention, { log, signal: deps.signal });
  return { runId, status, streams: outcomes, accounts: failures, ...(note ? { note } : {}) };
}
