/**
 * What a process knows of its request budgets (request-budget.factory.ts): one record for the process — its budget
 * connection, its settings, whether the budgets ended — and one per token; the limits a token's budget keeps.
 * The other request-budget.*.ts files are functions over these records.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { toError } from "../errors.js";
import type { Logger } from "../log/pino.logger.js";
import type { RequestBudgetLimits, RequestBudgetOptions } from "./request-budget.types.js";

/** Where slot releases and waiters are announced; the payload is `release:<budget key>` or `want:<budget key>`. */
export const CHANNEL = "eventlog_sync_request_budget";
/** The most slots a token may have (`concurrency`). */
export const MAX_SLOTS = 16;

/** RequestBudgetOptions with their defaults filled in, ms. */
export interface RequestBudgetSettings {
  pollMs: number;
  yieldMs: number;
  slotWaitWarnMs: number;
  slotWaitLimitMs: number;
}

/** One token's budget in this process. */
export interface RequestBudgetState {
  rowKey: string;
  limits: RequestBudgetLimits;
  /** Slots this process holds. */
  held: Set<number>;
  /** Slots released while another process wanted one, and until when (ms, performance.now) they are left alone. */
  yielded: Map<number, number>;
  /** The requests of this process waiting for a slot, first come first served. */
  waiters: Array<{ resolve(slot: number): void; reject(err: unknown): void }>;
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
  /** The last claim-to-send delays measured (request-budget.rate.ts), ms, oldest first. */
  claimToSend: number[];
}

/** Every budget of one process, and the one connection that holds their slots. */
export interface RequestBudgetsState {
  pool: pg.Pool;
  settings: RequestBudgetSettings;
  log: Logger | undefined;
  /** By budget key (budgetKeys' rowKey). */
  budgets: Map<string, RequestBudgetState>;
  ended: AbortController;
  closed: boolean;
  /** The budget connection once open, and the attempt to open it meanwhile. */
  live: pg.Client | undefined;
  connecting: Promise<pg.Client> | undefined;
  /** The budget connection's server process, to tell this process's own `want` notifications from others'. */
  backendPid: number;
  /** The round trip of a statement on the budget connection as it opened, ms: the first claim-to-send delay. */
  roundTripMs: number;
  /** The tail of the statements on the budget connection: they run one after another, in the order asked. */
  statements: Promise<unknown>;
  pollTimer: NodeJS.Timeout | undefined;
  /** What a notification on CHANNEL does (request-budget.slots.ts). */
  onNotification: (message: pg.Notification) => void;
}

export function settingsOf(options: RequestBudgetOptions): RequestBudgetSettings {
  return {
    pollMs: options.pollMs ?? 250,
    yieldMs: options.yieldMs ?? 100,
    slotWaitWarnMs: options.slotWaitWarnMs ?? 5_000,
    slotWaitLimitMs: options.slotWaitLimitMs ?? 60_000,
  };
}

/**
 * The key of a token's budget: its rows in sync.request_starts, and (with the lock secret) its slots' locks.
 * A hash, never the token.
 */
export function budgetKeys(source: string, token: string): { rowKey: string } {
  const digest = createHash("sha256").update(source).update("\0").update(token).digest();
  return { rowKey: digest.subarray(0, 16).toString("hex") };
}

export function validLimits(limits: RequestBudgetLimits): RequestBudgetLimits {
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
export function tightest(a: RequestBudgetLimits, b: RequestBudgetLimits): RequestBudgetLimits {
  const rates = [a.requestsPerSecond, b.requestsPerSecond].filter((r) => r > 0);
  return {
    concurrency: Math.min(a.concurrency, b.concurrency),
    requestsPerSecond: rates.length > 0 ? Math.min(...rates) : 0,
  };
}

/** A token's budget as it starts: nothing held, nobody waiting, its rows not yet made. */
export function newBudgetState(rowKey: string, limits: RequestBudgetLimits): RequestBudgetState {
  return {
    rowKey,
    limits,
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
    claimToSend: [],
  };
}

/** Why the budgets can no longer be kept (lost or closed), or undefined while they can. */
export function failure(shared: RequestBudgetsState): Error | undefined {
  return shared.ended.signal.aborted ? toError(shared.ended.signal.reason) : undefined;
}

export function stopPolling(shared: RequestBudgetsState): void {
  if (shared.pollTimer) clearTimeout(shared.pollTimer);
  shared.pollTimer = undefined;
}

/** Once the budgets ended: no slot is this process's any more, and every waiter fails with the reason. */
export function dropEverything(shared: RequestBudgetsState): void {
  stopPolling(shared);
  const reason = failure(shared);
  for (const state of shared.budgets.values()) {
    state.held.clear();
    for (const waiter of state.waiters.splice(0)) waiter.reject(reason);
  }
}
