/**
 * The request budget of an API token, shared by every process on one warehouse through PostgreSQL itself
 * (docs/architecture.md, Glossary: request gate). src/http/shared-request-gate.ts builds a request gate on it.
 *
 * Terminology: a **slot** is the right to have one request of the token in flight. The token has
 * `concurrency` slots; slot n is a session-level advisory lock whose two keys are derived from the
 * warehouse's lock secret, the token's hash and n (lock-keys.ts), so no other role can take it. The locks of
 * a process live on one connection of their own (not taken from the pool), so a process that dies —
 * SIGKILL, its host, the network — releases its slots with that connection.
 *
 * Waiting for a slot: the free slots are tried with pg_try_advisory_lock, starting at a rotating one, in one
 * statement. When none is free the process waits for an event, not in a tight loop: every release is
 * announced by NOTIFY on CHANNEL, and every process LISTENs there on its budget connection; a process whose
 * connection died sends nothing, so a waiter also tries again every `pollMs`. A waiter says so (a `want`
 * notification) when it starts waiting and at each poll; a process that releases a slot while another one
 * wants it leaves that slot alone for `yieldMs`, so a turn that ends (shared-request-gate.ts) does hand the
 * slot over instead of being won back at once.
 *
 * Rate: a sliding window in sync.request_starts, `cap` = max(1, floor(requestsPerSecond)) rows per token. A
 * request starts by taking, in one statement, a row whose last start is at least one window old and setting
 * it to the database clock. Two starts on one row are a window apart, so no window holds more than `cap`
 * starts, whichever processes made them. The window is that of request-gate.ts: 1000·cap/rate ms plus 5 %.
 *
 * Waiting is bounded: a wait longer than `slotWaitWarnMs` names the sessions holding the token's slots in the
 * log (a warning when one is not an eventlog-sync process), and a wait longer than `slotWaitLimitMs` fails
 * with RequestBudgetWaitError naming them (the retry policy decides what then).
 *
 * Limits: every process brings its own configuration; in one process, gates of one token share one budget
 * and the tightest limits asked for win. Losing the connection is final: waiters fail with
 * RequestBudgetLostError, requests in flight finish, and a new RequestBudgets must be created.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { RequestBudgetWaitError, toError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { describeHolder, type LockHolder, lockHolders } from "./lock-holders.js";
import { type LockKey, lockKeysOf } from "./lock-keys.js";
import { isLostConnection } from "./lost-connection.js";
/** Where slot releases and waiters are announced; the payload is `release:<budget key>` or `want:<budget key>`. */
const CHANNEL = "eventlog_sync_request_budget";
/** The most slots a token may have (`concurrency`). */
const MAX_SLOTS = 16;

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

/**
 * The key of a token's budget: its rows in sync.request_starts, and (with the lock secret) its slots' locks.
 * A hash, never the token.
 */
export function budgetKeys(source: string, token: string): { rowKey: string } {
  const digest = createHash("sha256").update(source).update("\0").update(token).digest();
  return { rowKey: digest.subarray(0, 16).toString("hex") };
}

/** One interval of the sliding window: request-gate.ts's, with its 5 % margin. */
function windowOf(requestsPerSecond: number): { cap: number; intervalMs: number } {
  const cap = Math.max(1, Math.floor(requestsPerSecond));
  return { cap, intervalMs: Math.ceil(((1000 * cap) / requestsPerSecond) * 1.05) };
}

const TRY_SLOTS = `select t.slot from unnest($1::int[], $2::int[], $3::int[]) as t(slot, k1, k2)
  where pg_try_advisory_lock(t.k1, t.k2) limit $4`;

const RELEASE_SLOT = "select pg_advisory_unlock($1::int, $2::int), pg_notify($3, $4)";

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

interface Waiter {
  resolve(slot: number): void;
  reject(err: unknown): void;
}

interface BudgetState {
  rowKey: string;
  limits: RequestBudgetLimits;
  /** Slots this process holds. */
  held: Set<number>;
  /** Slots released while another process wanted one, and until when (ms, performance.now) they are left alone. */
  yielded: Map<number, number>;
  waiters: Waiter[];
  rotation: number;
  /** Something changed since the last attempt: a slot may be free. */
  dirty: boolean;
  pumping: boolean;
  /** When another process last said it waits for a slot (ms, performance.now). */
  wantedAt: number;
  wantSentAt: number;
  /** When the sessions holding the slots were last logged (ms, performance.now). */
  warnedAt: number;
  rows: { cap: number; ready: Promise<void> } | undefined;
}

function validLimits(limits: RequestBudgetLimits): RequestBudgetLimits {
  const { concurrency, requestsPerSecond } = limits;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_SLOTS) {
    throw new TypeError(`Expected \`concurrency\` to be an integer from 1 to ${MAX_SLOTS}, got \`${concurrency}\``);
  }
  if (!(requestsPerSecond >= 0) || !Number.isFinite(requestsPerSecond)) {
    throw new TypeError(`Expected \`requestsPerSecond\` to be a finite number ≥ 0, got \`${requestsPerSecond}\``);
  }
  return { concurrency, requestsPerSecond };
}

/** The tighter of two limits; a rate of 0 (no cap) is the loosest. */
function tightest(a: RequestBudgetLimits, b: RequestBudgetLimits): RequestBudgetLimits {
  const rates = [a.requestsPerSecond, b.requestsPerSecond].filter((r) => r > 0);
  return {
    concurrency: Math.min(a.concurrency, b.concurrency),
    requestsPerSecond: rates.length > 0 ? Math.min(...rates) : 0,
  };
}

/**
 * The request budgets of one process on the warehouse of `pool`. Opens its connection (with the pool's
 * settings) on first use.
 */
export function createRequestBudgets(pool: pg.Pool, options: RequestBudgetOptions = {}): RequestBudgets {
  const pollMs = options.pollMs ?? 250;
  const yieldMs = options.yieldMs ?? 100;
  const slotWaitWarnMs = options.slotWaitWarnMs ?? 5_000;
  const slotWaitLimitMs = options.slotWaitLimitMs ?? 60_000;
  const log = options.log?.child({ module: "request-budget" });
  const budgets = new Map<string, BudgetState>();
  const ended = new AbortController();
  let closed = false;
  let live: pg.Client | undefined;
  let backendPid = 0;
  let connecting: Promise<pg.Client> | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  const failure = (): Error | undefined => (ended.signal.aborted ? toError(ended.signal.reason) : undefined);

  function onLost(client: pg.Client, err: Error): void {
    if (client !== live || ended.signal.aborted) return;
    const reason = new RequestBudgetLostError(
      `the warehouse connection holding the request budget was lost (${err.message})`,
      { cause: err },
    );
    log?.warn({ err }, "the warehouse connection holding the request budget was lost");
    ended.abort(reason);
    stopPolling();
    for (const state of budgets.values()) {
      state.held.clear();
      for (const waiter of state.waiters.splice(0)) waiter.reject(reason);
    }
  }

  function onNotification(message: pg.Notification): void {
    const [kind, rowKey] = (message.payload ?? "").split(":");
    const state = rowKey === undefined ? undefined : budgets.get(rowKey);
    if (!state) return;
    if (kind === "want" && message.processId !== backendPid) state.wantedAt = performance.now();
    if (kind === "release") wake(state);
  }

  async function open(): Promise<pg.Client> {
    const settings = pool.options;
    const client = new pg.Client({
      ...settings,
      password: settings.password,
      application_name: `${settings.application_name ?? "eventlog-sync"} (request budget)`,
    });
    client.on("error", (err) => onLost(client, err));
    client.on("end", () => onLost(client, new Error("Connection terminated")));
    client.on("notification", onNotification);
    try {
      await client.connect();
      // A stamp lost in a server crash costs at most a few extra starts: no commit waits for a WAL flush.
      await client.query(`set synchronous_commit = off; listen ${CHANNEL}`);
      const result = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
      backendPid = Number(result.rows[0]?.pid);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new RequestBudgetLostError(
        `could not open the warehouse connection that holds the request budget (${toError(err).message})`,
        { cause: err },
      );
    }
    if (closed) {
      await client.end().catch(() => undefined);
      throw failure();
    }
    live = client;
    return client;
  }

  function connection(): Promise<pg.Client> {
    const failed = failure();
    if (failed) return Promise.reject(failed);
    if (live) return Promise.resolve(live);
    connecting ??= open().finally(() => (connecting = undefined));
    return connecting;
  }

  /** Statements on the budget connection run one after another, in the order they were asked for. */
  let statements: Promise<unknown> = Promise.resolve();
  function query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[],
    name?: string,
  ): Promise<pg.QueryResult<R>> {
    const run = statements.then(async () => {
      const client = live ?? (await connection());
      try {
        return await client.query<R>(name ? { name, text, values } : { text, values });
      } catch (err) {
        if (isLostConnection(err)) onLost(client, toError(err));
        throw failure() ?? err;
      }
    });
    statements = run.catch(() => undefined);
    return run;
  }

  function stopPolling(): void {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = undefined;
  }

  /** While anyone waits, try again every pollMs: a slot freed by a dead process is announced by nobody. */
  function keepPolling(): void {
    if (pollTimer || failure() || ![...budgets.values()].some((s) => s.waiters.length > 0)) return;
    pollTimer = setTimeout(() => {
      pollTimer = undefined;
      for (const state of budgets.values()) if (state.waiters.length > 0) wake(state);
      keepPolling();
    }, pollMs);
  }

  function wake(state: BudgetState): void {
    state.dirty = true;
    void pump(state);
  }

  /** The slots worth trying now, starting at a rotating one. */
  function candidates(state: BudgetState): number[] {
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
  function sayWant(state: BudgetState): void {
    const now = performance.now();
    if (now - state.wantSentAt < pollMs / 2) return;
    state.wantSentAt = now;
    query("select pg_notify($1, $2)", [CHANNEL, `want:${state.rowKey}`]).catch(() => undefined);
  }

  /** Hands free slots to the waiters until none is free or none waits. One attempt at a time per budget. */
  async function pump(state: BudgetState): Promise<void> {
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (state.dirty && state.waiters.length > 0 && !failure()) {
        state.dirty = false;
        const slots = candidates(state);
        if (slots.length === 0) continue;
        const keys = await slotKeys(state, slots);
        const result = await query<{ slot: number }>(
          TRY_SLOTS,
          [slots, keys.map((k) => k[0]), keys.map((k) => k[1]), state.waiters.length],
          "budget-try-slots",
        );
        for (const { slot } of result.rows) {
          state.held.add(slot);
          const waiter = state.waiters.shift();
          if (waiter) waiter.resolve(slot);
          else void release(state, slot);
        }
        if (result.rows.length === 0) sayWant(state);
      }
    } catch (err) {
      const reason = failure() ?? err;
      for (const waiter of state.waiters.splice(0)) waiter.reject(reason);
    } finally {
      state.pumping = false;
    }
    keepPolling();
  }

  /** Another process asked for a slot of the token within the last two polls. */
  const contested = (state: BudgetState) => performance.now() - state.wantedAt <= 2 * pollMs + yieldMs;

  async function release(state: BudgetState, slot: number): Promise<void> {
    if (!state.held.delete(slot) || failure()) return;
    if (contested(state)) {
      state.yielded.set(slot, performance.now() + yieldMs);
      setTimeout(() => wake(state), yieldMs).unref();
    }
    await slotKeys(state, [slot])
      .then(([key]) => query(RELEASE_SLOT, [...(key ?? []), CHANNEL, `release:${state.rowKey}`], "budget-release-slot"))
      .catch(() => undefined);
    wake(state);
  }

  /** The advisory lock keys of the token's slots `slots`. */
  async function slotKeys(state: BudgetState, slots: readonly number[]): Promise<LockKey[]> {
    const keys = await lockKeysOf(pool);
    return slots.map((slot) => keys.of("budget slot", `${state.rowKey}:${slot}`));
  }

  /** The sessions other than this process's budget connection holding any slot of the token. */
  async function slotHolders(state: BudgetState): Promise<LockHolder[]> {
    const keys = await slotKeys(
      state,
      Array.from({ length: MAX_SLOTS }, (_, slot) => slot),
    );
    return lockHolders({ query: (text, values) => query(text, values ?? []) }, keys);
  }

  /** Logs who holds the slots a request has waited `waitedMs` for: a warning when a stranger holds one. */
  async function reportWait(state: BudgetState, waitedMs: number): Promise<void> {
    if (!log || performance.now() - state.warnedAt < slotWaitWarnMs) return;
    state.warnedAt = performance.now();
    const holders = await slotHolders(state).catch(() => undefined);
    const strangers = holders?.filter((h) => !h.sibling) ?? [];
    if (strangers.length > 0)
      log.warn(
        { waitedMs, holders: strangers.map(({ pid, role, application }) => ({ pid, role, application })) },
        "waiting for a slot of the token's request budget: held by a session that is not an eventlog-sync process",
      );
    else log.debug({ waitedMs, holders: holders?.length }, "waiting for a slot of the token's request budget");
  }

  /** The error of a wait that reached the limit, naming who holds the slots. */
  async function waitFailure(state: BudgetState): Promise<RequestBudgetWaitError> {
    const holders = await slotHolders(state).catch(() => [] as LockHolder[]);
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

  function acquire(state: BudgetState, signal: AbortSignal | undefined): Promise<number> {
    const failed = failure();
    if (failed) return Promise.reject(failed);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<number>((resolve, reject) => {
      const asked = performance.now();
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
      const warnTimer = setTimeout(() => void reportWait(state, performance.now() - asked), slotWaitWarnMs);
      const limitTimer = setTimeout(() => {
        // Out of the queue at once, so no slot is handed to it while the holders are looked up.
        leave();
        void waitFailure(state).then(reject);
      }, slotWaitLimitMs);
      warnTimer.unref();
      limitTimer.unref();
      signal?.addEventListener("abort", onAbort, { once: true });
      state.waiters.push(waiter);
      wake(state);
    });
  }

  async function claimStart(state: BudgetState): Promise<number> {
    if (state.limits.requestsPerSecond <= 0) return 0;
    const { cap, intervalMs } = windowOf(state.limits.requestsPerSecond);
    if (state.rows?.cap !== cap) {
      const rows = { cap, ready: query(CREATE_ROWS, [state.rowKey, cap]).then(() => undefined) };
      rows.ready.catch(() => state.rows === rows && (state.rows = undefined));
      state.rows = rows;
    }
    await state.rows.ready;
    const result = await query<{ claimed: boolean; wait_ms: number | null }>(
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

  return {
    ended: ended.signal,
    budget(source, token, limits) {
      const asked = validLimits(limits);
      const { rowKey } = budgetKeys(source, token);
      let state = budgets.get(rowKey);
      if (state) state.limits = tightest(state.limits, asked);
      else {
        state = {
          rowKey,
          limits: asked,
          held: new Set(),
          yielded: new Map(),
          waiters: [],
          rotation: Math.floor(Math.random() * MAX_SLOTS),
          dirty: false,
          pumping: false,
          wantedAt: Number.NEGATIVE_INFINITY,
          wantSentAt: Number.NEGATIVE_INFINITY,
          warnedAt: Number.NEGATIVE_INFINITY,
          rows: undefined,
        };
        budgets.set(rowKey, state);
      }
      const budget = state;
      return {
        acquireSlot: (signal) => acquire(budget, signal),
        releaseSlot: (slot) => release(budget, slot),
        claimStart: () => claimStart(budget),
        ended: ended.signal,
        get contested() {
          return contested(budget);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      const wasLost = ended.signal.aborted;
      if (!wasLost) ended.abort(new RequestBudgetClosedError("the request budget was closed"));
      stopPolling();
      const reason = failure();
      for (const state of budgets.values()) {
        state.held.clear();
        for (const waiter of state.waiters.splice(0)) waiter.reject(reason);
      }
      const client = live ?? (await connecting?.catch(() => undefined));
      if (!client) return;
      await statements;
      if (!wasLost) await client.query("select pg_advisory_unlock_all()").catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
