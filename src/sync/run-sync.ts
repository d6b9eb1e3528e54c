/**
 * One run: every configured stream (or the chosen ones), `parallelStreams` at a time, recorded in
 * sync.runs. Streams of one account share that account's request gate; a failing stream never stops
 * the others.
 */
import type { Config } from "../config/config.schema.js";
import type { Logger } from "../log/logger.js";
import type { Warehouse } from "../warehouse/database.js";
import { finishRun, startRun } from "../warehouse/runs.repository.js";
import type { RunStatus } from "../warehouse/tables.js";
import { toError } from "../errors.js";
import { type EngineContext, runStream, type StreamJob, type StreamOutcome } from "./run-stream.js";
import { planAltcraftJobs } from "./altcraft.jobs.js";
import { yandexDirectJobs } from "./yandex-direct.jobs.js";

export interface SyncSelection {
  /** Only these sources (altcraft, yandex_direct). */
  sources?: readonly string[];
  /** Only these accounts (by name). */
  accounts?: readonly string[];
  /** Only these streams (campaign ids or logins). */
  streams?: readonly string[];
}

/** An account whose streams could not even be planned (e.g. campaigns/list refused the token). */
export interface AccountFailure {
  source: string;
  account: string;
  error: string;
}

export interface RunSummary {
  runId: number;
  status: RunStatus;
  streams: StreamOutcome[];
  accounts: AccountFailure[];
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
}

const chosen = (wanted: readonly string[] | undefined, value: string) => !wanted?.length || wanted.includes(value);

/**
 * Plans the jobs of every selected account. Altcraft lists its campaigns first; an account that cannot be
 * planned is reported, and the others go on.
 */
export async function planJobs(
  deps: Pick<SyncDependencies, "config" | "warehouse" | "log" | "signal">,
  selection: SyncSelection,
  now: () => Date,
): Promise<{ jobs: StreamJob<unknown>[]; failures: AccountFailure[] }> {
  const jobs: StreamJob<unknown>[] = [];
  const failures: AccountFailure[] = [];
  const wanted = (source: string, account: string) => chosen(selection.sources, source) && chosen(selection.accounts, account);
  for (const account of deps.config.sources.altcraft?.accounts ?? []) {
    if (!wanted("altcraft", account.name)) continue;
    try {
      const plan = await planAltcraftJobs(account, { warehouse: deps.warehouse, now, log: deps.log, signal: deps.signal });
      jobs.push(...(plan.jobs as StreamJob<unknown>[]));
    } catch (err) {
      const error = `${toError(err).message} (altcraft/${account.name}: campaigns/list)`;
      deps.log.error({ err: toError(err), source: "altcraft", account: account.name }, "account failed: its campaigns could not be listed");
      failures.push({ source: "altcraft", account: account.name, error });
    }
  }
  for (const account of deps.config.sources.yandex_direct?.accounts ?? []) {
    if (wanted("yandex_direct", account.name)) jobs.push(...(yandexDirectJobs(account, now) as StreamJob<unknown>[]));
  }
  return { jobs: jobs.filter((job) => chosen(selection.streams, job.identity.streamKey)), failures };
}

/** The run's status from its streams' results. */
export function runStatus(outcomes: readonly StreamOutcome[]): RunStatus {
  if (outcomes.some((o) => o.status === "interrupted")) return "interrupted";
  if (outcomes.some((o) => o.status === "failed" || o.status === "partial" || o.status === "incomplete")) return "partial";
  return "succeeded";
}

export async function runSync(deps: SyncDependencies, selection: SyncSelection = {}): Promise<RunSummary> {
  const now = deps.now ?? (() => new Date());
  const runId = await startRun(deps.warehouse.db, deps.command);
  const log = deps.log.child({ run: runId });
  let planned: Awaited<ReturnType<typeof planJobs>>;
  try {
    planned = await planJobs({ ...deps, log }, selection, now);
  } catch (err) {
    await finishRun(deps.warehouse.db, runId, "failed", toError(err).message);
    throw err;
  }
  const { jobs, failures } = planned;
  log.info({ streams: jobs.length }, "run started");
  const context: EngineContext = { warehouse: deps.warehouse, runId, log, signal: deps.signal, ...(deps.onPage ? { onPage: deps.onPage } : {}) };
  const outcomes: StreamOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !deps.signal.aborted) {
      const job = jobs[next++] as StreamJob<unknown>;
      try {
        outcomes.push(await runStream(context, job));
      } catch (err) {
        // The stream's own bookkeeping failed (the warehouse went away, say): report it, go on.
        const error = toError(err).message;
        log.error({ err: toError(err), stream: job.identity }, "stream could not be synced");
        outcomes.push({ identity: job.identity, status: "failed", error, inserted: 0, duplicates: 0, rejects: 0, pages: 0, requests: 0, retries: 0, cursor: null });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.config.sync.parallelStreams, jobs.length) }, worker));
  const streamsStatus = deps.signal.aborted && outcomes.length < jobs.length ? "interrupted" : runStatus(outcomes);
  const status = streamsStatus === "succeeded" && failures.length > 0 ? "partial" : streamsStatus;
  const error = status === "interrupted" ? "interrupted by a signal" : failures.length > 0 ? failures.map((f) => f.error).join("; ") : null;
  await finishRun(deps.warehouse.db, runId, status, error);
  log.info({ status, streams: outcomes.length, failedAccounts: failures.length }, "run finished");
  return { runId, status, streams: outcomes, accounts: failures };
}
