/**
 * bench:yandex — the Yandex.Direct sync end to end against the offline simulator, in one run:
 *   npm run bench:yandex -- [--events 1000000] [--logins 10] [--per-hour 140] [--page-limit 2000] [--rps 20]
 * 1. End to end vs loader alone: a full backfill of `--events` events with runSync (simulator in this
 *    process, no rate limit), then the loader alone on the same rows in the same pages and parallelism,
 *    into a second fresh database (target: end to end ≥ 0.85 × loader alone), and the machine's CPU use meanwhile.
 * 2. Memory: peak RSS of the sync at events/10 and at events, each in a child process of its own; the
 *    simulator stays in this process, so the child measures the sync only (target: ratio ≤ 1.2); the largest
 *    heap left after a full collection (what was alive) too; and the same sync with a full collection forced every
 *    250 ms (node --expose-gc), whose largest heap left is what the sync holds, V8's lazier collections aside.
 *    `--memory-only` runs this section alone.
 *    The child also reports the sync's CPU per event (µs, user + system) and the share of its CPU time spent
 *    in garbage collection (PerformanceObserver 'gc' entries); the loader alone reports its CPU per event too
 *    (target: the sync's ≤ 1.5 × the loader's; GC ≤ 20 %). Beside it, what that target leaves the sync's own work
 *    beyond the loader (half the loader's CPU per event), and that work's floor measured alone on the simulator's
 *    pages as bench:parse measures it (test/bench/keying-floor.ts): parsing, hashing each record once, keying it.
 * 3. Rate limit: simulator and account both at `--rps` requests/s and 5 concurrent, about `--rate-seconds`
 *    (default 30) of requests; achieved rate and the limit errors (506) the client had to retry (target ≥ 0.9 ×
 *    rps, no 506). `--rate-only` runs this section alone.
 * 4. Latency: the simulator answers every request after `--latency` ms (default 150), about
 *    `--latency-events` events (default 30,000) read by the sync in a child process (the simulator stays in this
 *    one, as a server elsewhere would: its work is not the sync's) with `--latency-page-limit` (default 200) and
 *    `--requests-ahead` k (the account's `requestsAhead`, default 2 here); events/s against the bound
 *    min(loader alone, min(concurrency, parallel streams × k) × events per request ÷ latency): each stream keeps
 *    up to k windows in flight; events per request counts every request made, empty follow-ups too (target ≥ 0.9);
 *    and the requests in flight on average (requests × latency ÷ wall time).
 *    `--latency-only` runs this section alone (the loader alone not measured: the bound is the latency's).
 * 5. Requests per stream against the minimum, in `strict` and in `economy` (each on a fresh warehouse and fresh
 *    simulators, their clock fixed and moved on purpose): a backfill of `--requests-logins` logins (default 4) of
 *    about `--requests-events` events each (default 30,000, `--requests-per-hour` 400 per login-hour) read with
 *    `--requests-page-limit` (default 1000), beside `--requests-quiet-logins` logins (default 4) of a second
 *    account whose simulator has one event every two hours; then the clock moves `--requests-advance` seconds
 *    (default 600) and an incremental run. A loopback proxy counts each GetEventsLog by the login it names; the
 *    minimum of a stream is ceil(events read ÷ pageLimit), at least 1 — the fewest responses that could carry
 *    them. Targets (strict): a backfill within 1.3× the minimum; an incremental run at most 2 requests per stream
 *    with events in the range it reads (its lookback and after) and 1 for a stream with none.
 *    `--requests-only` runs this section alone.
 * `--quick` skips the RSS run at events/10 and the rate-limit run; `--no-requests` skips section 5.
 * Prints; does not assert. `--child-rss` (internal) runs one sync and prints its peak RSS, CPU, GC and bytes
 * allocated as JSON; with `--profile <dir>` it also writes a CPU and an allocation profile summary there
 * (test/bench/sync-profile.ts; `npm run bench:profile` prints them).
 */
import { PerformanceObserver } from "node:perf_hooks";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { parseConfig } from "../../src/config/config.loader.js";
import type { Config } from "../../src/config/config.schema.js";
import { createLogger, type Logger } from "../../src/log/pino.logger.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { streamIdentity } from "../../src/sync/event.identity.js";
import { snapshotOf, windowRows } from "../../src/sync/yandex-direct.jobs.js";
import { runSync, type RunSummary } from "../../src/sync/run-sync.engine.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { type YandexDirectEventRowInput, yandexDirectEventsTable } from "../../src/warehouse/copy.columns.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { startRun } from "../support/runs.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { runRange } from "../../src/sources/yandex-direct/events.evidence.js";
import { machineBusySince, machineCpu, numberArg, openBenchDatabase, peakRssMiB, stringArg } from "./bench-database.js";
import { startSyncProfile } from "./sync-profile.js";
import { keyingFloor, simulatorPages } from "./keying-floor.js";
import { boundHeapGrowth } from "../../src/cli/heap.growth.js";
import {
  type ModeFigures,
  printBackfill,
  printIncremental,
  printRequestsSummary,
  type StreamCounter,
  type StreamFigure,
  startStreamCounter,
  yandexStreams,
} from "./request-figures.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const SETTLE_LAG = 60_000;
/** The simulator's clock and the sync's now: fixed, so every run holds exactly the same events. */
const CLOCK = Date.UTC(2026, 10, 20, 12);
const ACCOUNT = "bench";
const TOKEN = "agency-token";
const CURRENCY = "RUB";

function requiredArg(name: string): string {
  const value = stringArg(name);
  if (value === undefined) throw new Error(`Expected \`--${name}\``);
  return value;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const loginNames = (n: number) => Array.from({ length: n }, (_, i) => `client-${i + 1}`);

interface AccountSettings {
  endpoint: string;
  /** The account's `requestsAhead`; default the config's. */
  requestsAhead?: number;
  logins: number;
  pageLimit: number;
  concurrency: number;
  requestsPerSecond: number;
  parallelStreams: number;
}

function benchConfig(s: AccountSettings, startTime: number): Config {
  return parseConfig(
    {
      sync: { parallelStreams: s.parallelStreams },
      sources: {
        yandex_direct: {
          accounts: [
            {
              name: ACCOUNT,
              token: "${YD_TOKEN}",
              endpoint: s.endpoint,
              currency: CURRENCY,
              logins: loginNames(s.logins),
              startTime: new Date(startTime).toISOString(),
              settleLag: `${SETTLE_LAG / 1000}s`,
              pageLimit: s.pageLimit,
              concurrency: s.concurrency,
              requestsPerSecond: s.requestsPerSecond,
              timeout: "30s",
              ...(s.requestsAhead === undefined ? {} : { requestsAhead: s.requestsAhead }),
            },
          ],
        },
      },
    },
    { YD_TOKEN: TOKEN },
  );
}

/** A simulator holding about `events` events over `logins` logins at `perHour` events per login-hour. */
async function startVolume(
  events: number,
  logins: number,
  perHour: number,
  limits: { requestsPerSecond: number; concurrentRequests: number },
) {
  const historyDays = events / (logins * perHour * 24);
  const sim = await startYandexDirectSimulator({
    seed: 11,
    clientLogins: logins,
    eventsPerHour: perHour,
    historyDays,
    clock: () => CLOCK,
    ...limits,
  });
  // The first generated hour; the sync starts there and ends `SETTLE_LAG` before the clock.
  const startTime = Math.floor((CLOCK - historyDays * DAY) / HOUR) * HOUR;
  const end = CLOCK - SETTLE_LAG;
  let expected = 0;
  for (const login of loginNames(logins)) {
    expected += sim.countEvents(login) - sim.events({ login, from: end, to: CLOCK }).length;
  }
  return { sim, startTime, end, expected, historyDays };
}

async function countRows(url: string): Promise<number> {
  const warehouse = openWarehouse(url, { maxConnections: 1 });
  try {
    const { rows } = await warehouse.pool.query<{ n: number }>("select count(*)::int as n from yandex_direct.events");
    return rows[0]?.n ?? 0;
  } finally {
    await warehouse.close();
  }
}

/** The child: one sync against a running simulator and database; prints its own peak RSS as JSON. */
async function child(): Promise<void> {
  // The process as the CLI sets it up (src/cli/main.ts).
  boundHeapGrowth();
  const config = benchConfig(
    {
      endpoint: requiredArg("endpoint"),
      logins: numberArg("logins", 10),
      pageLimit: numberArg("page-limit", 2000),
      concurrency: numberArg("concurrency", 5),
      requestsPerSecond: 0,
      parallelStreams: numberArg("parallel-streams", 4),
      ...(process.argv.includes("--requests-ahead") ? { requestsAhead: numberArg("requests-ahead", 1) } : {}),
    },
    numberArg("start", 1),
  );
  const warehouse = openWarehouse(requiredArg("database"), { maxConnections: config.sync.parallelStreams * 2 + 3 });
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ["gc"] });
  const profileAt = process.argv.indexOf("--profile");
  const heap = await startSyncProfile(profileAt < 0 ? undefined : process.argv[profileAt + 1]);
  // Where the peak RSS goes: the largest V8 heap and the largest memory outside it (Buffers), sampled.
  const peaks = { heapTotalMiB: 0, externalMiB: 0, sampledLiveMiB: 0 };
  // `--live-sampled` (with node's --expose-gc): a full collection every 250 ms, and the heap left after it.
  const collect = process.argv.includes("--live-sampled") ? (globalThis as { gc?: () => void }).gc : undefined;
  const sampler = setInterval(
    () => {
      if (collect) {
        collect();
        peaks.sampledLiveMiB = Math.max(peaks.sampledLiveMiB, Math.round(process.memoryUsage().heapUsed / 2 ** 20));
      }
      const m = process.memoryUsage();
      peaks.heapTotalMiB = Math.max(peaks.heapTotalMiB, Math.round(m.heapTotal / 2 ** 20));
      peaks.externalMiB = Math.max(peaks.externalMiB, Math.round(m.external / 2 ** 20));
    },
    collect ? 250 : 50,
  );
  try {
    // The CLI checks the warehouse (its schema version) before the run begins, so the run starts on an open connection.
    await warehouse.pool.query("select 1");
    const cpu = process.cpuUsage();
    const machineAtStart = machineCpu();
    const started = performance.now();
    const summary = await runSync({
      warehouse,
      config,
      log: createLogger({ level: "silent" }),
      signal: new AbortController().signal,
      command: "bench",
      now: () => new Date(CLOCK),
    });
    const ms = performance.now() - started;
    const machine = machineBusySince(machineAtStart);
    const used = process.cpuUsage(cpu);
    gc.disconnect();
    const { allocatedBytes, collections, gcCostMs, liveAfterFullGcBytes, fullCollections } = await heap.stop();
    clearInterval(sampler);
    const { inserted, batches, requests } = summarize(summary);
    const cpuMs = (used.user + used.system) / 1000;
    process.stdout.write(
      `${JSON.stringify({ status: summary.status, inserted, batches, requests, ms, machine, cpuMs, gcMs, allocatedBytes, collections, gcCostMs, liveMiB: Math.round(liveAfterFullGcBytes / 2 ** 20), fullCollections, ...peaks, rssMiB: peakRssMiB(), heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20) })}\n`,
    );
  } finally {
    await warehouse.close();
  }
}

interface ChildResult {
  status: string;
  inserted: number;
  /** Batches stored and requests made (every GetEventsLog, empty follow-ups too). */
  batches: number;
  requests: number;
  ms: number;
  /** The machine's CPU use over the sync alone (0–1): PostgreSQL, the simulator and whatever else runs too. */
  machine: number;
  /** CPU time of the child (user + system), ms. */
  cpuMs: number;
  /** Time in garbage collection, ms (the pauses PerformanceObserver reports). */
  gcMs: number;
  /** Bytes allocated on the V8 heap during the sync (sync-profile.ts). */
  allocatedBytes: number;
  /** Collections during the sync, and their cost as v8.GCProfiler reports it, ms. */
  collections: number;
  gcCostMs: number;
  /** The largest heap left after a full collection (what was alive), and how many full collections ran. */
  liveMiB: number;
  fullCollections: number;
  rssMiB: number;
  heapMiB: number;
  /** Largest V8 heap (heapTotal) and largest memory outside it (external), sampled every 50 ms. */
  heapTotalMiB: number;
  externalMiB: number;
  /** `--live-sampled`: the largest heap left after the collections forced every 250 ms. */
  sampledLiveMiB: number;
}

function runChild(args: string[], nodeArgs: string[] = []): Promise<ChildResult> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script, "--child-rss", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`the child sync exited with ${String(code)}: ${out}`));
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as ChildResult);
      } catch {
        reject(new Error(`the child sync printed no result: ${out}`));
      }
    });
  });
}

interface PageShape {
  cursor: Date | null;
  size: number;
}

/** The rows of one login's pages, built from the simulator's ground truth the way yandex-direct.jobs.ts does. */
type BuiltPage = { cursor: Date | null; rows: YandexDirectEventRowInput[] };

function buildPages(
  sim: YandexDirectSimulator,
  login: string,
  from: number,
  end: number,
  shapes: readonly PageShape[],
): BuiltPage[] {
  const items = sim.events({
    login,
    from,
    to: end - 1000,
    currency: CURRENCY,
    locale: "en",
    withTextDescription: true,
  });
  const keyPrefix = streamIdentity("yandex_direct", ACCOUNT, login);
  const pages: BuiltPage[] = [];
  let at = 0;
  for (const shape of shapes) {
    const slice = items.slice(at, at + shape.size);
    const stream = {
      keyPrefix,
      account: ACCOUNT,
      login,
      zone: "UTC",
      currency: CURRENCY,
      redact: (text: string) => text,
    };
    const { events: rows, rejects } = windowRows(
      snapshotOf(
        slice,
        slice.map(() => Number.NaN),
        stream,
      ),
      stream,
    );
    if (rejects[0]) throw new Error(`ground truth event rejected: ${rejects[0].reason}`);
    at += shape.size;
    pages.push({ cursor: shape.cursor, rows });
  }
  if (at !== items.length)
    throw new Error(`${login}: the sync's pages hold ${at} events, the ground truth ${items.length}`);
  return pages;
}

const summarize = (summary: RunSummary) => ({
  inserted: summary.streams.reduce((sum, s) => sum + s.inserted, 0),
  duplicates: summary.streams.reduce((sum, s) => sum + s.duplicates, 0),
  batches: summary.streams.reduce((sum, s) => sum + s.batches, 0),
  requests: summary.streams.reduce((sum, s) => sum + s.requests, 0),
  retries: summary.streams.reduce((sum, s) => sum + s.retries, 0),
});

// ── 5. Requests per stream against the minimum ──────────────────────────────────────────────────────

const LOOKBACK = 3_600_000;
const QUIET_ACCOUNT = "bench-quiet";
const QUIET_TOKEN = "quiet-agency-token";
/** The quiet account's simulator: 0 or 1 event per login-hour, over one day of history. */
const QUIET_PER_HOUR = 0.5;
const QUIET_HISTORY_DAYS = 1;
const REQUEST_TARGETS = { backfill: 1.3, withRecords: 2, without: 1 };

interface RequestsSettings {
  logins: number;
  events: number;
  perHour: number;
  pageLimit: number;
  quietLogins: number;
  advanceMs: number;
  parallelStreams: number;
}

/** One account of the requests section: its simulator, the proxy counting by login in front of it, its logins. */
interface RequestsAccount {
  name: string;
  token: string;
  /** Prefix of its streams in the output. */
  label: string;
  kind: string;
  sim: YandexDirectSimulator;
  counter: StreamCounter;
  startTime: number;
  logins: string[];
}

const hourFloor = (ms: number) => Math.floor(ms / HOUR) * HOUR;

function requestsConfig(accounts: readonly RequestsAccount[], s: RequestsSettings, mode: "strict" | "economy"): Config {
  return parseConfig(
    {
      sync: { parallelStreams: s.parallelStreams },
      sources: {
        yandex_direct: {
          accounts: accounts.map((a, i) => ({
            name: a.name,
            token: `\${YD_TOKEN_${i}}`,
            endpoint: `${a.counter.url}/live/v4/json/`,
            currency: CURRENCY,
            logins: a.logins,
            startTime: new Date(a.startTime).toISOString(),
            lookback: `${LOOKBACK / 1000}s`,
            settleLag: `${SETTLE_LAG / 1000}s`,
            pageLimit: s.pageLimit,
            concurrency: 5,
            requestsPerSecond: 0,
            timeout: "30s",
            completeness: mode,
          })),
        },
      },
    },
    Object.fromEntries(accounts.map((a, i) => [`YD_TOKEN_${i}`, a.token])),
  );
}

/** Events per window of each stream, as the engine stores them (one batch per window). */
function windowSizes(into: Map<string, number[]>) {
  return (identity: { account: string; streamKey: string }, page: { inserted: number; duplicates: number }) => {
    const key = `${identity.account}/${identity.streamKey}`;
    const list = into.get(key) ?? [];
    list.push(page.inserted + page.duplicates);
    into.set(key, list);
  };
}

/**
 * Requests against the minimum: `windows` (each costs one request more than its pages: the empty follow-up, or
 * the one request of an empty window) + `pages by window` (its events over full pages, window by window) +
 * `other` (seconds read again; in economy, less the follow-ups a capacity settled).
 */
function windowDetail(requests: number, sizes: readonly number[], pageLimit: number): string {
  const pages = sizes.reduce((n, size) => n + Math.ceil(size / pageLimit), 0);
  const other = requests - pages - sizes.length;
  const windows = `${sizes.length} window${sizes.length === 1 ? "" : "s"}`;
  return `${windows} + ${pages} page${pages === 1 ? "" : "s"} by window ${other < 0 ? "−" : "+"} ${Math.abs(other)} other`;
}

async function requestsMode(mode: "strict" | "economy", s: RequestsSettings): Promise<ModeFigures> {
  const clock = { now: CLOCK };
  const historyDays = s.events / (s.perHour * 24);
  const free = { requestsPerSecond: 0, concurrentRequests: 0, clock: () => clock.now };
  const dense = await startYandexDirectSimulator({
    seed: 11,
    clientLogins: s.logins,
    eventsPerHour: s.perHour,
    historyDays,
    ...free,
  });
  const quiet = await startYandexDirectSimulator({
    seed: 12,
    clientLogins: s.quietLogins,
    eventsPerHour: QUIET_PER_HOUR,
    historyDays: QUIET_HISTORY_DAYS,
    agencyToken: QUIET_TOKEN,
    ...free,
  });
  const accounts: RequestsAccount[] = [
    {
      name: ACCOUNT,
      token: TOKEN,
      label: "",
      kind: "dense",
      sim: dense,
      counter: await startStreamCounter(dense.url, yandexStreams),
      startTime: hourFloor(CLOCK - historyDays * DAY),
      logins: loginNames(s.logins),
    },
    {
      name: QUIET_ACCOUNT,
      token: QUIET_TOKEN,
      label: "quiet/",
      kind: "quiet",
      sim: quiet,
      counter: await startStreamCounter(quiet.url, yandexStreams),
      startTime: hourFloor(CLOCK - QUIET_HISTORY_DAYS * DAY),
      logins: loginNames(s.quietLogins),
    },
  ];
  const bench = await openBenchDatabase(`eventlog_bench_yandex_requests_${mode}`);
  try {
    const config = requestsConfig(accounts, s, mode);
    const log = createLogger({ level: "silent" });
    const run = (windows: Map<string, number[]>) =>
      runSync({
        warehouse: bench.warehouse,
        config,
        log,
        signal: new AbortController().signal,
        command: "bench",
        now: () => new Date(clock.now),
        onPage: windowSizes(windows),
      });
    const served = () =>
      accounts.map((a) => `${a.sim.requestCounts()[a.token]?.GetEventsLog ?? 0} (${a.name})`).join(" + ");
    const counted = () => accounts.reduce((n, a) => n + a.counter.total("GetEventsLog"), 0);
    const stored = (summary: RunSummary) => summary.streams.reduce((n, o) => n + o.inserted, 0);
    const tallied = (summary: RunSummary) => summary.streams.reduce((n, o) => n + o.requests, 0);
    const statuses = (summary: RunSummary) =>
      `${summary.status}, ${summary.streams.filter((o) => o.status !== "succeeded").length} streams not succeeded`;

    console.log(
      `\nrequests per stream, ${mode}, on a fresh warehouse; minimum = ceil(events read ÷ pageLimit ${s.pageLimit}), at least 1: the fewest responses that could carry them`,
    );
    // Backfill.
    const backfillWindows = new Map<string, number[]>();
    const backfill = await run(backfillWindows);
    const cursors = new Map(backfill.streams.map((o) => [`${o.identity.account}/${o.identity.streamKey}`, o.cursor]));
    const backfillFigures: StreamFigure[] = [];
    let truth = 0;
    for (const a of accounts) {
      const range = runRange({
        startTime: a.startTime,
        cursor: null,
        lookbackMs: LOOKBACK,
        settleLagMs: SETTLE_LAG,
        now: clock.now,
      });
      for (const login of a.logins) {
        const records = a.sim.events({ login, from: range.from, to: range.end - 1 }).length;
        const requests = a.counter.of("GetEventsLog").get(login) ?? 0;
        truth += records;
        backfillFigures.push({
          stream: a.label + login,
          kind: a.kind,
          requests,
          records,
          detail: windowDetail(requests, backfillWindows.get(`${a.name}/${login}`) ?? [], s.pageLimit),
        });
      }
    }
    console.log(
      `backfill: ${statuses(backfill)}; ${fmt(stored(backfill))} of ${fmt(truth)} events stored; GetEventsLog received ${served()} = ${counted()} counted by login (the sync's own count ${tallied(backfill)})`,
    );
    const backfillResult = printBackfill({
      figures: backfillFigures,
      pageLimit: s.pageLimit,
      unit: "events",
      detailHeading: "requests = windows + pages by window ± other",
      target: REQUEST_TARGETS.backfill,
      targetWhy: "full pages + one follow-up per window",
    });

    // Incremental: the clock moves on, events keep coming.
    clock.now += s.advanceMs;
    for (const a of accounts) {
      a.counter.reset();
      a.sim.resetRequestCounts();
    }
    const incrementalWindows = new Map<string, number[]>();
    const incremental = await run(incrementalWindows);
    const incrementalFigures: StreamFigure[] = [];
    let fresh = 0;
    for (const a of accounts) {
      for (const login of a.logins) {
        const cursor = cursors.get(`${a.name}/${login}`)?.getTime() ?? null;
        const range = runRange({
          startTime: a.startTime,
          cursor,
          lookbackMs: LOOKBACK,
          settleLagMs: SETTLE_LAG,
          now: clock.now,
        });
        const records = a.sim.events({ login, from: range.from, to: range.end - 1 }).length;
        const past = cursor === null ? records : a.sim.events({ login, from: cursor, to: range.end - 1 }).length;
        const requests = a.counter.of("GetEventsLog").get(login) ?? 0;
        fresh += past;
        incrementalFigures.push({
          stream: a.label + login,
          kind: a.kind,
          requests,
          records,
          fresh: past,
          detail: windowDetail(requests, incrementalWindows.get(`${a.name}/${login}`) ?? [], s.pageLimit),
        });
      }
    }
    console.log(
      `incremental, the clock ${s.advanceMs / 1000} s later (each stream reads from its cursor − lookback ${LOOKBACK / 60_000} min): ${statuses(incremental)}; ` +
        `${fmt(stored(incremental))} of ${fmt(fresh)} new events stored; GetEventsLog received ${served()} = ${counted()} counted by login (the sync's own count ${tallied(incremental)})`,
    );
    const incrementalResult = printIncremental({
      figures: incrementalFigures,
      pageLimit: s.pageLimit,
      unit: "events",
      rangeWords: "the range read (lookback and after)",
      detailHeading: "requests = windows + pages by window ± other",
      targets: REQUEST_TARGETS,
    });
    return { mode, backfill: backfillResult, incremental: incrementalResult };
  } finally {
    await bench.close();
    for (const a of accounts) {
      await a.counter.close();
      await a.sim.close();
    }
  }
}

async function requestsSection(): Promise<void> {
  const s: RequestsSettings = {
    logins: numberArg("requests-logins", 4),
    events: numberArg("requests-events", 30_000),
    perHour: numberArg("requests-per-hour", 400),
    pageLimit: numberArg("requests-page-limit", 1000),
    quietLogins: numberArg("requests-quiet-logins", 4),
    advanceMs: numberArg("requests-advance", 600) * 1000,
    parallelStreams: numberArg("parallel-streams", 4),
  };
  console.log(
    `\nbench:yandex requests — ${s.logins} logins × ~${fmt(s.events)} events (${s.perHour} per login-hour) and ${s.quietLogins} quiet logins ` +
      `(${QUIET_PER_HOUR} per login-hour over ${QUIET_HISTORY_DAYS} day), pageLimit ${s.pageLimit}, parallelStreams ${s.parallelStreams}; ` +
      `then an incremental run ${s.advanceMs / 1000} s later. Targets (strict): backfill ≤ ${REQUEST_TARGETS.backfill}× the minimum; ` +
      `incremental ≤ ${REQUEST_TARGETS.withRecords} requests per stream with events in its range, ${REQUEST_TARGETS.without} without`,
  );
  const modes: ModeFigures[] = [];
  for (const mode of ["strict", "economy"] as const) modes.push(await requestsMode(mode, s));
  printRequestsSummary("events", modes, REQUEST_TARGETS);
}

// ── 3. Rate limit ────────────────────────────────────────────────────────────────────────────────

interface RateFigures {
  ms: number;
  /** Requests the simulator answered. */
  served: number;
  /** Requests the client made (retries too), and its retries. */
  requests: number;
  retries: number;
  dbRetries: number;
  inserted: number;
  expected: number;
  status: string;
}

/**
 * A backfill against a simulator and an account both at `rps` requests/s and 5 concurrent: enough requests for
 * about `seconds` s at `rps` (a request per full page of 20, a follow-up per window). The budget's window is 1,050
 * ms (request.gate.ts, a 5 % margin), so the run is paced in bursts, one a window; whether its last requests fall
 * into one burst more moves the figure by a window's worth (1 ÷ seconds): a longer run weighs that, and its start
 * and end, less.
 */
async function rateSection(s: {
  rps: number;
  seconds: number;
  logins: number;
  parallelStreams: number;
  log: Logger;
}): Promise<RateFigures> {
  const ratePageLimit = 20;
  const limited = await startVolume(s.rps * s.seconds * ratePageLimit, s.logins, 60, {
    requestsPerSecond: s.rps,
    concurrentRequests: 5,
  });
  const bench = await openBenchDatabase("eventlog_bench_yandex_rate");
  try {
    const config = benchConfig(
      {
        endpoint: limited.sim.endpoint,
        logins: s.logins,
        pageLimit: ratePageLimit,
        concurrency: 5,
        requestsPerSecond: s.rps,
        parallelStreams: s.parallelStreams,
      },
      limited.startTime,
    );
    const started = performance.now();
    const summary = await runSync({
      warehouse: bench.warehouse,
      config,
      log: s.log,
      signal: new AbortController().signal,
      command: "bench",
      now: () => new Date(CLOCK),
    });
    const ms = performance.now() - started;
    const { rows } = await bench.warehouse.pool.query<{ retries: number }>(
      "select coalesce(sum(retries), 0)::int as retries from sync.stream_runs where run_id = $1",
      [summary.runId],
    );
    return {
      ms,
      served: limited.sim.requestCounts()[TOKEN]?.GetEventsLog ?? 0,
      ...summarize(summary),
      dbRetries: rows[0]?.retries ?? 0,
      expected: limited.expected,
      status: summary.status,
    };
  } finally {
    await bench.close();
    await limited.sim.close();
  }
}

function printRate(rate: RateFigures, rps: number, say: (line: string) => void): void {
  const achieved = (rate.served / rate.ms) * 1000;
  say(
    `rate limit ${rps}/s, 5 concurrent (both sides)   : ${achieved.toFixed(1)} requests/s achieved (${fmt(rate.served)} requests in ${seconds(rate.ms)}; ${fmt(rate.inserted)}/${fmt(rate.expected)} events, status ${rate.status})`,
  );
  say(`  achieved ÷ limit                         : ${(achieved / rps).toFixed(2)}   (target ≥ 0.90)`);
  say(
    `  limit errors (506) retried by the client : ${rate.retries} (sync.stream_runs.retries ${rate.dbRetries}; client attempts ${rate.requests} vs simulator count ${rate.served})   (target 0)`,
  );
}

/** `--rate-only`: section 3 alone. */
async function rateOnly(): Promise<void> {
  const rps = numberArg("rps", 20);
  const rate = await rateSection({
    rps,
    seconds: numberArg("rate-seconds", 30),
    logins: numberArg("logins", 10),
    parallelStreams: numberArg("parallel-streams", 4),
    log: createLogger({ level: "silent" }),
  });
  printRate(rate, rps, (line) => console.log(line));
}

// ── 4. Latency ───────────────────────────────────────────────────────────────────────────────────

/** The account's concurrency in section 4. */
const LATENCY_CONCURRENCY = 5;

interface LatencySettings {
  /** Windows each stream keeps in flight (the account's `requestsAhead`). */
  requestsAhead: number;
  latencyMs: number;
  latencyEvents: number;
  latencyPageLimit: number;
  logins: number;
  perHour: number;
  parallelStreams: number;
}

interface LatencyFigures {
  ms: number;
  inserted: number;
  batches: number;
  requests: number;
  status: string;
  expected: number;
}

/**
 * A backfill against a simulator that answers every request after `latencyMs`: the sync in a child process of its
 * own, the simulator here, as a server elsewhere would be (its work is not the sync's).
 */
async function latencySection(s: LatencySettings): Promise<LatencyFigures> {
  const v = await startVolume(s.latencyEvents, s.logins, s.perHour, { requestsPerSecond: 0, concurrentRequests: 0 });
  v.sim.setOptions({ latencyMs: s.latencyMs });
  try {
    const args = (url: string) => [
      ...["--endpoint", v.sim.endpoint, "--database", url, "--start", String(v.startTime)],
      ...["--logins", String(s.logins), "--page-limit", String(s.latencyPageLimit)],
      ...["--parallel-streams", String(s.parallelStreams), "--requests-ahead", String(s.requestsAhead)],
      ...["--concurrency", String(LATENCY_CONCURRENCY)],
    ];
    const result = await inBenchDatabase("eventlog_bench_yandex_latency", (url) => runChild(args(url)));
    const { ms, inserted, batches, requests, status } = result;
    return { ms, inserted, batches, requests, status, expected: v.expected };
  } finally {
    await v.sim.close();
  }
}

/**
 * Section 4's figures: events/s achieved against the bound min(loader alone, requests in flight × events per
 * request ÷ latency), where requests in flight = min(concurrency, parallel streams × requests ahead): each
 * stream keeps up to `requestsAhead` windows in flight. Events per request count every request the sync made
 * (its empty follow-ups too): what one answer carried on average.
 */
function printLatency(
  slow: LatencyFigures,
  aloneRate: number | undefined,
  s: Pick<LatencySettings, "latencyMs" | "latencyPageLimit" | "logins" | "parallelStreams" | "requestsAhead">,
): void {
  const streams = Math.min(s.parallelStreams, s.logins);
  const inFlight = Math.min(LATENCY_CONCURRENCY, streams * s.requestsAhead);
  const perRequest = slow.inserted / Math.max(1, slow.requests);
  const byLatency = (inFlight * perRequest * 1000) / s.latencyMs;
  const bound = aloneRate === undefined ? byLatency : Math.min(aloneRate, byLatency);
  const achieved = (slow.inserted / slow.ms) * 1000;
  console.log(
    `latency ${s.latencyMs} ms per answer, pageLimit ${s.latencyPageLimit}, requestsAhead ${s.requestsAhead}: ${fmt(achieved)} events/s achieved (${seconds(slow.ms)}; ${fmt(slow.inserted)}/${fmt(slow.expected)} events, ${fmt(slow.batches)} batches, ${fmt(slow.requests)} requests, status ${slow.status})`,
  );
  console.log(
    `  bound min(${aloneRate === undefined ? "loader not measured" : "loader"}, min(${LATENCY_CONCURRENCY}, ${streams} streams × ${s.requestsAhead} ahead) × ${perRequest.toFixed(0)} events per request ÷ ${s.latencyMs} ms) : ${fmt(bound)} events/s; achieved ÷ bound ${(achieved / bound).toFixed(2)}`,
  );
  // Each request takes the latency: requests × latency ÷ wall time is how many were in flight on average.
  const averageInFlight = (slow.requests * s.latencyMs) / slow.ms;
  console.log(
    `  requests in flight on average ${averageInFlight.toFixed(1)} of ${inFlight} (requests × latency ÷ wall time); ` +
      `${(slow.batches / s.logins).toFixed(1)} batches (pages with events) per login; a window's pages are asked one after another`,
  );
}

/** `--latency-only`: section 4 alone; the loader alone is not measured, so the bound is the latency's. */
async function latencyOnly(): Promise<void> {
  const s = {
    latencyMs: numberArg("latency", 150),
    latencyEvents: numberArg("latency-events", 30_000),
    latencyPageLimit: numberArg("latency-page-limit", 200),
    logins: numberArg("logins", 10),
    perHour: numberArg("per-hour", 140),
    parallelStreams: numberArg("parallel-streams", 4),
    requestsAhead: numberArg("requests-ahead", 2),
  };
  printLatency(await latencySection(s), undefined, s);
}

/** What section 2 measured at one volume. */
interface MemoryFigures {
  events: number;
  result: ChildResult;
  packedMiB: number;
  /**
   * The machine's CPU use over the child's whole run (0–1: its start, its database made and dropped too), and this
   * process's CPU (the simulator), ms.
   */
  machine: number;
  simulatorCpuMs: number;
  /** The same sync with a full collection forced every 250 ms: its peak RSS and largest heap left. */
  sampled: ChildResult;
}

/** Runs `run` against a fresh bench database of that name, closed after. */
async function inBenchDatabase<R>(name: string, run: (url: string) => Promise<R>): Promise<R> {
  const bench = await openBenchDatabase(name);
  try {
    return await run(bench.url);
  } finally {
    await bench.close();
  }
}

/** Section 2: the sync alone in a child process at events/10 (unless quick) and at events, the simulator here. */
async function memorySection(
  s: { events: number; logins: number; perHour: number; pageLimit: number; parallelStreams: number; quick: boolean },
  volume: Awaited<ReturnType<typeof startVolume>>,
): Promise<MemoryFigures[]> {
  const { events, logins, perHour, pageLimit, parallelStreams, quick } = s;
  const memory: MemoryFigures[] = [];
  for (const size of quick ? [events] : [Math.round(events / 10), events]) {
    const owned =
      size === events
        ? undefined
        : await startVolume(size, logins, perHour, { requestsPerSecond: 0, concurrentRequests: 0 });
    const v = owned ?? volume;
    const args = (url: string) => [
      ...["--endpoint", v.sim.endpoint, "--database", url, "--start", String(v.startTime)],
      ...["--logins", String(logins), "--page-limit", String(pageLimit), "--parallel-streams", String(parallelStreams)],
    ];
    try {
      const machine = machineCpu();
      const simulatorCpu = process.cpuUsage();
      const result = await inBenchDatabase(`eventlog_bench_yandex_rss_${size}`, (url) => runChild(args(url)));
      if (result.inserted !== v.expected)
        console.log(`  (memory child at ${fmt(size)}: ${fmt(result.inserted)} inserted, ${fmt(v.expected)} expected)`);
      const used = process.cpuUsage(simulatorCpu);
      const figures = { machine: machineBusySince(machine), simulatorCpuMs: (used.user + used.system) / 1000 };
      const sampled = await inBenchDatabase(`eventlog_bench_yandex_live_${size}`, (url) =>
        runChild([...args(url), "--live-sampled"], ["--expose-gc"]),
      );
      memory.push({ events: v.expected, result, packedMiB: v.sim.stats().packedBytes / 2 ** 20, ...figures, sampled });
    } finally {
      await owned?.sim.close();
    }
  }
  return memory;
}

/** Section 2's figures: the peak RSS at each volume and their ratio, and what was alive. */
function printMemory(memory: readonly MemoryFigures[]): void {
  for (const m of memory) {
    console.log(
      `peak RSS of the sync at ${fmt(m.events).padStart(9)} events : ${m.result.rssMiB} MiB (child process; ${seconds(m.result.ms)}, ${fmt(m.result.inserted)} inserted, ` +
        `heap at end ${m.result.heapMiB} MiB, largest heap ${m.result.heapTotalMiB} MiB, largest live after a full GC ${m.result.liveMiB} MiB of ${m.result.fullCollections}, largest external ${m.result.externalMiB} MiB; simulator store ${m.packedMiB.toFixed(1)} MiB packed, in the parent)`,
    );
    console.log(
      `  CPU per event of the sync process      : ${((m.result.cpuMs * 1000) / m.result.inserted).toFixed(1)} µs; GC share ${((100 * m.result.gcMs) / m.result.cpuMs).toFixed(1)} %; ` +
        `${fmt(m.result.allocatedBytes / m.result.inserted)} B allocated per event; ` +
        `the simulator here ${((m.simulatorCpuMs * 1000) / m.result.inserted).toFixed(1)} µs per event (${seconds(m.simulatorCpuMs)})`,
    );
    console.log(
      `  with a full GC forced every 250 ms     : peak RSS ${m.sampled.rssMiB} MiB, largest heap left after one ${m.sampled.sampledLiveMiB} MiB (what the sync holds), largest heap ${m.sampled.heapTotalMiB} MiB`,
    );
  }
  const small = memory.length > 1 ? memory[0] : undefined;
  const large = memory[memory.length - 1];
  if (!small || !large) return;
  console.log(
    `RSS at ${fmt(large.events)} ÷ at ${fmt(small.events)}         : ${(large.result.rssMiB / small.result.rssMiB).toFixed(2)}   (target ≤ 1.2); ` +
      `largest live heap after a full GC ${small.result.fullCollections > 0 && large.result.fullCollections > 0 ? (large.result.liveMiB / small.result.liveMiB).toFixed(2) : "not measured (a run without a full GC)"}; ` +
      `with a full GC every 250 ms: RSS ${(large.sampled.rssMiB / small.sampled.rssMiB).toFixed(2)}, heap left ${(large.sampled.sampledLiveMiB / small.sampled.sampledLiveMiB).toFixed(2)}`,
  );
}

/** `--memory-only`: section 2 alone, at events/10 and events. */
async function memoryOnly(): Promise<void> {
  const s = {
    events: numberArg("events", 200_000),
    logins: numberArg("logins", 10),
    perHour: numberArg("per-hour", 140),
    pageLimit: numberArg("page-limit", 2000),
    parallelStreams: numberArg("parallel-streams", 4),
    quick: false,
  };
  const volume = await startVolume(s.events, s.logins, s.perHour, { requestsPerSecond: 0, concurrentRequests: 0 });
  try {
    printMemory(await memorySection(s, volume));
  } finally {
    await volume.sim.close();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--memory-only")) return memoryOnly();
  if (process.argv.includes("--requests-only")) return requestsSection();
  if (process.argv.includes("--latency-only")) return latencyOnly();
  if (process.argv.includes("--rate-only")) return rateOnly();
  const events = numberArg("events", 1_000_000);
  const logins = numberArg("logins", 10);
  const perHour = numberArg("per-hour", 140);
  const pageLimit = numberArg("page-limit", 2000);
  const parallelStreams = numberArg("parallel-streams", 4);
  const rps = numberArg("rps", 20);
  const rateSeconds = numberArg("rate-seconds", 30);
  const quick = process.argv.includes("--quick");
  const latencyMs = numberArg("latency", 150);
  const latencyEvents = numberArg("latency-events", 30_000);
  const latencyPageLimit = numberArg("latency-page-limit", 200);
  const requestsAhead = numberArg("requests-ahead", 2);
  const log = createLogger({ level: "silent" });
  const say = (line: string) => console.log(line);

  // ── 1. End to end vs loader alone ─────────────────────────────────────────────────────────────
  const volume = await startVolume(events, logins, perHour, { requestsPerSecond: 0, concurrentRequests: 0 });
  const { sim } = volume;
  const account: AccountSettings = {
    endpoint: sim.endpoint,
    logins,
    pageLimit,
    concurrency: 5,
    requestsPerSecond: 0,
    parallelStreams,
  };
  console.log(
    `bench:yandex — ${fmt(volume.expected)} events to sync (${logins} logins × ${perHour}/h × ${volume.historyDays.toFixed(2)} days), ` +
      `pageLimit ${pageLimit}, concurrency 5, parallelStreams ${parallelStreams}`,
  );
  const shapes = new Map<string, PageShape[]>();
  let e2e: {
    ms: number;
    inserted: number;
    duplicates: number;
    batches: number;
    requests: number;
    retries: number;
    stored: number;
    served: number;
    status: string;
  };
  {
    const bench = await openBenchDatabase("eventlog_bench_yandex_e2e");
    try {
      sim.resetRequestCounts();
      const config = benchConfig(account, volume.startTime);
      const cpu = process.cpuUsage();
      const started = performance.now();
      const summary = await runSync({
        warehouse: bench.warehouse,
        config,
        log,
        signal: new AbortController().signal,
        command: "bench",
        now: () => new Date(CLOCK),
        onPage: (identity, page) => {
          const list = shapes.get(identity.streamKey) ?? [];
          list.push({ cursor: page.cursor, size: page.inserted + page.duplicates });
          shapes.set(identity.streamKey, list);
        },
      });
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const stored = await countRows(bench.url);
      e2e = {
        ms,
        ...summarize(summary),
        stored,
        served: sim.requestCounts()[TOKEN]?.GetEventsLog ?? 0,
        status: summary.status,
      };
      console.log(
        `  (end to end: this process used ${seconds((used.user + used.system) / 1000)} of CPU in ${seconds(ms)}, simulator included)`,
      );
      // Requests against the fewest that can read each login: its events over a full page, at least one.
      const minimum = loginNames(logins).reduce(
        (n, login) =>
          n +
          Math.max(
            1,
            Math.ceil(
              sim.events({
                login,
                from: volume.startTime,
                to: volume.end,
                currency: "RUB",
                locale: "en",
                withTextDescription: false,
              }).length / pageLimit,
            ),
          ),
        0,
      );
      console.log(
        `  backfill requests per login: ${(e2e.served / logins).toFixed(1)} against a minimum of ${(minimum / logins).toFixed(1)} (${fmt(e2e.served - minimum)} over, ${logins} streams)`,
      );
      sim.resetRequestCounts();
      const noop = await runSync({
        warehouse: bench.warehouse,
        config,
        log,
        signal: new AbortController().signal,
        command: "bench",
        now: () => new Date(CLOCK),
      });
      const noopRequests = sim.requestCounts()[TOKEN]?.GetEventsLog ?? 0;
      console.log(
        `  no-op run: ${(noopRequests / logins).toFixed(2)} requests per login (target 1), status ${noop.status}, ${fmt(summarize(noop).inserted)} inserted`,
      );
    } finally {
      await bench.close();
    }
  }

  const pagesByLogin = new Map<string, BuiltPage[]>();
  for (const login of loginNames(logins))
    pagesByLogin.set(login, buildPages(sim, login, volume.startTime, volume.end, shapes.get(login) ?? []));
  let alone: { ms: number; cpuMs: number; inserted: number; duplicates: number; pages: number; machine: number };
  {
    const bench = await openBenchDatabase("eventlog_bench_yandex_loader");
    try {
      const { db, pool } = bench.warehouse;
      const runId = await startRun(db, "bench");
      const streams = new Map<string, number>();
      for (const login of loginNames(logins)) {
        streams.set(
          login,
          (await ensureStream(db, { source: "yandex_direct", account: ACCOUNT, streamKey: login })).stream_id,
        );
      }
      const queue = [...pagesByLogin.entries()];
      let inserted = 0;
      let duplicates = 0;
      let pages = 0;
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [login, list] = next;
          for (const page of list) {
            const loaded = await loadBatch(pool, yandexDirectEventsTable, {
              streamId: streams.get(login) ?? 0,
              runId,
              events: page.rows,
              rejects: [],
              ...(page.cursor ? { cursor: page.cursor } : {}),
              state: { windowMs: 0, largestPage: 0 },
              counters: { requests: 1, retries: 0, eventsFetched: page.rows.length },
            });
            inserted += loaded.inserted;
            duplicates += loaded.duplicates;
            pages++;
          }
        }
      };
      const cpu = process.cpuUsage();
      const machine = machineCpu();
      const started = performance.now();
      await Promise.all(Array.from({ length: Math.min(parallelStreams, logins) }, worker));
      const used = process.cpuUsage(cpu);
      alone = {
        ms: performance.now() - started,
        cpuMs: (used.user + used.system) / 1000,
        inserted,
        duplicates,
        pages,
        machine: machineBusySince(machine),
      };
    } finally {
      await bench.close();
    }
  }
  pagesByLogin.clear();

  // ── 2. Memory: the sync alone in a child process, the simulator here ──────────────────────────
  const memory = await memorySection({ events, logins, perHour, pageLimit, parallelStreams, quick }, volume);
  await sim.close();

  // ── 3. Rate limit ─────────────────────────────────────────────────────────────────────────────
  const rate = quick ? undefined : await rateSection({ rps, seconds: rateSeconds, logins, parallelStreams, log });

  const slow = await latencySection({
    latencyMs,
    latencyEvents,
    latencyPageLimit,
    logins,
    perHour,
    parallelStreams,
    requestsAhead,
  });

  // ── Report ────────────────────────────────────────────────────────────────────────────────────
  const e2eRate = (e2e.inserted / e2e.ms) * 1000;
  const aloneRate = (alone.inserted / alone.ms) * 1000;
  const large = memory[memory.length - 1];
  console.log("");
  say(
    `end to end (runSync, simulator in process) : ${fmt(e2eRate)} events/s (${seconds(e2e.ms)}; ${fmt(e2e.inserted)} inserted, ${fmt(e2e.duplicates)} duplicates, ${fmt(e2e.batches)} batches, ${fmt(e2e.served)} requests, status ${e2e.status})`,
  );
  say(`  rows stored ÷ ground truth               : ${fmt(e2e.stored)} / ${fmt(volume.expected)}`);
  say(
    `loader alone (same pages, ${parallelStreams} streams at once): ${fmt(aloneRate)} events/s (${seconds(alone.ms)}; ${fmt(alone.inserted)} inserted, ${fmt(alone.duplicates)} duplicates, ${fmt(alone.pages)} pages)`,
  );
  say(
    `end to end ÷ loader alone                  : ${(e2eRate / aloneRate).toFixed(2)}   (the simulator shares the sync's one JavaScript thread here)`,
  );
  say(
    `CPU per event, loader alone                : ${((alone.cpuMs * 1000) / alone.inserted).toFixed(1)} µs (this process; Postgres not counted)`,
  );
  if (large) {
    // The API is another machine in real life: the same sync in its own process, the simulator in this one.
    const apart = (large.result.inserted / large.result.ms) * 1000;
    say(
      `end to end, sync in its own process         : ${fmt(apart)} events/s (${seconds(large.result.ms)}; ${fmt(large.result.inserted)} inserted; the simulator in this process)`,
    );
    say(`  ÷ loader alone                           : ${(apart / aloneRate).toFixed(2)}   (target ≥ 0.85)`);
    const cores = cpus().length;
    say(
      `  the machine's CPU while it ran           : ${(100 * large.result.machine).toFixed(0)} % of ${cores} cores over the sync (${(100 * large.machine).toFixed(0)} % over the child's whole run, its start and database too; the simulator here used ${seconds(large.simulatorCpuMs)}); ` +
        `${(100 * alone.machine).toFixed(0)} % while the loader alone ran (PostgreSQL included in both)`,
    );
    const syncCpu = (large.result.cpuMs * 1000) / large.result.inserted;
    const aloneCpu = (alone.cpuMs * 1000) / alone.inserted;
    say(
      `  CPU per event of the sync process        : ${syncCpu.toFixed(1)} µs (${seconds(large.result.cpuMs)} of CPU); ÷ loader alone ${(syncCpu / aloneCpu).toFixed(2)}   (target ≤ 1.5)`,
    );
    // What the target leaves for the work the loader does not do, beside the part of it no sync can skip.
    const floor = keyingFloor(await simulatorPages("en", pageLimit, 10), 5);
    say(
      `  the sync's own work beyond the loader    : ${(syncCpu - aloneCpu).toFixed(1)} µs per event; the target leaves it ${(0.5 * aloneCpu).toFixed(1)} µs (0.5 × the loader alone)`,
    );
    say(
      `  its floor, measured alone (bench:parse)  : parsed ${floor.parse.toFixed(2)} µs; parsed and hashed once ${floor.hashed.toFixed(2)} µs; ` +
        `parsed and keyed as the sync keys (pinned keys) ${floor.keyed.toFixed(2)} µs`,
    );
    say(
      `  GC share of the sync's CPU time          : ${((100 * large.result.gcMs) / large.result.cpuMs).toFixed(1)} % (${seconds(large.result.gcMs)} in GC pauses; ` +
        `GCProfiler cost ${seconds(large.result.gcCostMs)} over ${fmt(large.result.collections)} collections, ${((100 * large.result.gcCostMs) / large.result.cpuMs).toFixed(1)} %)   (target ≤ 20 %)`,
    );
    say(
      `  bytes allocated per event (V8 heap)      : ${fmt(large.result.allocatedBytes / large.result.inserted)} B (${fmt(large.result.allocatedBytes / 2 ** 20)} MiB in all)`,
    );
  }
  printMemory(memory);
  if (rate) printRate(rate, rps, say);
  printLatency(slow, aloneRate, { latencyMs, latencyPageLimit, logins, parallelStreams, requestsAhead });
  say(`peak RSS of this process                   : ${peakRssMiB()} MiB`);

  if (!process.argv.includes("--no-requests")) await requestsSection();
}

if (process.argv.includes("--child-rss")) await child();
else await main();
