/**
 * What /healthz answers, decided from the last run and whether the warehouse answers. A probe reads the
 * HTTP status; an alert or a person reads `status` and the details.
 *
 * - 200 `starting`: no run has finished yet in this process.
 * - 200 `ok`: the last run succeeded.
 * - 200 `degraded`: the last run was partial or interrupted: some streams or accounts did not succeed
 *   (listed in the details), the others loaded.
 * - 503 `failed`: the last run failed: nothing it attempted succeeded, or it could not run at all.
 * - 503 `unreachable`: the warehouse does not answer now (whatever the last run was).
 */
import type { RunSummary } from "../sync/run-sync.engine.js";
import type { RunStatus } from "../warehouse/warehouse.tables.js";

export type HealthStatus = "starting" | "ok" | "degraded" | "failed" | "unreachable";

/** How many entries the details list at most: the body stays small with thousands of campaigns. */
export const DETAIL_LIMIT = 20;

export interface LastRun {
  /** Null when the run could not even be recorded (the warehouse was down). */
  runId: number | null;
  status: RunStatus;
  finishedAt: string;
  error: string | null;
  /** Streams by result. */
  streams: Record<string, number>;
  /** Streams that did not succeed (at most DETAIL_LIMIT) and accounts that failed as a whole. */
  notSucceeded: Array<{ stream: string; status: string; error: string | null }>;
  failedAccounts: Array<{ account: string; error: string }>;
}

export type WarehouseReach = { up: true } | { up: false; error: string };

export function lastRunOf(summary: RunSummary, finishedAt: Date, error: string | null = null): LastRun {
  const streams: Record<string, number> = {};
  for (const s of summary.streams) streams[s.status] = (streams[s.status] ?? 0) + 1;
  const failing = summary.streams.filter((s) => s.status !== "succeeded" && s.status !== "skipped");
  return {
    runId: summary.runId,
    status: summary.status,
    finishedAt: finishedAt.toISOString(),
    error,
    streams,
    notSucceeded: failing.slice(0, DETAIL_LIMIT).map((s) => ({
      stream: `${s.identity.source}/${s.identity.account}/${s.identity.streamKey}`,
      status: s.status,
      error: s.error ?? null,
    })),
    failedAccounts: summary.accounts
      .slice(0, DETAIL_LIMIT)
      .map((a) => ({ account: `${a.source}/${a.account}`, error: a.error })),
  };
}

/** A run that threw before it could finish (the warehouse went away, say). */
export function failedRunOf(error: string, finishedAt: Date): LastRun {
  return {
    runId: null,
    status: "failed",
    finishedAt: finishedAt.toISOString(),
    error,
    streams: {},
    notSucceeded: [],
    failedAccounts: [],
  };
}

export function assessHealth(
  lastRun: LastRun | undefined,
  warehouse: WarehouseReach,
): { httpStatus: 200 | 503; status: HealthStatus } {
  if (!warehouse.up) return { httpStatus: 503, status: "unreachable" };
  if (!lastRun) return { httpStatus: 200, status: "starting" };
  switch (lastRun.status) {
    case "succeeded":
      return { httpStatus: 200, status: "ok" };
    case "partial":
    case "interrupted":
      return { httpStatus: 200, status: "degraded" };
    default:
      return { httpStatus: 503, status: "failed" };
  }
}
