/**
 * The rate-limit gate of one account token: at most `concurrency` requests in flight and at most
 * `requestsPerSecond` started per second, shared by all the account's streams. Retries happen outside
 * the gate, so a request backing off does not hold a slot.
 */
import PQueue from "p-queue";

export interface RequestGateOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Requests started per second; 0 means no cap. */
  requestsPerSecond: number;
}

export interface RequestGate {
  /** Runs `task` when the limits allow; a `signal` that aborts takes it out of the queue while it waits. */
  run<T>(task: () => Promise<T>, options?: { signal?: AbortSignal | undefined }): Promise<T>;
  /** Requests waiting for a slot. */
  readonly waiting: number;
}

/** Throws a TypeError naming a limit no gate can keep. */
export function checkGateOptions(options: RequestGateOptions): void {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new TypeError(`Expected \`concurrency\` to be an integer ≥ 1, got \`${options.concurrency}\``);
  }
  if (!(options.requestsPerSecond >= 0)) {
    throw new TypeError(`Expected \`requestsPerSecond\` to be a number ≥ 0, got \`${options.requestsPerSecond}\``);
  }
}

export function createRequestGate(options: RequestGateOptions): RequestGate {
  checkGateOptions(options);
  // A sliding window: never more than `cap` starts in any window of `interval` ms, the way a server counts.
  // The 5% margin absorbs jitter between a start here and its arrival there.
  const rate = options.requestsPerSecond;
  const cap = Math.max(1, Math.floor(rate));
  const queue =
    rate > 0
      ? new PQueue({
          concurrency: options.concurrency,
          intervalCap: cap,
          interval: Math.ceil(((1000 * cap) / rate) * 1.05),
          strict: true,
        })
      : new PQueue({ concurrency: options.concurrency });
  return {
    run: (task, options) => queue.add(task, options?.signal ? { signal: options.signal } : {}),
    get waiting() {
      return queue.size;
    },
  };
}
