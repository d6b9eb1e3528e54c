/**
 * The rate of a token's budget (request-budget.factory.ts, "Rate"): a sliding window of `cap` rows per token in
 * sync.request_starts, each stamped, when a request starts on it, with the time by the database clock by which
 * that request will have been sent.
 *
 * The claim-to-send delay: a row is stamped while the claim runs in the database, and the request leaves only
 * once the answer is back in this process, which a busy process or database can hold up for tens or hundreds
 * of milliseconds. A stamp taken at the claim would then be earlier than the request, and the next start on
 * that row, a window after the stamp, could reach the server less than a window after it. So a claim stamps
 * the row that much later: the longest claim-to-send delay of the last CLAIM_DELAYS claims of the token in this
 * process (DEFAULT_DELAY_MS before the first). A claim whose answer took longer than the delay it stamped is
 * not used (its row counts as a start nobody made); the token asks again, and the longer delay is remembered.
 */
import { query } from "./request-budget.connection.js";
import type { RequestBudgetsState, RequestBudgetState } from "./request-budget.state.js";

/** How many claim-to-send delays a token remembers. */
export const CLAIM_DELAYS = 20;
/** The claim-to-send delay stamped before any was measured, ms. */
export const DEFAULT_DELAY_MS = 50;

const CREATE_ROWS = `insert into sync.request_starts (budget_key, slot)
  select $1, s from generate_series(0, $2::int - 1) s on conflict do nothing`;

// One statement: take a row at least a window old and stamp it with when its request will have been sent ($4
// ms from now), or say how long until the oldest is free.
const CLAIM_START = `with claimed as (
    update sync.request_starts r set started_at = clock_timestamp() + $4::int * interval '1 millisecond'
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

/** The claim-to-send delay a claim of the token stamps now, ms: the longest of the last ones measured. */
export function claimToSendMs(state: RequestBudgetState): number {
  const delays = state.claimToSend;
  return delays.length === 0 ? DEFAULT_DELAY_MS : Math.ceil(Math.max(...delays));
}

function rememberDelay(state: RequestBudgetState, ms: number): void {
  state.claimToSend.push(ms);
  if (state.claimToSend.length > CLAIM_DELAYS) state.claimToSend.shift();
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

/**
 * Claims one request start: 0 when claimed — the request must then be sent at once — otherwise the ms to wait
 * before asking again.
 */
export async function claimStart(shared: RequestBudgetsState, state: RequestBudgetState): Promise<number> {
  if (state.limits.requestsPerSecond <= 0) return 0;
  const { cap, intervalMs } = windowOf(state.limits.requestsPerSecond);
  await rowsReady(shared, state, cap);
  const delayMs = claimToSendMs(state);
  let sentAt = Number.POSITIVE_INFINITY;
  const result = await query<{ claimed: boolean; wait_ms: number | null }>(
    shared,
    CLAIM_START,
    [state.rowKey, cap, intervalMs, delayMs],
    "budget-claim-start",
    (at) => (sentAt = at),
  );
  const row = result.rows[0];
  if (row?.claimed) {
    // The stamp was taken after the statement was sent, so it is at most this long before the request.
    const measured = performance.now() - sentAt;
    rememberDelay(state, measured);
    // Too late for the time stamped: the row stays taken, and the request claims another one.
    return measured <= delayMs ? 0 : 1;
  }
  // No row at all: someone emptied the table; make them again.
  if (row?.wait_ms === null || row?.wait_ms === undefined) state.rows = undefined;
  return Math.max(1, row?.wait_ms ?? 1);
}
