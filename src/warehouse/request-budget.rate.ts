/**
 * The rate of a token's budget (request-budget.factory.ts, "Rate"): a sliding window of `cap` rows per token in
 * sync.request_starts, each stamped with the database clock when a request starts on it.
 */
import { query } from "./request-budget.connection.js";
import type { RequestBudgetsState, RequestBudgetState } from "./request-budget.state.js";

const CREATE_ROWS = `insert into sync.request_starts (budget_key, slot)
  select $1, s from generate_series(0, $2::int - 1) s on conflict do nothing`;

// One statement: take a row at least a window old and stamp it, or say how long until the oldest is.
const CLAIM_START = `with claimed as (
    update sync.request_starts r set started_at = clock_timestamp()
      from (select slot from sync.request_starts
             where budget_key = $1 and slot < $2
               and started_at <= clock_timestamp() - $3::int * interval '1 millisecond'
             order by started_at limit 1
             for update skip locked) free
     where r.budget_key = $1 and r.slot = free.slot
    returning r.slot)
  select exists (select from claimed) as claimed,
         (select ceil(1000 * extract(epoch from
                   greatest(min(started_at), clock_timestamp() - interval '1 day')
                   + $3::int * interval '1 millisecond' - clock_timestamp()))::float8
            from sync.request_starts where budget_key = $1 and slot < $2) as wait_ms`;

/** One interval of the sliding window: request.gate.ts's, with its 5 % margin. */
export function windowOf(requestsPerSecond: number): { cap: number; intervalMs: number } {
  const cap = Math.max(1, Math.floor(requestsPerSecond));
  return { cap, intervalMs: Math.ceil(((1000 * cap) / requestsPerSecond) * 1.05) };
}

/** Makes the token's `cap` rows once per cap (again after a failed attempt, or when they were deleted). */
function rowsReady(shared: RequestBudgetsState, state: RequestBudgetState, cap: number): Promise<void> {
  if (state.rows?.cap !== cap) {
    const rows = { cap, ready: query(shared, CREATE_ROWS, [state.rowKey, cap]).then(() => undefined) };
    rows.ready.catch(() => state.rows === rows && (state.rows = undefined));
    state.rows = rows;
  }
  return state.rows.ready;
}

/** Claims one request start: 0 when claimed, otherwise the ms to wait before asking again. */
export async function claimStart(shared: RequestBudgetsState, state: RequestBudgetState): Promise<number> {
  if (state.limits.requestsPerSecond <= 0) return 0;
  const { cap, intervalMs } = windowOf(state.limits.requestsPerSecond);
  await rowsReady(shared, state, cap);
  const result = await query<{ claimed: boolean; wait_ms: number | null }>(
    shared,
    CLAIM_START,
    [state.rowKey, cap, intervalMs],
    "budget-claim-start",
  );
  const row = result.rows[0];
  if (row?.claimed) return 0;
  // No row at all: someone emptied the table; make them again.
  if (row?.wait_ms === null || row?.wait_ms === undefined) state.rows = undefined;
  return Math.max(1, row?.wait_ms ?? 1);
}
