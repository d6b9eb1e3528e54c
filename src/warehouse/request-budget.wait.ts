/**
 * A request waiting for a slot of its token's budget (request-budget.factory.ts, "Waiting is bounded"): it leaves the
 * queue when it gets a slot, when its signal aborts, when the budgets end, or at slotWaitLimitMs with a
 * RequestBudgetWaitError; past slotWaitWarnMs the sessions holding the slots are named in the log.
 */
import { RequestBudgetWaitError } from "../errors.js";
import { describeHolder, type LockHolder, lockHolders } from "./lock.holders.js";
import { query } from "./request-budget.connection.js";
import { slotKeys, wake } from "./request-budget.slots.js";
import { failure, MAX_SLOTS, type RequestBudgetsState, type RequestBudgetState } from "./request-budget.state.js";

type Waiter = RequestBudgetState["waiters"][number];

/** The sessions other than this process's budget connection holding any slot of the token. */
async function slotHolders(shared: RequestBudgetsState, state: RequestBudgetState): Promise<LockHolder[]> {
  const keys = await slotKeys(
    shared,
    state,
    Array.from({ length: MAX_SLOTS }, (_, slot) => slot),
  );
  return lockHolders({ query: (text, values) => query(shared, text, values ?? []) }, keys);
}

/** Logs who holds the slots a request has waited `waitedMs` for: a warning when a stranger holds one. */
async function reportWait(shared: RequestBudgetsState, state: RequestBudgetState, waitedMs: number): Promise<void> {
  const { log } = shared;
  if (!log || performance.now() - state.warnedAt < shared.settings.slotWaitWarnMs) return;
  state.warnedAt = performance.now();
  const holders = await slotHolders(shared, state).catch(() => undefined);
  const strangers = holders?.filter((h) => !h.sibling) ?? [];
  if (strangers.length > 0)
    log.warn(
      { waitedMs, holders: strangers.map(({ pid, role, application }) => ({ pid, role, application })) },
      "waiting for a slot of the token's request budget: held by a session that is not an eventlog-sync process",
    );
  else log.debug({ waitedMs, holders: holders?.length }, "waiting for a slot of the token's request budget");
}

/** The error of a wait that reached the limit, naming who holds the slots. */
async function waitFailure(shared: RequestBudgetsState, state: RequestBudgetState): Promise<RequestBudgetWaitError> {
  const { slotWaitLimitMs } = shared.settings;
  const holders = await slotHolders(shared, state).catch(() => [] as LockHolder[]);
  const strangers = holders.filter((h) => !h.sibling);
  const who =
    strangers.length > 0
      ? `held by a session that is not an eventlog-sync process (${strangers.map(describeHolder).join("; ")})`
      : "held by other eventlog-sync processes";
  return new RequestBudgetWaitError(
    `no slot of the token's request budget came free within ${slotWaitLimitMs} ms: ${who}`,
    { waitedMs: slotWaitLimitMs, byStranger: strangers.length > 0 },
  );
}

/** Resolves with a slot this process now holds; see the file's comment for when it rejects. */
export function acquireSlot(
  shared: RequestBudgetsState,
  state: RequestBudgetState,
  signal: AbortSignal | undefined,
): Promise<number> {
  const failed = failure(shared);
  if (failed) return Promise.reject(failed);
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<number>((resolve, reject) => {
    const asked = performance.now();
    const { slotWaitWarnMs, slotWaitLimitMs } = shared.settings;
    const leave = () => {
      clearTimeout(warnTimer);
      clearTimeout(limitTimer);
      signal?.removeEventListener("abort", onAbort);
      const at = state.waiters.indexOf(waiter);
      if (at >= 0) state.waiters.splice(at, 1);
    };
    const onAbort = () => {
      leave();
      reject(signal?.reason);
    };
    const waiter: Waiter = {
      resolve: (slot) => {
        leave();
        resolve(slot);
      },
      reject: (err) => {
        leave();
        reject(err);
      },
    };
    const warnTimer = setTimeout(() => void reportWait(shared, state, performance.now() - asked), slotWaitWarnMs);
    const limitTimer = setTimeout(() => {
      // Out of the queue at once, so no slot is handed to it while the holders are looked up.
      leave();
      void waitFailure(shared, state).then(reject);
    }, slotWaitLimitMs);
    warnTimer.unref();
    limitTimer.unref();
    signal?.addEventListener("abort", onAbort, { once: true });
    state.waiters.push(waiter);
    wake(shared, state);
  });
}
