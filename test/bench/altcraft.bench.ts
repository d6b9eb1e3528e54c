/**
 * bench:altcraft — the Altcraft sync end to end against the offline simulator (in this process, fixed clock):
 *   npm run bench:altcraft -- [--campaigns 2000] [--rows 500] [--parallel 8] [--concurrency 5] [--page-limit 1000]
 * 1. A full backfill of `--campaigns` campaigns of about `--rows` log rows each with runSync → rows/s; then
 *    the loader alone on the same rows (rebuilt as altcraft.batches.ts builds them), in pages of the same size
 *    and with the same parallelism, into a second fresh database → rows/s, and end to end ÷ loader alone.
 * 2. Requests of a no-op run: the clock moves by one second after the backfill (which put the finished
 *    campaigns on the slow schedule), then one run is counted per method. Target: campaigns/list pages plus
 *    one log_v2 per polled campaign, no get_status, nothing for a slow-polled (finished) campaign.
 * 3. Peak RSS (the simulator and its rows live in this process too).
 * 4. CPU per row (µs, user + system) of the backfill (simulator included: it shares this process) and of
 *    the loader alone, and the share of the backfill's CPU time spent in garbage collection
 *    (PerformanceObserver 'gc' entries).
 * 5. Latency: `--latency-campaigns` campaigns (default 40) whose simulator answers every request after
 *    `--latency` ms (default 150), read with `--latency-page-limit` (default 100); rows/s against the bound
 *    min(loader alone, requests in flight × rows per request ÷ latency), where requests in flight =
 *    min(concurrency, parallel streams): each stream has one request in flight at a time; rows per request count
 *    every request the simulator answered (the campaign list's pages and the follow-ups too), as bench:yandex does.
 * 6. Requests per stream against the minimum, in `strict` and in `economy` (each on a fresh warehouse and a fresh
 *    simulator, its clock fixed and moved on purpose): a backfill of `--requests-campaigns` campaigns (default 8)
 *    of up to about `--requests-rows` log rows each (default 15,000; a run an hour of ~100 rows, some campaigns
 *    stop in their history) read with `--requests-page-limit` (default 1000); then the clock moves
 *    `--requests-advance` seconds (default 600) and an incremental run. A loopback proxy counts each log_v2 by
 *    the campaign it names; the minimum of a stream is ceil(rows read ÷ pageLimit), at least 1 — the fewest
 *    responses that could carry them. Targets (strict): a backfill within 1.3× the minimum; an incremental run
 *    at most 2 requests per campaign with rows in the range it reads (its lookback and after) and 1 for one
 *    with none. `--requests-only` runs this section alone.
 * Prints; does not assert.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { parseConfig } from "../../src/config/config.loader.js";
import { createLogger } from "../../src/log/pino.logger.js";
import {
  type AltcraftSimulator,
  type CampaignView,
  startAltcraftSimulator,
} from "../../src/simulators/altcraft/index.js";
import { mapLogRow } from "../../src/sources/altcraft/campaign-log.mapper.js";
import { readStart } from "../../src/sources/altcraft/campaign-log.stream.js";
import { logRow } from "../../src/sync/altcraft.batches.js";
import { type EventKeyText, keyRecord, OccurrenceCounter, streamIdentity } from "../../src/sync/event.identity.js";
import type { StreamOutcome } from "../../src/sync/run-stream.engine.js";
import { type RunSummary, runSync } from "../../src/sync/run-sync.engine.js";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { type CampaignLogRowInput, campaignLogTable } from "../../src/warehouse/copy.columns.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { startRun } from "../support/runs.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { numberArg, openBenchDatabase, peakRssMiB } from "./bench-database.js";
import {
  altcraftStreams,
  type ModeFigures,
  printBackfill,
  printIncremental,
  printRequestsSummary,
  type StreamFigure,
  startStreamCounter,
} from "./request-figures.js";

const DAY = 86_400_000;
/** The simulator's clock and the sync's now: fixed, moved only on purpose. */
const CLOCK = Date.UTC(2026, 10, 20, 12);
const ACCOUNT = "bench";
const RUNS_PER_DAY = 4;
const ROWS_PER_RUN = 25;
/**
 * Rows per campaign ≈ historyDays × runsPerDay × rowsPerRun × this: the completed and inactive campaigns
 * (30% by default) stop somewhere in their history (measured with seed 7: 0.944).
 */
const HISTORY_FILL = 0.944;

const campaigns = numberArg("campaigns", 2_000);
const rowsPerCampaign = numberArg("rows", 500);
const parallelStreams = numberArg("parallel", 8);
const concurrency = numberArg("concurrency", 5);
const pageLimit = numberArg("page-limit", 1_000);
const latencyMs = numberArg("latency", 150);
const latencyCampaigns = numberArg("latency-campaigns", 40);
const latencyPageLimit = numberArg("latency-page-limit", 100);

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const rate = (n: number, ms: number) => (n / ms) * 1000;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const say = (label: string, value: string) => console.log(`${label.padEnd(44)}: ${value}`);

const clock = { now: CLOCK };
const historyDays = rowsPerCampaign / (RUNS_PER_DAY * ROWS_PER_RUN * HISTORY_FILL);
const startTime = CLOCK - Math.ceil(historyDays + 1) * DAY;

function benchConfig(sim: AltcraftSimulator, limit = pageLimit) {
  return parseConfig(
    {
      sync: { parallelStreams },
      sources: {
        altcraft: {
          accounts: [
            {
              name: ACCOUNT,
              token: "${AC_TOKEN}",
              url: sim.url,
              startTime: new Date(startTime).toISOString(),
              pageLimit: limit,
              concurrency,
              timeout: "30s",
            },
          ],
        },
      },
    },
    { AC_TOKEN: sim.tokens[0] ?? "" },
  );
}

/** A campaign's rows as the sync stores them (altcraft.batches.ts), in pages of `pageLimit`. */
function campaignPages(sim: AltcraftSimulator, id: number): CampaignLogRowInput[][] {
  const rows = sim.log(id, { from: startTime, to: CLOCK });
  const keyPrefix = streamIdentity("altcraft", ACCOUNT, String(id));
  const pages: CampaignLogRowInput[][] = [];
  for (let i = 0; i < rows.length; i += pageLimit) {
    const page: CampaignLogRowInput[] = [];
    const occurrences = new OccurrenceCounter();
    const keyed: EventKeyText = { json: "", key: "" };
    for (const record of rows.slice(i, i + pageLimit)) {
      keyRecord(record, undefined, keyPrefix, 0, keyed);
      const occurrence = occurrences.next(keyed.key);
      if (occurrence > 0) keyRecord(record, undefined, keyPrefix, occurrence, keyed);
      const mapped = mapLogRow(record, "UTC");
      if (!mapped.ok) throw new Error(`campaign ${id}: ${mapped.reason}`);
      page.push(logRow(mapped.entry, keyed.key, ACCOUNT, id, occurrence, keyed.json));
    }
    pages.push(page);
  }
  return pages;
}

type Kind = "active" | "inactive" | "completed";
const kindOf = (c: CampaignView): Kind => (c.is_active ? "active" : c.is_completed ? "completed" : "inactive");

function requestsBy(
  summary: RunSummary,
  kinds: Map<number, Kind>,
): Record<Kind, { streams: number; requests: number }> {
  const out: Record<Kind, { streams: number; requests: number }> = {
    active: { streams: 0, requests: 0 },
    inactive: { streams: 0, requests: 0 },
    completed: { streams: 0, requests: 0 },
  };
  for (const s of summary.streams) {
    const kind = kinds.get(Number(s.identity.streamKey)) ?? "active";
    out[kind].streams++;
    out[kind].requests += s.requests;
  }
  return out;
}

async function syncRun(
  sim: AltcraftSimulator,
  warehouse: Warehouse,
  limit = pageLimit,
): Promise<{ summary: RunSummary; ms: number; cpuMs: number; gcMs: number }> {
  const log = createLogger({ level: "silent" });
  const config = benchConfig(sim, limit);
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ["gc"] });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const summary = await runSync({
    warehouse,
    config,
    log,
    signal: new AbortController().signal,
    command: "bench",
    now: () => new Date(clock.now),
  });
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - t0;
  // Entries of the last collections are delivered on a later tick.
  await new Promise((resolve) => setImmediate(resolve));
  gc.disconnect();
  return { summary, ms, cpuMs: (used.user + used.system) / 1000, gcMs };
}

/** Sections 1–5. */
async function fullBench(): Promise<void> {
  const sim = await startAltcraftSimulator({
    seed: 7,
    campaigns,
    historyDays,
    runsPerDay: RUNS_PER_DAY,
    rowsPerRun: ROWS_PER_RUN,
    clock: () => clock.now,
  });
  try {
    const views = sim.campaigns();
    const kinds = new Map(views.map((c) => [c.id, kindOf(c)]));
    const count = (kind: Kind) => views.filter((c) => kindOf(c) === kind).length;
    const truth = views.reduce((sum, c) => sum + sim.log(c.id, { from: startTime }).length, 0);
    console.log(
      `bench:altcraft — ${fmt(views.length)} campaigns, ${fmt(truth)} log rows (${fmt(truth / views.length)} per campaign; simulator: ` +
        `historyDays ${historyDays.toFixed(2)}, runsPerDay ${RUNS_PER_DAY}, rowsPerRun ${ROWS_PER_RUN}); pageLimit ${pageLimit}, concurrency ${concurrency}, parallelStreams ${parallelStreams}`,
    );
    say("campaigns active / inactive / completed", `${count("active")} / ${count("inactive")} / ${count("completed")}`);

    // 1a. End to end.
    const e2e = await openBenchDatabase("eventlog_bench_altcraft_e2e");
    let backfill: Awaited<ReturnType<typeof syncRun>>;
    let noop: Awaited<ReturnType<typeof syncRun>>;
    let noopCounts: Record<string, number>;
    let stored: number;
    try {
      const warehouse = openWarehouse(e2e.url, { maxConnections: parallelStreams * 2 + 2 });
      try {
        sim.resetRequestCounts();
        backfill = await syncRun(sim, warehouse);
        const backfillCounts = sim.requestCounts()[sim.tokens[0] ?? ""] ?? {};
        const row = await warehouse.pool.query<{ n: string }>("select count(*) as n from altcraft.campaign_log");
        stored = Number(row.rows[0]?.n ?? 0);
        const inserted = backfill.summary.streams.reduce((s, o) => s + o.inserted, 0);
        console.log("\n1. Full backfill, end to end vs loader alone");
        say(
          "run status",
          `${backfill.summary.status} (${backfill.summary.streams.filter((s) => s.status !== "succeeded").length} streams not succeeded)`,
        );
        say("rows inserted / stored / simulator truth", `${fmt(inserted)} / ${fmt(stored)} / ${fmt(truth)}`);
        say(
          "requests (list / log_v2 / get_status)",
          `${backfillCounts["campaigns/list"] ?? 0} / ${fmt(backfillCounts["campaigns/log_v2"] ?? 0)} / ${backfillCounts["campaigns/get_status"] ?? 0}`,
        );
        {
          // The fewest log_v2 requests that can read each campaign: its rows over a full page, at least one.
          const minimum = sim
            .campaigns()
            .reduce((n, c) => n + Math.max(1, Math.ceil(sim.log(c.id, { from: startTime }).length / pageLimit)), 0);
          const logV2 = backfillCounts["campaigns/log_v2"] ?? 0;
          say(
            "log_v2 requests per campaign (backfill)",
            `${(logV2 / campaigns).toFixed(3)} against a minimum of ${(minimum / campaigns).toFixed(3)} (${fmt(logV2 - minimum)} over, ${fmt(campaigns)} streams)`,
          );
        }
        say(
          "end to end (runSync)",
          `${fmt(rate(stored, backfill.ms))} rows/s (${seconds(backfill.ms)}; node CPU ${seconds(backfill.cpuMs)} = ${(backfill.cpuMs / backfill.ms).toFixed(2)} cores)`,
        );

        // 2. A no-op run: one second later, nothing new.
        clock.now += 1_000;
        sim.resetRequestCounts();
        noop = await syncRun(sim, warehouse);
        noopCounts = sim.requestCounts()[sim.tokens[0] ?? ""] ?? {};
      } finally {
        await warehouse.close();
      }
    } finally {
      await e2e.close();
    }
    const syncRss = peakRssMiB();

    // 1b. The loader alone on the same rows, same page sizes and parallelism, into a fresh database.
    const alone = await openBenchDatabase("eventlog_bench_altcraft_loader");
    let loaderMs = 0;
    let loaderCpuMs = 0;
    let loaderInserted = 0;
    let loaderPages = 0;
    try {
      const warehouse = openWarehouse(alone.url, { maxConnections: parallelStreams * 2 + 2 });
      try {
        const runId = await startRun(warehouse.db, "bench");
        const ids = views.map((c) => c.id);
        const streamIds = new Map<number, number>();
        for (const id of ids)
          streamIds.set(
            id,
            (await ensureStream(warehouse.db, { source: "altcraft", account: ACCOUNT, streamKey: String(id) }))
              .stream_id,
          );
        // Built a chunk at a time (outside the timing) so the rows of every campaign are never all in memory.
        const CHUNK = 100;
        for (let c = 0; c < ids.length; c += CHUNK) {
          const work = ids
            .slice(c, c + CHUNK)
            .map((id) => ({ streamId: streamIds.get(id) ?? 0, pages: campaignPages(sim, id) }));
          let next = 0;
          const worker = async () => {
            while (next < work.length) {
              const job = work[next++];
              if (!job) break;
              for (const events of job.pages) {
                const last = events[events.length - 1];
                const loaded = await loadBatch(warehouse.pool, campaignLogTable, {
                  streamId: job.streamId,
                  runId,
                  events,
                  ...(last ? { cursor: last.time } : {}),
                  state: { largestPage: events.length },
                });
                loaderInserted += loaded.inserted;
                loaderPages++;
              }
            }
          };
          const cpu = process.cpuUsage();
          const t0 = performance.now();
          await Promise.all(Array.from({ length: Math.min(parallelStreams, work.length) }, worker));
          loaderMs += performance.now() - t0;
          const used = process.cpuUsage(cpu);
          loaderCpuMs += (used.user + used.system) / 1000;
        }
      } finally {
        await warehouse.close();
      }
    } finally {
      await alone.close();
    }
    const e2eRate = rate(stored, backfill.ms);
    const loaderRate = rate(loaderInserted, loaderMs);
    say(
      "loader alone (loadBatch)",
      `${fmt(loaderRate)} rows/s (${seconds(loaderMs)}; ${fmt(loaderInserted)} rows in ${fmt(loaderPages)} pages, ${parallelStreams} at a time)`,
    );
    say("end to end ÷ loader alone", `${(e2eRate / loaderRate).toFixed(2)}`);

    // 2. Requests of the no-op run.
    const list = noopCounts["campaigns/list"] ?? 0;
    const logV2 = noopCounts["campaigns/log_v2"] ?? 0;
    const status = noopCounts["campaigns/get_status"] ?? 0;
    const polled = noop.summary.streams.length;
    const slowPolled = views.length - polled;
    const by = requestsBy(noop.summary, kinds);
    const finishedCost = by.completed.requests;
    const holds = logV2 === polled && status === 0 && finishedCost === 0;
    const noopInserted = noop.summary.streams.reduce((s, o) => s + o.inserted, 0);
    console.log("\n2. No-op run (clock +1 s after the backfill)");
    say("run status / rows inserted", `${noop.summary.status} / ${fmt(noopInserted)} (${seconds(noop.ms)})`);
    say(
      "campaigns/list pages",
      `${list} (${views.length} campaigns, limit ${pageLimit}: ${Math.ceil(views.length / pageLimit) + 1} expected, the last one empty)`,
    );
    say("campaigns/log_v2 requests", `${fmt(logV2)} (target ${fmt(polled)}: 1 per polled campaign)`);
    say("campaigns/get_status requests", `${fmt(status)} (target 0)`);
    const reread = noop.summary.streams.reduce((n, o) => n + o.duplicates, 0);
    say(
      "rows re-read (lookback) per polled campaign",
      `${(reread / Math.max(1, polled)).toFixed(2)} (${fmt(reread)} in all, skipped as duplicates)`,
    );
    say("streams polled / slow-polled (skipped)", `${fmt(polled)} / ${fmt(slowPolled)}`);
    say(
      "requests: active campaigns",
      `${fmt(by.active.requests)} for ${fmt(by.active.streams)} streams (${count("active")} active)`,
    );
    say(
      "requests: inactive, not completed",
      `${fmt(by.inactive.requests)} for ${fmt(by.inactive.streams)} streams (${count("inactive")} inactive)`,
    );
    say(
      "requests: completed (finished)",
      `${fmt(finishedCost)} for ${fmt(by.completed.streams)} streams (${count("completed")} completed)`,
    );
    say("target holds", holds ? "yes" : "NO");

    console.log("\n3. Memory");
    say("peak RSS after the sync runs", `${syncRss} MiB (simulator included: ${fmt(sim.stats().rows)} rows)`);
    say("peak RSS of this process", `${peakRssMiB()} MiB`);

    console.log("\n4. CPU per row");
    say(
      "backfill, simulator included",
      `${((backfill.cpuMs * 1000) / Math.max(1, stored)).toFixed(1)} µs (${seconds(backfill.cpuMs)} of CPU)`,
    );
    say(
      "loader alone",
      `${((loaderCpuMs * 1000) / Math.max(1, loaderInserted)).toFixed(1)} µs (${seconds(loaderCpuMs)}; Postgres not counted)`,
    );
    say(
      "GC share of the backfill's CPU time",
      `${((100 * backfill.gcMs) / backfill.cpuMs).toFixed(1)} % (${seconds(backfill.gcMs)} in GC)`,
    );

    // 5. Latency.
    const slowSim = await startAltcraftSimulator({
      seed: 7,
      campaigns: latencyCampaigns,
      historyDays,
      runsPerDay: RUNS_PER_DAY,
      rowsPerRun: ROWS_PER_RUN,
      clock: () => clock.now,
      latencyMs,
    });
    const slowDb = await openBenchDatabase("eventlog_bench_altcraft_latency");
    try {
      const warehouse = openWarehouse(slowDb.url, { maxConnections: parallelStreams * 2 + 2 });
      try {
        const slow = await syncRun(slowSim, warehouse, latencyPageLimit);
        const inserted = slow.summary.streams.reduce((n, o) => n + o.inserted, 0);
        const batches = slow.summary.streams.reduce((n, o) => n + o.batches, 0);
        const inFlight = Math.min(concurrency, parallelStreams, latencyCampaigns);
        // Every request the simulator answered: the campaign list's pages and the follow-ups carry no new rows but
        // take the latency as the others do.
        const requests = Object.values(slowSim.requestCounts())
          .flatMap((methods) => Object.values(methods))
          .reduce((n, c) => n + c, 0);
        const perRequest = inserted / Math.max(1, requests);
        const bound = Math.min(loaderRate, (inFlight * perRequest * 1000) / latencyMs);
        const achieved = rate(inserted, slow.ms);
        console.log(
          `\n5. Latency ${latencyMs} ms per answer, ${latencyCampaigns} campaigns, pageLimit ${latencyPageLimit}`,
        );
        say(
          "end to end",
          `${fmt(achieved)} rows/s (${seconds(slow.ms)}; ${fmt(inserted)} rows, ${fmt(batches)} batches, ${fmt(requests)} requests, status ${slow.summary.status})`,
        );
        say(
          `bound min(loader, ${inFlight} × ${perRequest.toFixed(0)} rows per request ÷ ${latencyMs} ms)`,
          `${fmt(bound)} rows/s; achieved ÷ bound ${(achieved / bound).toFixed(2)}`,
        );
        say("requests in flight on average", `${((requests * latencyMs) / slow.ms).toFixed(1)} of ${inFlight}`);
      } finally {
        await warehouse.close();
      }
    } finally {
      await slowDb.close();
      await slowSim.close();
    }
  } finally {
    await sim.close();
  }
}

// ── 6. Requests per stream against the minimum ──────────────────────────────────────────────────────

/** The requests section's simulator: a run an hour, of about 100 rows. */
const REQUESTS_RUNS_PER_DAY = 24;
const REQUESTS_ROWS_PER_RUN = 100;
const LOOKBACK = 600_000;
const REQUEST_TARGETS = { backfill: 1.3, withRecords: 2, without: 1 };

interface RequestsSettings {
  campaigns: number;
  rows: number;
  pageLimit: number;
  advanceMs: number;
}

/**
 * Requests against the minimum: one follow-up per read (the answer that ends it), plus the pages of the rows
 * fetched (the rows read plus those re-read: each follow-up page holds the previous page's last millisecond
 * again), ± other (milliseconds stepped past; in economy, less the follow-ups a capacity settled).
 */
function logDetail(requests: number, fetched: number, reread: number, pageLimit: number): string {
  const pages = Math.ceil(fetched / pageLimit);
  const other = requests - pages - 1;
  return `1 follow-up + ${pages} page${pages === 1 ? "" : "s"} of ${fmt(fetched)} rows fetched (${fmt(reread)} re-read) ${other < 0 ? "−" : "+"} ${Math.abs(other)} other`;
}

async function requestsMode(mode: "strict" | "economy", s: RequestsSettings): Promise<ModeFigures> {
  const clock = { now: CLOCK };
  const days = s.rows / (REQUESTS_RUNS_PER_DAY * REQUESTS_ROWS_PER_RUN);
  const start = CLOCK - Math.ceil(days + 1) * DAY;
  const sim = await startAltcraftSimulator({
    seed: 7,
    campaigns: s.campaigns,
    historyDays: days,
    runsPerDay: REQUESTS_RUNS_PER_DAY,
    rowsPerRun: REQUESTS_ROWS_PER_RUN,
    clock: () => clock.now,
  });
  const counter = await startStreamCounter(sim.url, altcraftStreams);
  const bench = await openBenchDatabase(`eventlog_bench_altcraft_requests_${mode}`);
  const warehouse = openWarehouse(bench.url, { maxConnections: parallelStreams * 2 + 2 });
  try {
    const token = sim.tokens[0] ?? "";
    const config = parseConfig(
      {
        sync: { parallelStreams },
        sources: {
          altcraft: {
            accounts: [
              {
                name: ACCOUNT,
                token: "${AC_TOKEN}",
                url: counter.url,
                startTime: new Date(start).toISOString(),
                lookback: `${LOOKBACK / 1000}s`,
                pageLimit: s.pageLimit,
                concurrency,
                timeout: "30s",
                completeness: mode,
              },
            ],
          },
        },
      },
      { AC_TOKEN: token },
    );
    const run = () =>
      runSync({
        warehouse,
        config,
        log: createLogger({ level: "silent" }),
        signal: new AbortController().signal,
        command: "bench",
        now: () => new Date(clock.now),
      });
    const kinds = new Map(sim.campaigns().map((c) => [c.id, kindOf(c)]));
    const served = () => {
      const counts = sim.requestCounts()[token] ?? {};
      const logV2 = counts["campaigns/log_v2"] ?? 0;
      return (
        `log_v2 received ${logV2} = ${counter.total("campaigns/log_v2")} counted by campaign; ` +
        `besides: ${counts["campaigns/list"] ?? 0} list pages, ${counts["campaigns/get_status"] ?? 0} get_status`
      );
    };
    const statuses = (summary: RunSummary) =>
      `${summary.status}, ${summary.streams.filter((o) => o.status !== "succeeded").length} streams not succeeded`;
    const figureOf = (o: StreamOutcome, records: number, fresh?: number): StreamFigure => {
      const id = Number(o.identity.streamKey);
      const requests = counter.of("campaigns/log_v2").get(o.identity.streamKey) ?? 0;
      return {
        stream: `campaign ${id}`,
        kind: kinds.get(id) ?? "?",
        requests,
        records,
        ...(fresh === undefined ? {} : { fresh }),
        detail: logDetail(requests, o.inserted + o.duplicates, o.duplicates, s.pageLimit),
      };
    };

    console.log(
      `\nrequests per stream, ${mode}, on a fresh warehouse; minimum = ceil(rows read ÷ pageLimit ${s.pageLimit}), at least 1: the fewest responses that could carry them`,
    );
    const backfill = await run();
    const cursors = new Map(backfill.streams.map((o) => [o.identity.streamKey, o.cursor]));
    const backfillFigures = backfill.streams.map((o) =>
      figureOf(o, sim.log(Number(o.identity.streamKey), { from: start }).length),
    );
    const truth = backfillFigures.reduce((n, f) => n + f.records, 0);
    const stored = (summary: RunSummary) => summary.streams.reduce((n, o) => n + o.inserted, 0);
    console.log(`backfill: ${statuses(backfill)}; ${fmt(stored(backfill))} of ${fmt(truth)} rows stored; ${served()}`);
    const backfillResult = printBackfill({
      figures: backfillFigures,
      pageLimit: s.pageLimit,
      unit: "rows",
      detailHeading: "requests = 1 follow-up + pages of rows fetched ± other",
      target: REQUEST_TARGETS.backfill,
      targetWhy: "full pages + one follow-up per read",
    });

    // Incremental: the clock moves on, campaigns keep running.
    clock.now += s.advanceMs;
    counter.reset();
    sim.resetRequestCounts();
    const incremental = await run();
    const incrementalFigures = incremental.streams.map((o) => {
      const id = Number(o.identity.streamKey);
      const cursor = cursors.get(o.identity.streamKey) ?? null;
      const from = readStart({ startTime: new Date(start), lookbackMs: LOOKBACK }, cursor);
      const records = sim.log(id, { from, to: clock.now }).length;
      const fresh = cursor ? sim.log(id, { from: cursor.getTime() + 1, to: clock.now }).length : records;
      return figureOf(o, records, fresh);
    });
    const fresh = incrementalFigures.reduce((n, f) => n + (f.fresh ?? 0), 0);
    const skipped = kinds.size - incremental.streams.length;
    console.log(
      `incremental, the clock ${s.advanceMs / 1000} s later (each campaign reads from its cursor − lookback ${LOOKBACK / 60_000} min): ${statuses(incremental)}; ` +
        `${fmt(stored(incremental))} of ${fmt(fresh)} new rows stored; ${served()}; ${skipped} finished campaigns slow-polled (not read, 0 requests)`,
    );
    const incrementalResult = printIncremental({
      figures: incrementalFigures,
      pageLimit: s.pageLimit,
      unit: "rows",
      rangeWords: "the range read (lookback and after)",
      detailHeading: "requests = 1 follow-up + pages of rows fetched ± other",
      targets: REQUEST_TARGETS,
    });
    if (incrementalResult.without.streams === 0)
      console.log(
        "  (a campaign with a cursor always has rows in its range: from_time = cursor − lookback holds at least the row at the cursor)",
      );
    return { mode, backfill: backfillResult, incremental: incrementalResult };
  } finally {
    await warehouse.close();
    await bench.close();
    await counter.close();
    await sim.close();
  }
}

async function requestsSection(): Promise<void> {
  const s: RequestsSettings = {
    campaigns: numberArg("requests-campaigns", 8),
    rows: numberArg("requests-rows", 15_000),
    pageLimit: numberArg("requests-page-limit", 1_000),
    advanceMs: numberArg("requests-advance", 600) * 1000,
  };
  console.log(
    `\n6. Requests — ${s.campaigns} campaigns of up to ~${fmt(s.rows)} log rows (${REQUESTS_RUNS_PER_DAY} runs a day of ~${REQUESTS_ROWS_PER_RUN} rows; ` +
      `some stop in their history), pageLimit ${s.pageLimit}, concurrency ${concurrency}, parallelStreams ${parallelStreams}; then an incremental run ${s.advanceMs / 1000} s later. ` +
      `Targets (strict): backfill ≤ ${REQUEST_TARGETS.backfill}× the minimum; incremental ≤ ${REQUEST_TARGETS.withRecords} requests per campaign with rows in its range, ${REQUEST_TARGETS.without} without`,
  );
  const modes: ModeFigures[] = [];
  for (const mode of ["strict", "economy"] as const) modes.push(await requestsMode(mode, s));
  printRequestsSummary("rows", modes, REQUEST_TARGETS);
}

if (!process.argv.includes("--requests-only")) await fullBench();
await requestsSection();
