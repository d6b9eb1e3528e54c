/**
 * The rate of a token's budget (request-budget.factory.ts, "Rate"): a sliding window of `cap` rows per token in
 * sync.request_starts, each stamped, when a request starts on it, with the time by the database clock by which
 * that request will have been sent.
 *
 * The claim-to-send delay: a row is stamped while the claim runs in the database, and the request leaves only
 * once the answer is back in this process, which a busy process or database can hold up for tens or hundreds
 * of milliseconds. A stamp taken at the claim would then be earlier than the request, and the next start on
 * that row, a window after the stamp, could reach the server less than a window after it. So a claim stamps
 * the row that much later: the longest claim-to-send delay (statement sent to answer read) of the token's
 * last CLAIM_DELAYS claim statements in this process, claimed or not, or before the first, the round trip of
 * the statement that opened the budget connection, with a margin (CLAIM_DELAY_MARGIN). A claim whose answer took
 * longer than the delay it stamped is not used (its row counts as a start nobody made): another row is claimed at
 * once, and the longer delay is remembered. When no row is free, the answer names how long until one is, counted
 * when the statement ran: the process asks again that long less its claim's round trip, so a process that reads
 * its answers late still reaches the database as the row frees.
 */
import { query } from "./request-budget.connection.js";
import type { RequestBudgetsState, RequestBudgetState } from "./request-budget.state.js";

/** How many claim-to-send delays a token remembers. */
export const CLAIM_DELAYS = 20;
/**
 * What a claim stamps beyond the longest delay remembered: a quarter more, and 5 ms. A row stamped a little late
 * starts its next request that much later (5 ms of a 1,050 ms window when claims take a few ms); a claim slower than
 * its stamp loses the row's whole window.
 */
export const CLAIM_DELAY_MARGIN = 1.25;
export const CLAIM_DELAY_SLACK_MS = 5;

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

/**
 * The claim-to-send delay a claim of the token stamps now, ms: the longest of the last ones measured, with a
 * margin. Without one, a claim slower than all of the last CLAIM_DELAYS (one in CLAIM_DELAYS + 1 of them, by
 * chance alone) took its row for nothing: about 5 % of the rate lost once it binds.
 */
export function claimToSendMs(shared: RequestBudgetsState, state: RequestBudgetState): number {
  const delays = state.claimToSend;
  const longest = delays.length > 0 ? Math.max(...delays) : shared.roundTripMs;
  return Math.ceil(longest * CLAIM_DELAY_MARGIN + CLAIM_DELAY_SLACK_MS);
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

/** One claim statement: whether it claimed, how long until a row is free, and the delay it stamped and took. */
async function tryClaim(shared: RequestBudgetsState, state: RequestBudgetState, cap: number, intervalMs: number) {
  const stampedMs = claimToSendMs(shared, state);
  let sentAt = Number.POSITIVE_INFINITY;
  const result = await query<{ claimed: boolean; wait_ms: number | null }>(
    shared,
    CLAIM_START,
    [state.rowKey, cap, intervalMs, stampedMs],
    "budget-claim-start",
    (at) => (sentAt = at),
  );
  // Had it claimed, the stamp was taken after the statement was sent: at most this long before the request.
  const tookMs = performance.now() - sentAt;
  rememberDelay(state, tookMs);
  return { claimed: result.rows[0]?.claimed === true, waitMs: result.rows[0]?.wait_ms, stampedMs, tookMs };
}

/** Claims one request start: 0 when claimed (the request is then sent at once), otherwise the ms to wait. */
export async function claimStart(shared: RequestBudgetsState, state: RequestBudgetState): Promise<number> {
  if (state.limits.requestsPerSecond <= 0) return 0;
  const { cap, intervalMs } = windowOf(state.limits.requestsPerSecond);
  await rowsReady(shared, state, cap);
  for (;;) {
    const { claimed, waitMs, stampedMs, tookMs } = await tryClaim(shared, state, cap, intervalMs);
    // Claimed in time; or else too late for the time stamped: that row stays taken, and another is claimed.
    if (claimed && tookMs <= stampedMs) return 0;
    if (claimed) continue;
    // No row at all: someone emptied the table; make them again.
    if (waitMs === null || waitMs === undefined) state.rows = undefined;
    // The wait was counted when the statement ran; its answer took part of it to come back, and the next claim
    // takes about as long to reach the database: asked again that much sooner, it arrives as the row frees.
    return Math.max(1, (waitMs ?? 1) - Math.round(tookMs));
  }
}
