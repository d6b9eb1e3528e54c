/**
 * A request gate whose limits hold across every process on one warehouse: the local queue of
 * request.gate.ts (at most `concurrency` of this gate's requests at once, in order), and before each
 * request a slot of the token's shared budget and a claimed start of its shared rate. The budget is passed
 * in (src/warehouse/request-budget.factory.ts keeps it in PostgreSQL; src/sync wires the two).
 *
 * A slot is kept while requests wait, so a process alone pays one lock per slot, not one per request; an
 * idle slot lingers for the next request — `idleLingerMs` while no other process asks for one (a stream's
 * bookkeeping between two requests then costs no lock), `lingerMs` while another does — then goes back. A
 * slot held for longer than `turnMs` goes back after its request ends and is contested again, so a busy
 * process cannot keep another one out. The rate is claimed after the slot, just before the request starts,
 * so a claimed start is a real one.
 */
import PQueue from "p-queue";
import { checkGateOptions, type RequestGate, type RequestGateOptions } from "./request.gate.js";

/** What the gate needs of a token's shared budget (src/warehouse/request-budget.factory.ts: RequestBudget). */
export interface SharedBudget {
  /** Resolves with a slot now held by this process; rejects when `signal` aborts or the budget is gone. */
  acquireSlot(signal?: AbortSignal): Promise<number>;
  /** Gives a held slot back; never rejects. */
  releaseSlot(slot: number): Promise<void>;
  /** Claims one request start: 0 when claimed, otherwise the ms to wait before asking again. */
  claimStart(): Promise<number>;
  /** Aborted when the budget is lost or closed: the slots this process held are no longer its own. */
  readonly ended: AbortSignal;
  /** Whether another process has asked for a slot of the token lately. */
  readonly contested: boolean;
}

export interface SharedRequestGateOptions extends RequestGateOptions {
  /**
   * How long a slot may be held while requests keep coming before it is given back and contested, ms. Default
   * 2,000.
   */
  turnMs?: number;
  /**
   * How long a slot with no request waiting is kept for the next one while another process wants one, ms.
   * Default 50.
   */
  lingerMs?: number;
  /** The same when no other process wants one, ms. Default 1,000. */
  idleLingerMs?: number;
}

export interface RunOptions {
  /** Takes the request out of the queue while it waits for the queue, a slot or the rate. */
  signal?: AbortSignal;
}

export interface SharedRequestGate extends RequestGate {
  run<T>(task: () => Promise<T>, options?: RunOptions): Promise<T>;
}

interface HeldSlot {
  slot: number;
  /** When it was acquired (performance.now). */
  since: number;
  linger?: NodeJS.Timeout;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A gate's state: its options, its local queue, and the slots it keeps idle for the next request. */
interface GateState {
  budget: SharedBudget;
  turnMs: number;
  lingerMs: number;
  idleLingerMs: number;
  // The rate is the budget's (the tightest any gate of the token asked for); the local queue keeps the order.
  queue: PQueue;
  idle: HeldSlot[];
  /** Requests started by the queue that still wait for a slot or the rate. */
  preparing: number;
}

const giveUp = (gate: GateState, held: HeldSlot) => void gate.budget.releaseSlot(held.slot);
const turnOver = (gate: GateState, held: HeldSlot) => performance.now() - held.since >= gate.turnMs;

/** An idle slot still this process's and within its turn, or else a slot from the budget. */
async function takeSlot(gate: GateState, signal: AbortSignal | undefined): Promise<HeldSlot> {
  const { budget, idle } = gate;
  for (let held = idle.pop(); held; held = idle.pop()) {
    clearTimeout(held.linger);
    // An ended budget took its locks with it: an idle slot is no longer this process's.
    if (budget.ended.aborted || turnOver(gate, held)) giveUp(gate, held);
    else return held;
  }
  if (budget.ended.aborted) throw budget.ended.reason;
  return { slot: await budget.acquireSlot(signal), since: performance.now() };
}

/** After a request: the slot goes back when its turn is over, otherwise it lingers idle for the next one. */
function giveBack(gate: GateState, held: HeldSlot): void {
  const { budget, idle } = gate;
  if (budget.ended.aborted || turnOver(gate, held)) return giveUp(gate, held);
  held.linger = setTimeout(
    () => {
      const at = idle.indexOf(held);
      if (at < 0) return;
      idle.splice(at, 1);
      giveUp(gate, held);
    },
    budget.contested ? gate.lingerMs : gate.idleLingerMs,
  );
  held.linger.unref();
  idle.push(held);
}

/** Claims a start of the shared rate, waiting as long as the budget says between two asks. */
async function claimStart(budget: SharedBudget, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    const wait = await budget.claimStart();
    if (wait <= 0) return;
    await delay(wait, signal);
  }
}

/** A slot, then a claimed start: what a request waits on before it runs. */
async function prepare(gate: GateState, signal: AbortSignal | undefined): Promise<HeldSlot> {
  gate.preparing++;
  let held: HeldSlot | undefined;
  try {
    held = await takeSlot(gate, signal);
    await claimStart(gate.budget, signal);
    return held;
  } catch (err) {
    if (held) giveBack(gate, held);
    throw err;
  } finally {
    gate.preparing--;
  }
}

/** Runs `task` in its turn of the queue, holding a slot and a claimed start. */
function run<T>(gate: GateState, task: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return gate.queue.add(
    async () => {
      const held = await prepare(gate, signal);
      try {
        return await task();
      } finally {
        giveBack(gate, held);
      }
    },
    signal ? { signal } : {},
  );
}

export function createSharedRequestGate(budget: SharedBudget, options: SharedRequestGateOptions): SharedRequestGate {
  checkGateOptions(options);
  const gate: GateState = {
    budget,
    turnMs: options.turnMs ?? 2_000,
    lingerMs: options.lingerMs ?? 50,
    idleLingerMs: options.idleLingerMs ?? 1_000,
    queue: new PQueue({ concurrency: options.concurrency }),
    idle: [],
    preparing: 0,
  };
  return {
    run: (task, runOptions = {}) => run(gate, task, runOptions.signal),
    get waiting() {
      return gate.queue.size + gate.preparing;
    },
  };
}
