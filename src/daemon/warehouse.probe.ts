/**
 * Whether the warehouse answers, within a deadline: /healthz and /metrics must answer a probe quickly even
 * when the database host does not (a connection to an unreachable host can hang for minutes).
 */
import { toError } from "../errors.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { pingWarehouse } from "../warehouse/warehouse.ping.js";
import type { WarehouseReach } from "./health.status.js";

/** How long a probe waits for the warehouse, in ms. */
export const PROBE_TIMEOUT_MS = 3_000;

export class WarehouseTimeoutError extends Error {
  override readonly name = "WarehouseTimeoutError";
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`the warehouse did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** `work`, or a WarehouseTimeoutError after `timeoutMs` (the work itself is left to end on its own). */
export async function withinDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WarehouseTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function probeWarehouse(warehouse: Warehouse, timeoutMs = PROBE_TIMEOUT_MS): Promise<WarehouseReach> {
  try {
    await withinDeadline(pingWarehouse(warehouse), timeoutMs);
    return { up: true };
  } catch (err) {
    return { up: false, error: toError(err).message };
  }
}
