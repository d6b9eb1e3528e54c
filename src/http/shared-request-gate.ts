/**
 * A request gate whose limits hold across every process on one warehouse: the local queue of
 * request-gate.ts (at most `concurrency` of this gate's requests at once, in order), and before each
 * request a slot of the token's shared budget and a claimed start of its shared rate. The budget is passed
 * in (src/warehouse/request-budget.ts keeps it in PostgreSQL; src/sync wires the two).
 *
 * A slot is kept while requests wait, so a process alone pays one lock per slot, not one per request; an
 * idle slot lingers for the next request — `idleLingerMs` while no other process asks for one (a stream's
 * bookkeeping between two requests then costs no lock), `lingerMs` while another does — then goes back. A
 * slot held for longer than `turnMs` goes back after its request ends and is contested again, so a busy
 * process cannot keep another one out. The rate is claimed after the slot, just before the request starts,
 * so a claimed start is a real one.
 */
import PQueue from "p-queue";
import { checkGateOptions, type RequestGate, type RequestGateOptions } from "./request-gate.js";

/** What the gate needs of a token's shared budget (src/warehouse/request-budget.ts: RequestBudget). */
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

export function createSharedRequestGate(budget: SharedBudget, options: SharedRequestGateOptions): SharedRequestGate {
  checkGateOptions(options);
  const turnMs = options.turnMs ?? 2_000;
  const lingerMs = options.lingerMs ?? 50;
  const idleLingerMs = options.idleLingerMs ?? 1_000;
  // The rate is the budget's (the tightest any gate of the token asked for); the local queue keeps the order.
  const queue = new PQueue({ concurrency: options.concurrency });
  const idle: HeldSlot[] = [];
  /** Requests started by the queue that still wait for a slot or the rate. */
  let preparing = 0;

  const giveUp = (held: HeldSlot) => void budget.releaseSlot(held.slot);
  const turnOver = (held: HeldSlot) => performance.now() - held.since >= turnMs;

  async function takeSlot(signal: AbortSignal | undefined): Promise<HeldSlot> {
    for (let held = idle.pop(); held; held = idle.pop()) {
      clearTimeout(held.linger);
      // An ended budget took its locks with it: an idle slot is no longer this process's.
      if (budget.ended.aborted || turnOver(held)) giveUp(held);
      else return held;
    }
    if (budget.ended.aborted) throw budget.ended.reason;
    return { slot: await budget.acquireSlot(signal), since: performance.now() };
  }

  function giveBack(held: HeldSlot): void {
    if (budget.ended.aborted || turnOver(held)) return giveUp(held);
    held.linger = setTimeout(
      () => {
        const at = idle.indexOf(held);
        if (at < 0) return;
        idle.splice(at, 1);
        giveUp(held);
      },
      budget.contested ? lingerMs : idleLingerMs,
    );
    held.linger.unref();
    idle.push(held);
  }

  async function claimStart(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const wait = await budget.claimStart();
      if (wait <= 0) return;
      await delay(wait, signal);
    }
  }

  async function prepare(signal: AbortSignal | undefined): Promise<HeldSlot> {
    preparing++;
    let held: HeldSlot | undefined;
    try {
      held = await takeSlot(signal);
      await claimStart(signal);
      return held;
    } catch (err) {
      if (held) giveBack(held);
      throw err;
    } finally {
      preparing--;
    }
  }

  return {
    run<T>(task: () => Promise<T>, runOptions: RunOptions = {}): Promise<T> {
      const { signal } = runOptions;
      return queue.add(
        async () => {
          const held = await prepare(signal);
          try {
            return await task();
          } finally {
            giveBack(held);
          }
        },
        signal ? { signal } : {},
      );
    },
    get waiting() {
      return queue.size + preparing;
    },
  };
}
