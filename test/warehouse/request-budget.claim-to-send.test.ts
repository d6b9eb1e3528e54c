// The shared request budget against a server that counts a strict sliding second: a process that reads the
// answer to its claim late (a busy process, a slow database) still starts no request that the server refuses,
// because its starts are stamped with when they are sent, not with when they were claimed. The server runs in a
// process of its own (test/support/simulator-process.ts), so it counts requests when they arrive.
import { randomBytes } from "node:crypto";
import { setTimeout } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSharedRequestGate, type SharedRequestGate } from "../../src/http/shared-request.gate.js";
import { createRequestBudgets } from "../../src/warehouse/request-budget.factory.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { type SimulatorProcess, startAltcraftSimulatorProcess } from "../support/simulator-process.js";
import { startSlowAnswerProxy } from "../support/slow-answer-proxy.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const TOKEN = `token-${randomBytes(8).toString("hex")}`;
const LIMITS = { concurrency: 5, requestsPerSecond: 5 };
/** How late the slow process reads every answer of the database: far more than the window's 5 % margin. */
const SLOW_ANSWERS_MS = 400;
/** Requests of the slow process; the quick one keeps the rate full until they are all answered. */
const SLOW_REQUESTS = 6;
/** How often the quick process starts a request: a little under the rate, the rest left to the slow one. */
const QUICK_EVERY_MS = 250;
/** The budget's window at LIMITS (request-budget.rate.ts, windowOf): a second and its 5 % margin. */
const WINDOW_MS = 1050;

/** A process of its own on the warehouse at `url`: its pool and its request budgets, closed together. */
function budgetProcess(name: string, url: string) {
  const warehouse = openWarehouse(url, { applicationName: name, maxConnections: 2 });
  const budgets = createRequestBudgets(warehouse.pool, { pollMs: 50 });
  return {
    budgets,
    close: async () => {
      await budgets.close();
      await warehouse.close();
    },
  };
}

let database: TestDatabase;
let sim: SimulatorProcess;
beforeAll(async () => {
  database = await createTestDatabase();
  sim = await startAltcraftSimulatorProcess({
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
    const processes = [budgetProcess("budget-slow", proxy.url), budgetProcess("budget-quick", database.url)];
    const [slow, quick] = processes.map((p) =>
      createSharedRequestGate(p.budgets.budget("altcraft", TOKEN, LIMITS), LIMITS),
    ) as [SharedRequestGate, SharedRequestGate];
    try {
      let slowDone = false;
      const slowStatuses = Promise.all(Array.from({ length: SLOW_REQUESTS }, () => slow.run(listCampaigns)));
      void slowStatuses.finally(() => (slowDone = true)).catch(() => undefined);
      // While the slow process reads, the quick one starts a request every QUICK_EVERY_MS: with the slow one's,
      // the rate is full, and a start sent later than it was stamped would make six in one second.
      const quickStatuses: Promise<number>[] = [];
      while (!slowDone) {
        quickStatuses.push(quick.run(listCampaigns));
        await setTimeout(QUICK_EVERY_MS);
      }
      const statuses = [...(await slowStatuses), ...(await Promise.all(quickStatuses))];
      // Every request was answered, none with the server's rate limit.
      expect(statuses.filter((s) => s === 429)).toHaveLength(0);
      expect(statuses.filter((s) => s === 200)).toHaveLength(statuses.length);
      expect(quickStatuses.length).toBeGreaterThan(SLOW_REQUESTS);
    } finally {
      for (const p of processes) await p.close();
      await proxy.close();
    }
  });

  // Kills "the wait counted from the claim's answer": the slow process would ask again a whole answer late,
  // after the quick one had taken the row that freed (it then got a start every 3 s or so).
  it("has a process that reads its answers late ask again as the row frees, not an answer later", async () => {
    const proxy = await startSlowAnswerProxy(database.url, SLOW_ANSWERS_MS);
    const token = `token-${randomBytes(8).toString("hex")}`;
    const slow = budgetProcess("budget-wait-slow", proxy.url);
    const quick = budgetProcess("budget-wait-quick", database.url);
    try {
      // Both processes' connections opened and their claim-to-send delays measured, on a token of their own
      // (whatever the claims there give: on a loaded machine a slow answer can cost a row).
      for (const { budgets } of [slow, quick]) await budgets.budget("altcraft", `${token}-warm`, LIMITS).claimStart();
      const quickBudget = quick.budgets.budget("altcraft", token, LIMITS);
      // The quick process takes every start of the window (a claim answered too late for its stamp takes one too).
      const takenFrom = performance.now();
      while ((await quickBudget.claimStart()) === 0);
      const wait = await slow.budgets.budget("altcraft", token, LIMITS).claimStart();
      expect(wait).toBeGreaterThan(0);
      // The first row taken frees a window after it (1,050 ms, and the quick process's few ms of stamp): the slow
      // process's next claim is sent then, not an answer (400 ms) later.
      // Nor before it: a claim that reached the database earlier would only be told to wait again.
      const askedAgain = performance.now() + wait - takenFrom;
      expect(askedAgain).toBeLessThan(WINDOW_MS + (SLOW_ANSWERS_MS * 3) / 4);
      expect(askedAgain).toBeGreaterThan(WINDOW_MS - SLOW_ANSWERS_MS / 2);
    } finally {
      for (const p of [slow, quick]) await p.close();
      await proxy.close();
    }
  });
});
