// The shared request budget against a server that counts a strict sliding second: a process that reads the
// answer to its claim late (a busy process, a slow database) still starts no request that the server refuses,
// because its starts are stamped with when they are sent, not with when they were claimed.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSharedRequestGate } from "../../src/http/shared-request.gate.js";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { createRequestBudgets } from "../../src/warehouse/request-budget.factory.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { startSlowAnswerProxy } from "../support/slow-answer-proxy.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const TOKEN = `token-${randomBytes(8).toString("hex")}`;
const LIMITS = { concurrency: 5, requestsPerSecond: 5 };
/** How late the slow process reads every answer of the database: far more than the window's 5 % margin. */
const SLOW_ANSWERS_MS = 400;
const REQUESTS_EACH = 30;

let database: TestDatabase;
let sim: AltcraftSimulator;
beforeAll(async () => {
  database = await createTestDatabase();
  sim = await startAltcraftSimulator({
    host: "127.0.0.1",
    seed: 7,
    tokens: [TOKEN],
    campaigns: 1,
    historyDays: 1,
    requestsPerSecond: LIMITS.requestsPerSecond,
  });
});
afterAll(async () => {
  await sim?.close();
  await database?.drop();
});

/** One request to the simulator; its HTTP status (429: the server's sliding second was full). */
async function listCampaigns(): Promise<number> {
  const response = await fetch(`${sim.url}/api/v1.1/campaigns/list`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: TOKEN }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("the shared request budget's rate, as the server counts it", () => {
  it("gets no limit error when one process reads the answers to its claims late and another does not", async () => {
    const proxy = await startSlowAnswerProxy(database.url, SLOW_ANSWERS_MS);
    const processes = [
      { name: "budget-slow", url: proxy.url },
      { name: "budget-quick", url: database.url },
    ].map(({ name, url }) => {
      const warehouse = openWarehouse(url, { applicationName: name, maxConnections: 2 });
      const budgets = createRequestBudgets(warehouse.pool, { pollMs: 50 });
      const gate = createSharedRequestGate(budgets.budget("altcraft", TOKEN, LIMITS), LIMITS);
      return { warehouse, budgets, gate };
    });
    try {
      const statuses = await Promise.all(
        processes.flatMap(({ gate }) => Array.from({ length: REQUESTS_EACH }, () => gate.run(listCampaigns))),
      );
      // Every request was answered, none with the server's rate limit.
      expect(statuses.filter((s) => s === 429)).toHaveLength(0);
      expect(statuses.filter((s) => s === 200)).toHaveLength(2 * REQUESTS_EACH);
    } finally {
      for (const { budgets, warehouse } of processes) {
        await budgets.close();
        await warehouse.close();
      }
      await proxy.close();
    }
  });
});
