/**
 * The request budget's public shapes and errors (request-budget.factory.ts describes the budget; importers take
 * these from there).
 */
import type { Logger } from "../log/pino.logger.js";

export class RequestBudgetLostError extends Error {
  override readonly name = "RequestBudgetLostError";
}

export class RequestBudgetClosedError extends Error {
  override readonly name = "RequestBudgetClosedError";
}

export interface RequestBudgetLimits {
  /** Requests of the token in flight at once, across every process; at most 16. */
  concurrency: number;
  /** Requests of the token started per second, across every process; 0 means no cap. */
  requestsPerSecond: number;
}

/** One token's budget, as a process sees it. */
export interface RequestBudget {
  /** Resolves with a slot this process now holds; rejects when `signal` aborts or the budget is lost or closed. */
  acquireSlot(signal?: AbortSignal): Promise<number>;
  /** Gives a held slot back; never rejects (a lost connection took the lock with it). */
  releaseSlot(slot: number): Promise<void>;
  /** Claims one request start: 0 when claimed, otherwise the ms to wait before asking again. */
  claimStart(): Promise<number>;
  /** The budgets' `ended`. */
  readonly ended: AbortSignal;
  /** Whether another process has asked for a slot of this token lately (within two polls). */
  readonly contested: boolean;
}

export interface RequestBudgets {
  /** The budget of `token` of `source`; the same one for every call with that token. */
  budget(source: string, token: string, limits: RequestBudgetLimits): RequestBudget;
  /**
   * Aborted when the budgets can no longer be kept: their connection was lost (the reason is a
   * RequestBudgetLostError) or they were closed (a RequestBudgetClosedError). Slots held until then are gone.
   */
  readonly ended: AbortSignal;
  /**
   * Opens the budget connection now, not at the first request, so a run's first requests do not wait for it.
   * Resolves once it is open or could not be; never rejects: the first request that needs the connection then
   * fails as it would have.
   */
  open(): Promise<void>;
  /** Releases every slot and ends the connection; waiters fail with RequestBudgetClosedError. */
  close(): Promise<void>;
}

export interface RequestBudgetOptions {
  log?: Logger;
  /** How often a process waiting for a slot tries again unasked (a dead process announces nothing), ms. Default 250. */
  pollMs?: number;
  /** How long a slot released while another process waits is left to it, ms. Default 100. */
  yieldMs?: number;
  /** How long a request may wait for a slot before the sessions holding the slots are logged, ms. Default 5,000. */
  slotWaitWarnMs?: number;
  /** How long a request may wait for a slot before it fails with RequestBudgetWaitError, ms. Default 60,000. */
  slotWaitLimitMs?: number;
}
