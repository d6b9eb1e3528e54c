/**
 * The run's lease and what the run holds open: runs left `running` by a process that is gone are closed
 * first, then the run is begun under its lease, with its connections to the APIs and (`sync.shareRequestBudget`)
 * the request budgets it shares with every process on the warehouse; all are closed when the run ends.
 */
import { createHttpAgent, type HttpAgent } from "../http/http.post.js";
import { createSharedRequestGate } from "../http/shared-request.gate.js";
import { createRequestBudgets } from "../warehouse/request-budget.factory.js";
import { beginRun, markAbandonedRuns } from "../warehouse/run.lease.js";
import type { SyncDependencies } from "./run-sync.engine.js";
import type { GateFactory } from "./run-sync.plan.js";

/** What a run holds while it lasts. */
interface HeldRun {
  runId: number;
  /** When the run began (the database's clock). */
  startedAt: Date;
  agent: HttpAgent;
  /** Gates whose limits hold across processes; none: each process gates its own requests. */
  gates?: GateFactory;
}

/**
 * Gates whose limits hold across every process on the warehouse (`sync.shareRequestBudget`): the token's
 * budget kept in PostgreSQL, closed with the run.
 */
function sharedGates(deps: Pick<SyncDependencies, "warehouse" | "log">): {
  gates: GateFactory;
  close(): Promise<void>;
} {
  const budgets = createRequestBudgets(deps.warehouse.pool, { log: deps.log });
  // Opened while the run plans, so its first requests do not wait for it.
  void budgets.open();
  return {
    gates: (source, token, limits) => createSharedRequestGate(budgets.budget(source, token, limits), limits),
    close: () => budgets.close(),
  };
}

/** Runs `body` under a new run's lease, with the run's connections and budgets; closes them all after. */
export async function underRunLease<T>(deps: SyncDependencies, body: (run: HeldRun) => Promise<T>): Promise<T> {
  // Runs left `running` by a process that is gone (here or on another machine) are closed first.
  const abandoned = await markAbandonedRuns(deps.warehouse.pool);
  const lease = await beginRun(deps.warehouse.pool, deps.command);
  // The run's connections to the APIs and its request budgets: opened with it, closed when it ends.
  const agent = createHttpAgent({ maxResponseBytes: deps.config.http.maxResponseBytes });
  const shared = deps.config.sync.shareRequestBudget ? sharedGates(deps) : undefined;
  try {
    if (abandoned.length > 0) deps.log.warn({ runs: abandoned }, "runs whose process went away were marked abandoned");
    return await body({
      runId: lease.runId,
      startedAt: lease.startedAt,
      agent,
      ...(shared ? { gates: shared.gates } : {}),
    });
  } finally {
    await agent.close();
    await shared?.close();
    await lease.release();
  }
}
