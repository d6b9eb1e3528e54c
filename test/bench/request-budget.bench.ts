/**
 * bench:budget — what the shared request budget costs a process alone: 2,000 no-op requests through the local
 * request gate and through the shared one, all queued at once and one after another; and the one statement
 * a request pays when the token has a rate (claimStart), next to a bare round trip.
 *   npx tsx test/bench/request-budget.bench.ts -- [--requests 2000] [--rounds 5]
 * Prints per-request times (the median round); does not assert.
 */
import { createRequestGate, type RequestGate } from "../../src/http/request.gate.js";
import { createSharedRequestGate } from "../../src/http/shared-request.gate.js";
import { createRequestBudgets } from "../../src/warehouse/request-budget.factory.js";
import { numberArg, openBenchDatabase } from "./bench-database.js";

const requests = numberArg("requests", 2_000);
const rounds = numberArg("rounds", 5);
const noop = async () => undefined;

async function queuedAtOnce(gate: RequestGate): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: requests }, () => gate.run(noop)));
  return performance.now() - started;
}

async function oneAfterAnother(gate: RequestGate): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < requests; i++) await gate.run(noop);
  return performance.now() - started;
}

async function median(measure: () => Promise<number>): Promise<number> {
  await measure(); // warm-up: the connection, the lock statements, the window's rows
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(await measure());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const bench = await openBenchDatabase("eventlog_bench_request_budget");
const budgets = createRequestBudgets(bench.warehouse.pool);
try {
  console.log(`bench:budget — ${requests.toLocaleString("en")} no-op requests, concurrency 5, on ${bench.where}`);
  const perRequest = (ms: number) => `${((ms / requests) * 1000).toFixed(1)} µs/request (${ms.toFixed(0)} ms)`;
  const limits = { concurrency: 5, requestsPerSecond: 0 };
  const local = createRequestGate(limits);
  const shared = createSharedRequestGate(budgets.budget("yandex_direct", "bench-token", limits), limits);
  for (const [label, measure] of [
    ["queued at once", queuedAtOnce],
    ["one after another", oneAfterAnother],
  ] as const) {
    const a = await median(() => measure(local));
    const b = await median(() => measure(shared));
    console.log(`${label}:`);
    console.log(`  local gate   ${perRequest(a)}`);
    console.log(`  shared gate  ${perRequest(b)}   overhead ${(((b - a) / requests) * 1000).toFixed(1)} µs/request`);
  }
  // With a rate, every request pays one statement (claimStart), claimed or told how long to wait.
  const rated = budgets.budget("yandex_direct", "bench-token-rated", { concurrency: 5, requestsPerSecond: 20 });
  const claims = await median(async () => {
    const started = performance.now();
    for (let i = 0; i < requests; i++) await rated.claimStart();
    return performance.now() - started;
  });
  const client = await bench.warehouse.pool.connect();
  const roundTrips = await median(async () => {
    const started = performance.now();
    for (let i = 0; i < requests; i++) await client.query("select 1");
    return performance.now() - started;
  }).finally(() => client.release());
  console.log("with a rate (20/s):");
  console.log(`  claimStart()            ${perRequest(claims)}`);
  console.log(`  baseline: select 1      ${perRequest(roundTrips)}`);
} finally {
  await budgets.close();
  await bench.close();
}
