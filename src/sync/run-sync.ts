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
import { type EngineContext, runStream, type StreamJob, type StreamOutcome } from "./run-stream.js";
import { yandexDirectJobs } from "./yandex-direct.jobs.js";

export interface SyncSelection {
  /** Only these sources (altcraft, yandex_direct). */
  sources?: readonly string[];
  /** Only these accounts (by name). */
  accounts?: readonly string[];
  /** Only these streams (campaign ids or logins). */
  streams?: readonly string[];
}

export interface RunSummary {
  runId: number;
  status: RunStatus;
  streams: StreamOutcome[];
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

function selected(selection: SyncSelection, job: StreamJob<unknown>): boolean {
  const { source, account, streamKey } = job.identity;
  return (
    (!selection.sources?.length || selection.sources.includes(source)) &&
    (!selection.accounts?.length || selection.accounts.includes(account)) &&
    (!selection.streams?.length || selection.streams.includes(streamKey))
  );
}

/** Builds the jobs of every configured account. */
export function buildJobs(config: Config, now: () => Date): StreamJob<unknown>[] {
  const jobs: StreamJob<unknown>[] = [];
  for (const account of config.sources.yandex_direct?.accounts ?? []) {
    jobs.push(...(yandexDirectJobs(account, now) as StreamJob<unknown>[]));
  }
  return jobs;
}

/** The run's status from its streams' results. */
export function runStatus(outcomes: readonly StreamOutcome[]): RunStatus {
  if (outcomes.some((o) => o.status === "interrupted")) return "interrupted";
  if (outcomes.some((o) => o.status === "failed" || o.status === "partial")) return "partial";
  return "succeeded";
}

export async function runSync(deps: SyncDependencies, selection: SyncSelection = {}): Promise<RunSummary> {
  const now = deps.now ?? (() => new Date());
  const jobs = buildJobs(deps.config, now).filter((job) => selected(selection, job));
  const runId = await startRun(deps.warehouse.db, deps.command);
  const log = deps.log.child({ run: runId });
  log.info({ streams: jobs.length }, "run started");
  const context: EngineContext = { warehouse: deps.warehouse, runId, log, signal: deps.signal, ...(deps.onPage ? { onPage: deps.onPage } : {}) };
  const outcomes: StreamOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !deps.signal.aborted) {
      const job = jobs[next++] as StreamJob<unknown>;
      outcomes.push(await runStream(context, job));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(deps.config.sync.parallelStreams, jobs.length) }, worker));
  } catch (err) {
    await finishRun(deps.warehouse.db, runId, "failed", err instanceof Error ? err.message : String(err));
    throw err;
  }
  const status = deps.signal.aborted && outcomes.length < jobs.length ? "interrupted" : runStatus(outcomes);
  await finishRun(deps.warehouse.db, runId, status, status === "interrupted" ? "interrupted by a signal" : null);
  log.info({ status, streams: outcomes.length }, "run finished");
  return { runId, status, streams: outcomes };
}
