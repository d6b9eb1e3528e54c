/**
 * Bookkeeping that records how something ended must not be lost to one dropped connection: a statement that
 * fails because its connection died (terminated, the server restarting, the network) is tried again on a
 * fresh connection a few times. Only idempotent statements go through here.
 */
import { setTimeout as sleep } from "node:timers/promises";

const DELAYS_MS = [50, 250, 1000];

/** True when `err` says the connection is gone, not that the statement was wrong. */
export function isLostConnection(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  // 57P01 admin shutdown / terminate, 57P02 crash shutdown, 57P03 cannot connect now, class 08 connection exceptions.
  if (
    code.startsWith("57P0") ||
    code.startsWith("08") ||
    code === "ECONNRESET" ||
    code === "ECONNREFUSED" ||
    code === "EPIPE"
  )
    return true;
  const message = typeof e?.message === "string" ? e.message : "";
  return /Connection terminated|connection is closed|Client has encountered a connection error|Client was closed/i.test(
    message,
  );
}

/** The message of `err`, saying it was the warehouse's connection when that is what went away. */
export function warehouseFailureMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return isLostConnection(err) ? `the warehouse connection was lost (${message})` : message;
}

export async function retryOnLostConnection<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await statement();
    } catch (err) {
      const delay = DELAYS_MS[attempt];
      if (delay === undefined || !isLostConnection(err)) throw err;
      await sleep(delay);
    }
  }
}
