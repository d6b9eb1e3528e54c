/**
 * The slots of a token's budget (request-budget.factory.ts, "Waiting for a slot"): handing free slots to this
 * process's waiters, giving them back, and hearing when another process releases one or wants one.
 */
import type pg from "pg";
import { type LockKey, lockKeysOf } from "./lock.keys.js";
import { query } from "./request-budget.connection.js";
import { CHANNEL, failure, type RequestBudgetsState, type RequestBudgetState } from "./request-budget.state.js";

const TRY_SLOTS = `select t.slot from unnest($1::int[], $2::int[], $3::int[]) as t(slot, k1, k2)
  where pg_try_advisory_lock(t.k1, t.k2) limit $4`;

const RELEASE_SLOT = "select pg_advisory_unlock($1::int, $2::int), pg_notify($3, $4)";

/** The advisory lock keys of the token's slots `slots`. */
export async function slotKeys(
  shared: RequestBudgetsState,
  state: RequestBudgetState,
  slots: readonly number[],
): Promise<LockKey[]> {
  const keys = await lockKeysOf(shared.pool);
  return slots.map((slot) => keys.of("budget slot", `${state.rowKey}:${slot}`));
}

/** A `release` on CHANNEL may have freed a slot; a `want` from another process makes the token contested. */
export function onNotification(shared: RequestBudgetsState, message: pg.Notification): void {
  const [kind, rowKey] = (message.payload ?? "").split(":");
  const state = rowKey === undefined ? undefined : shared.budgets.get(rowKey);
  if (!state) return;
  if (kind === "want" && message.processId !== shared.backendPid) state.wantedAt = performance.now();
  if (kind === "release") wake(shared, state);
}

/** A slot of the token may be free: try again. */
export function wake(shared: RequestBudgetsState, state: RequestBudgetState): void {
  state.dirty = true;
  void pump(shared, state);
}

/** While anyone waits, try again every pollMs: a slot freed by a dead process is announced by nobody. */
function keepPolling(shared: RequestBudgetsState): void {
  const waiting = [...shared.budgets.values()].some((s) => s.waiters.length > 0);
  if (shared.pollTimer || failure(shared) || !waiting) return;
  shared.pollTimer = setTimeout(() => {
    shared.pollTimer = undefined;
    for (const state of shared.budgets.values()) if (state.waiters.length > 0) wake(shared, state);
    keepPolling(shared);
  }, shared.settings.pollMs);
}

/** The slots worth trying now, starting at a rotating one. */
function candidates(state: RequestBudgetState): number[] {
  const now = performance.now();
  const n = state.limits.concurrency;
  const start = state.rotation++ % n;
  const slots: number[] = [];
  for (let i = 0; i < n; i++) {
    const slot = (start + i) % n;
    const until = state.yielded.get(slot);
    if (until !== undefined && until <= now) state.yielded.delete(slot);
    if (!state.held.has(slot) && !(until !== undefined && until > now)) slots.push(slot);
  }
  return slots;
}

/** Tells the other processes this one waits, at most twice per poll. */
function sayWant(shared: RequestBudgetsState, state: RequestBudgetState): void {
  const now = performance.now();
  if (now - state.wantSentAt < shared.settings.pollMs / 2) return;
  state.wantSentAt = now;
  query(shared, "select pg_notify($1, $2)", [CHANNEL, `want:${state.rowKey}`]).catch(() => undefined);
}

/** Locks what it can of `slots`, in one statement, and hands them to the waiters; false when none was free. */
async function takeFreeSlots(
  shared: RequestBudgetsState,
  state: RequestBudgetState,
  slots: number[],
): Promise<boolean> {
  const keys = await slotKeys(shared, state, slots);
  const result = await query<{ slot: number }>(
    shared,
    TRY_SLOTS,
    [slots, keys.map((k) => k[0]), keys.map((k) => k[1]), state.waiters.length],
    "budget-try-slots",
  );
  for (const { slot } of result.rows) {
    state.held.add(slot);
    const waiter = state.waiters.shift();
    if (waiter) waiter.resolve(slot);
    else void releaseSlot(shared, state, slot);
  }
  return result.rows.length > 0;
}

/** Hands free slots to the waiters until none is free or none waits. One attempt at a time per budget. */
async function pump(shared: RequestBudgetsState, state: RequestBudgetState): Promise<void> {
  if (state.pumping) return;
  state.pumping = true;
  try {
    while (state.dirty && state.waiters.length > 0 && !failure(shared)) {
      state.dirty = false;
      const slots = candidates(state);
      if (slots.length === 0) continue;
      if (!(await takeFreeSlots(shared, state, slots))) sayWant(shared, state);
    }
  } catch (err) {
    const reason = failure(shared) ?? err;
    for (const waiter of state.waiters.splice(0)) waiter.reject(reason);
  } finally {
    state.pumping = false;
  }
  keepPolling(shared);
}

/** Another process asked for a slot of the token within the last two polls. */
export function contested(shared: RequestBudgetsState, state: RequestBudgetState): boolean {
  const { pollMs, yieldMs } = shared.settings;
  return performance.now() - state.wantedAt <= 2 * pollMs + yieldMs;
}

/** Gives a held slot back and announces it; left alone for yieldMs when another process wants one. */
export async function releaseSlot(shared: RequestBudgetsState, state: RequestBudgetState, slot: number): Promise<void> {
  if (!state.held.delete(slot) || failure(shared)) return;
  const { yieldMs } = shared.settings;
  if (contested(shared, state)) {
    state.yielded.set(slot, performance.now() + yieldMs);
    setTimeout(() => wake(shared, state), yieldMs).unref();
  }
  await slotKeys(shared, state, [slot])
    .then(([key]) =>
      query(shared, RELEASE_SLOT, [...(key ?? []), CHANNEL, `release:${state.rowKey}`], "budget-release-slot"),
    )
    .catch(() => undefined);
  wake(shared, state);
}
