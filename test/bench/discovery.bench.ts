/**
 * bench:discovery — an agency account with `logins: all` against the offline simulator, in one run:
 *   npm run bench:discovery -- [--clients 1000] [--page-cap 300] [--per-hour 6]
 * 1. Backfill: the first run lists the agency's clients (pages of at most `--page-cap`, the simulator's cap)
 *    and reads six hours of each client's log.
 * 2. No-op: a second run at the same clock; prints its requests — the listing pages plus one GetEventsLog
 *    request per login is the floor — its points (Units) and its wall time.
 * 3. The cost of the shared request budget for a process alone: the no-op run again, with the budget shared
 *    through PostgreSQL (the default) and with `sync.shareRequestBudget: false`, alternating, 3 times each.
 * 4. Growth: 1% of the clients added and 1% archived, the clock one hour on: the run adds and retires
 *    exactly those streams.
 * Prints; does not assert.
 */
import { parseConfig } from "../../src/config/config.loader.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { startYandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runSync } from "../../src/sync/run-sync.engine.js";
import { numberArg, openBenchDatabase } from "./bench-database.js";

const HOUR = 3_600_000;
const CLOCK = Date.UTC(2026, 10, 20, 12);

async function main(): Promise<void> {
  const clients = numberArg("clients", 1000);
  const pageCap = numberArg("page-cap", 300);
  const perHour = numberArg("per-hour", 6);
  const clock = { now: CLOCK };
  const added = Math.max(1, Math.round(clients / 100));
  const sim = await startYandexDirectSimulator({
    seed: 11,
    clientLogins: clients + added,
    listedClients: clients,
    historyDays: 1,
    eventsPerHour: perHour,
    clock: () => clock.now,
    agencyClientsPageCap: pageCap,
  });
  const bench = await openBenchDatabase("eventlog_bench_discovery");
  const configOf = (shareRequestBudget: boolean) =>
    parseConfig(
      {
        sync: { parallelStreams: 3, shareRequestBudget },
        sources: {
          yandex_direct: {
            accounts: [
              {
                name: "agency",
                token: "${T}",
                endpoint: sim.endpoint,
                currency: "client",
                logins: "all",
                startTime: new Date(CLOCK - 6 * HOUR).toISOString(),
                concurrency: 5,
              },
            ],
          },
        },
      },
      { T: sim.agency.token },
    );
  let config = configOf(true);
  const log = createLogger({ level: "silent" });
  const run = async (title: string) => {
    sim.resetRequestCounts();
    const before = sim.points(sim.agency.token);
    const started = performance.now();
    const summary = await runSync({
      warehouse: bench.warehouse,
      config,
      log,
      signal: new AbortController().signal,
      command: "bench",
      now: () => new Date(clock.now),
    });
    const seconds = (performance.now() - started) / 1000;
    const counts = sim.requestCounts()[sim.agency.token] ?? {};
    const listing = counts["AgencyClients.get"] ?? 0;
    const events = counts.GetEventsLog ?? 0;
    const statuses = new Map<string, number>();
    for (const s of summary.streams) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    const retired = await bench.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from sync.streams where status = 'retired'",
    );
    console.log(
      [
        title.padEnd(9),
        `${summary.status.padEnd(9)}`,
        `streams ${String(summary.streams.length).padStart(5)} (${[...statuses].map(([s, n]) => `${n} ${s}`).join(", ")})`,
        `retired ${String(retired.rows[0]?.n ?? 0).padStart(3)}`,
        `AgencyClients.get ${String(listing).padStart(3)}`,
        `GetEventsLog ${String(events).padStart(6)} (${(events / Math.max(1, summary.streams.length)).toFixed(2)} per login)`,
        `points ${String(sim.points(sim.agency.token).spent - before.spent).padStart(5)}`,
        `${seconds.toFixed(1)} s`,
      ].join("  "),
    );
    return { listing, events, streams: summary.streams.length };
  };
  try {
    console.log(
      `bench:discovery — ${clients} clients listed in pages of ${pageCap}, ${perHour} events per hour, 6 h read; ${bench.where}`,
    );
    await run("backfill");
    const noop = await run("no-op");
    const timed = async (share: boolean) => {
      config = configOf(share);
      const started = performance.now();
      await run(share ? "shared" : "local");
      return (performance.now() - started) / 1000;
    };
    const shared: number[] = [];
    const local: number[] = [];
    for (let i = 0; i < 3; i++) {
      shared.push(await timed(true));
      local.push(await timed(false));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] ?? 0;
    console.log(
      `no-op wall, median of 3: shared budget ${median(shared).toFixed(2)} s, local gate ${median(local).toFixed(2)} s (shared ÷ local ${(median(shared) / median(local)).toFixed(2)})`,
    );
    config = configOf(true);
    const floor = Math.ceil(clients / pageCap) + clients;
    console.log(
      `no-op requests: ${noop.listing + noop.events} = ${noop.listing} listing pages + ${noop.events} GetEventsLog; floor ${floor} (${Math.ceil(clients / pageCap)} pages + 1 per login)`,
    );
    clock.now += HOUR;
    for (let i = 0; i < added; i++) sim.addAgencyClient();
    for (const c of sim.agencyClients().slice(0, added)) sim.archiveAgencyClient(c.login);
    await run("growth");
  } finally {
    await bench.close();
    await sim.close();
  }
}

await main();
