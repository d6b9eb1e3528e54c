/**
 * The request budget of an API token, shared by every process on one warehouse through PostgreSQL itself
 * (docs/architecture.md, Glossary: request gate). src/http/shared-request.gate.ts builds a request gate on it.
 *
 * Terminology: a **slot** is the right to have one request of the token in flight. The token has
 * `concurrency` slots; slot n is a session-level advisory lock whose two keys are derived from the
 * warehouse's lock secret, the token's hash and n (lock.keys.ts), so no other role can take it. The locks of
 * a process live on one connection of their own (not taken from the pool), so a process that dies —
 * SIGKILL, its host, the network — releases its slots with that connection.
 *
 * Waiting for a slot: the free slots are tried with pg_try_advisory_lock, starting at a rotating one, in one
 * statement. When none is free the process waits for an event, not in a tight loop: every release is
 * announced by NOTIFY on CHANNEL, and every process LISTENs there on its budget connection; a process whose
 * connection died sends nothing, so a waiter also tries again every `pollMs`. A waiter says so (a `want`
 * notification) when it starts waiting and at each poll; a process that releases a slot while another one
 * wants it leaves that slot alone for `yieldMs`, so a turn that ends (shared-request.gate.ts) does hand the
 * slot over instead of being won back at once.
 *
 * Rate: a sliding window in sync.request_starts, `cap` = max(1, floor(requestsPerSecond)) rows per token. A
 * request starts by taking, in one statement, a row whose last start is at least one window old and setting
 * it to the database clock. Two starts on one row are a window apart, so no window holds more than `cap`
 * starts, whichever processes made them. The window is that of request.gate.ts: 1000·cap/rate ms plus 5 %.
 *
 * Waiting is bounded: a wait longer than `slotWaitWarnMs` names the sessions holding the token's slots in the
 * log (a warning when one is not an eventlog-sync process), and a wait longer than `slotWaitLimitMs` fails
 * with RequestBudgetWaitError naming them (the retry policy decides what then).
 *
 * Limits: every process brings its own configuration; in one process, gates of one token share one budget
 * and the tightest limits asked for win. Losing the connection is final: waiters fail with
 * RequestBudgetLostError, requests in flight finish, and a new RequestBudgets must be created.
 *
 * Layout: request-budget.state.ts (the records a process keeps), request-budget.connection.ts (the budget
 * connection), request-budget.slots.ts (slots), request-budget.wait.ts (a request waiting for one),
 * request-budget.rate.ts (the rate window); this file wires them into RequestBudgets.
 */
import type pg from "pg";
import { endConnection, openConnection } from "./request-budget.connection.js";
import { claimStart } from "./request-budget.rate.js";
import { contested, onNotification, releaseSlot } from "./request-budget.slots.js";
import {
  budgetKeys,
  dropEverything,
  newBudgetState,
  type RequestBudgetsState,
  settingsOf,
  tightest,
  validLimits,
} from "./request-budget.state.js";
import {
  type RequestBudget,
  RequestBudgetClosedError,
  type RequestBudgetLimits,
  type RequestBudgetOptions,
  type RequestBudgets,
} from "./request-budget.types.js";
import { acquireSlot } from "./request-budget.wait.js";

export { budgetKeys } from "./request-budget.state.js";
export {
  type RequestBudget,
  RequestBudgetClosedError,
  type RequestBudgetLimits,
  RequestBudgetLostError,
  type RequestBudgetOptions,
  type RequestBudgets,
} from "./request-budget.types.js";

/** The budget of `token` of `source` in this process: one per token, keeping the tightest limits asked for. */
function budgetOf(
  shared: RequestBudgetsState,
  source: string,
  token: string,
  limits: RequestBudgetLimits,
): RequestBudget {
  const asked = validLimits(limits);
  const { rowKey } = budgetKeys(source, token);
  let state = shared.budgets.get(rowKey);
  if (state) state.limits = tightest(state.limits, asked);
  else {
    state = newBudgetState(rowKey, asked);
    shared.budgets.set(rowKey, state);
  }
  const budget = state;
  return {
    acquireSlot: (signal) => acquireSlot(shared, budget, signal),
    releaseSlot: (slot) => releaseSlot(shared, budget, slot),
    claimStart: () => claimStart(shared, budget),
    ended: shared.ended.signal,
    get contested() {
      return contested(shared, budget);
    },
  };
}

/** Ends the budgets (unless they were lost already), fails every waiter, and gives the slots back. */
async function closeBudgets(shared: RequestBudgetsState): Promise<void> {
  if (shared.closed) return;
  shared.closed = true;
  const wasLost = shared.ended.signal.aborted;
  if (!wasLost) shared.ended.abort(new RequestBudgetClosedError("the request budget was closed"));
  dropEverything(shared);
  await endConnection(shared, wasLost);
}

/**
 * The request budgets of one process on the warehouse of `pool`. Opens its connection (with the pool's
 * settings) on first use.
 */
export function createRequestBudgets(pool: pg.Pool, options: RequestBudgetOptions = {}): RequestBudgets {
  const shared: RequestBudgetsState = {
    pool,
    settings: settingsOf(options),
    log: options.log?.child({ module: "request-budget" }),
    budgets: new Map(),
    ended: new AbortController(),
    closed: false,
    live: undefined,
    connecting: undefined,
    backendPid: 0,
    roundTripMs: 0,
    statements: Promise.resolve(),
    pollTimer: undefined,
    onNotification: (message) => onNotification(shared, message),
  };
  return {
    ended: shared.ended.signal,
    budget: (source, token, limits) => budgetOf(shared, source, token, limits),
    open: () =>
      openConnection(shared).then(
        () => undefined,
        () => undefined,
      ),
    close: () => closeBudgets(shared),
  };
}
