/**
 * bench:scale — copies of the real CLI (`node bin/eventlog-sync.js sync`) side by side on one warehouse:
 *   npm run bench:scale -- [--streams 2000] [--limited-streams 600] [--copies 1,2,4] [--rps 20] [--tokens 8]
 *                          [--latency 100] [--parallel 8] [--history 45] [--regime 1,2] [--local-gates] [--quick]
 * Streams on the offline simulators (in this process, their clock fixed, so every scenario reads exactly the same
 * events), each behind a proxy that counts what the server saw per token (test/support/request-watch.ts). For
 * each number of copies: a fresh database, the copies started at once with one config file, and the round
 * they make: wall time, speed-up against 1 copy, requests per second per token against its limit, the most
 * requests of one token in flight at once, limit errors the servers answered (Yandex.Direct 506, Altcraft
 * 429), streams read by more than one copy (sync.stream_runs that are not `skipped`), the copies' CPU time
 * (user + system, summed) against the wall time, this process's (the simulators and proxies), and the whole
 * machine's CPU use (`os.cpus()`, other processes on the machine included).
 * Regimes (`--regime 1,2` by default):
 *   1. The limit binds: `--limited-streams` streams, half Yandex.Direct logins of one agency token, half
 *      Altcraft campaigns of one token; `--rps` requests/s and 5 in flight on the simulator and in the account
 *      config. Target: each token's rate ≥ 0.9 × `--rps`, no limit error, whatever the copies.
 *   2. The limit does not bind: `--streams` Yandex.Direct streams, each the owner's log of a token of its own
 *      (one request of a token in flight at a time, 5 allowed), no rate cap, every answer after `--latency` ms.
 *      Target: speed-up ≥ 0.8 × copies until the CPU binds (the CPU columns say when it does).
 *   3. Many streams per token: `--streams` streams over `--tokens` tokens per source, as in 1 but without a
 *      rate cap and with `--latency`: copies that take the streams in the same order crowd one token at a time.
 * `--history`: minutes of history (45: within the first Yandex.Direct window, so a fresh login costs two
 * requests). `--parallel`: parallelStreams of each copy. `--local-gates`: each copy keeps its own request gate
 * (`sync.shareRequestBudget: false`), as before the budget was shared. `--quick`: 200 streams in each regime.
 * `--cpu-prof-dir <dir>`: each copy also writes a CPU profile there (node --cpu-prof), to see where its CPU goes.
 * Under each table, where each round's time went (sync.stream_runs): a stream's read (median, 90th percentile), the
 * streams each copy read at once, the streams another copy held, and how long a run took to start its first stream.
 * Needs the build (`npm run bench:scale` builds first). Prints; does not assert.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { Pool } from "pg";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { CLI } from "../support/cli.js";
import { type RequestWatch, startRequestWatch, type WatchedCounts } from "../support/request-watch.js";
import { machineCpu, numberArg, openBenchDatabase } from "./bench-database.js";

/** Requests in flight per token: the most the account config allows, and the simulators' limit. */
const IN_FLIGHT = 5;

const quick = process.argv.includes("--quick");
const streams = numberArg("streams", quick ? 200 : 2_000);
/** Streams of the first regime: at `--rps` per token, a round of 2,000 streams would take minutes. */
const limitedStreams = numberArg("limited-streams", quick ? 200 : 600);
/** Each copy with a request gate of its own, as before the budget was shared (`sync.shareRequestBudget: false`). */
const localGates = process.argv.includes("--local-gates");
const rps = numberArg("rps", 20);
const tokensPerSource = numberArg("tokens", 8);
const latencyMs = numberArg("latency", 100);
const parallelStreams = numberArg("parallel", 8);
const copiesList = listArg("copies", [1, 2, 4]);
const regimes = listArg("regime", [1, 2]);
/**
 * History before the simulators' clock, minutes: within the first Yandex.Direct window (1 h), so a round costs
 * one or two requests per stream, as a round of a warehouse that keeps up does.
 */
const historyMinutes = numberArg("history", 45);

/** The simulators' clock, fixed a minute before the bench starts: no event appears while it runs. */
const CLOCK = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const startTime = CLOCK - historyMinutes * 60_000;

function listArg(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const raw = process.argv[i + 1] ?? "";
  const values = raw.split(",").map(Number);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`Expected \`--${name}\` to be positive integers separated by commas, got \`${raw}\``);
  return values;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** One token of one source: its simulator, the proxy in front, and its account's entry in the config. */
interface Token {
  source: "yandex_direct" | "altcraft";
  token: string;
  env: string;
  watch: RequestWatch;
  account: Record<string, unknown>;
  /** Events (Yandex.Direct) or log rows (Altcraft) the account's streams hold from `startTime`. */
  expected: number;
  close(): Promise<void>;
}

interface Regime {
  title: string;
  streams: number;
  /**
   * `sources`: half Yandex.Direct logins of `tokens` agency tokens, half Altcraft campaigns of `tokens` tokens;
   * `owners`: Yandex.Direct only, each stream the owner's log of a token of its own.
   */
  kind: "sources" | "owners";
  /** Requests/s per token on both sides; 0: no cap. */
  rps: number;
  tokens: number;
  latencyMs: number;
}

async function yandexToken(k: number, logins: number, regime: Regime): Promise<Token> {
  const token = `bench-agency-token-${k}`;
  const sim: YandexDirectSimulator = await startYandexDirectSimulator({
    seed: 100 + k,
    clientLogins: logins,
    agencyToken: token,
    eventsPerHour: 6,
    historyDays: (historyMinutes + 60) / (24 * 60),
    clock: () => CLOCK,
    concurrentRequests: IN_FLIGHT,
    requestsPerSecond: regime.rps,
    latencyMs: regime.latencyMs,
  });
  const names = range(1, logins).map((i) => `client-${i}`);
  const expected = names.reduce((n, login) => n + sim.events({ login, from: startTime }).length, 0);
  const watch = await startRequestWatch(sim.url);
  const env = `YD_TOKEN_${k}`;
  return {
    source: "yandex_direct",
    token,
    env,
    watch,
    expected,
    account: {
      name: `yd-${k}`,
      token: `\${${env}}`,
      endpoint: `${watch.url}/live/v4/json/`,
      currency: "RUB",
      logins: names,
      startTime: new Date(startTime).toISOString(),
      concurrency: IN_FLIGHT,
      requestsPerSecond: regime.rps,
      timeout: "30s",
      retries: 10,
      retryMinDelay: "200ms",
      retryMaxDelay: "5s",
    },
    close: async () => {
      await watch.close();
      await sim.close();
    },
  };
}

async function altcraftToken(k: number, campaigns: number, regime: Regime): Promise<Token> {
  const token = `bench-altcraft-token-${k}`;
  const sim: AltcraftSimulator = await startAltcraftSimulator({
    seed: 200 + k,
    campaigns,
    tokens: [token],
    historyDays: (historyMinutes + 60) / (24 * 60),
    runsPerDay: 48,
    rowsPerRun: 10,
    clock: () => CLOCK,
    concurrentRequests: IN_FLIGHT,
    requestsPerSecond: regime.rps,
    latencyMs: regime.latencyMs,
  });
  const expected = sim.campaigns().reduce((n, c) => n + sim.log(c.id, { from: startTime }).length, 0);
  const watch = await startRequestWatch(sim.url);
  const env = `AC_TOKEN_${k}`;
  return {
    source: "altcraft",
    token,
    env,
    watch,
    expected,
    account: {
      name: `ac-${k}`,
      token: `\${${env}}`,
      url: watch.url,
      startTime: new Date(startTime).toISOString(),
      concurrency: IN_FLIGHT,
      requestsPerSecond: regime.rps,
      timeout: "30s",
      retries: 10,
      retryMinDelay: "200ms",
      retryMaxDelay: "5s",
    },
    close: async () => {
      await watch.close();
      await sim.close();
    },
  };
}

/** `count` accounts of one simulator, each the owner's log of a client's own token: one stream per token. */
async function ownerTokens(count: number, regime: Regime): Promise<Token[]> {
  const sim = await startYandexDirectSimulator({
    seed: 300,
    clientLogins: count,
    eventsPerHour: 6,
    historyDays: (historyMinutes + 60) / (24 * 60),
    clock: () => CLOCK,
    concurrentRequests: IN_FLIGHT,
    requestsPerSecond: regime.rps,
    latencyMs: regime.latencyMs,
  });
  const watch = await startRequestWatch(sim.url);
  return range(1, count).map((i) => {
    const login = `client-${i}`;
    const env = `YD_CLIENT_TOKEN_${i}`;
    return {
      source: "yandex_direct",
      token: `${login}-token`,
      env,
      watch,
      expected: sim.events({ login, from: startTime }).length,
      account: {
        name: `owner-${i}`,
        token: `\${${env}}`,
        endpoint: `${watch.url}/live/v4/json/`,
        currency: "RUB",
        startTime: new Date(startTime).toISOString(),
        concurrency: IN_FLIGHT,
        requestsPerSecond: regime.rps,
        timeout: "30s",
        retries: 10,
        retryMinDelay: "200ms",
        retryMaxDelay: "5s",
      },
      // The first closes the simulator and the proxy they share.
      close:
        i === 1
          ? async () => {
              await watch.close();
              await sim.close();
            }
          : async () => undefined,
    };
  });
}

/** Splits `total` into `parts` near-equal whole numbers. */
const split = (total: number, parts: number) =>
  range(0, parts).map((i) => Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts));

/** Prints the CPU time of the process it is loaded into on stderr as it exits (user + system, µs). */
const CPU_REPORT = `data:text/javascript,${encodeURIComponent(
  'import { writeSync } from "node:fs"; process.on("exit", () => { const u = process.cpuUsage(); writeSync(2, `\\nbench-cpu-us ${u.user + u.system}\\n`); });',
)}`;

interface CopyResult {
  code: number | null;
  cpuMs: number;
  tail: string;
}

/** `--cpu-prof-dir`: where each copy writes its CPU profile, if anywhere. */
const profileDir = process.argv.includes("--cpu-prof-dir")
  ? process.argv[process.argv.indexOf("--cpu-prof-dir") + 1]
  : undefined;

function startCopy(config: string, env: Record<string, string>, dir: string): Promise<CopyResult> {
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, "--import", CPU_REPORT, CLI, "sync", "-c", config], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let tail = "";
  let cpuMs = Number.NaN;
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-20_000);
    const cpu = /bench-cpu-us (\d+)/.exec(tail);
    if (cpu?.[1]) cpuMs = Number(cpu[1]) / 1000;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, cpuMs, tail: tail.slice(-2_000) }));
  });
}

interface Round {
  copies: number;
  wallMs: number;
  cpuMs: number;
  /** CPU time of this process (the simulators and the proxies), ms. */
  simulatorCpuMs: number;
  machineBusy: number;
  exits: Array<number | null>;
  runStatuses: string;
  perToken: Array<{ source: string; counts: WatchedCounts }>;
  readTwice: number;
  notRead: number;
  stored: number;
  failures: string[];
  timing: StreamTiming;
}

/**
 * Where a round's wall time went, from sync.stream_runs and sync.runs: how long a stream read took (started to
 * ended, median and 90th percentile), how many streams each copy read at once on average (their durations added up,
 * over the time from its run's start to its last stream's end), a stream another copy held (skipped) and what
 * trying it took, and how long a copy's run took to start its first stream and to end after its last.
 */
interface StreamTiming {
  medianMs: number;
  p90Ms: number;
  atOnce: number;
  skipped: number;
  skippedMs: number;
  firstStreamMs: number;
  afterLastMs: number;
}

const STREAM_TIMING = `
  with reads as (
    select sr.run_id, sr.status, extract(epoch from sr.finished_at - sr.started_at) * 1000 as ms,
           sr.started_at, sr.finished_at
      from sync.stream_runs sr where sr.finished_at is not null),
  per_run as (
    select r.run_id, sum(x.ms) filter (where x.status <> 'skipped') as busy_ms,
           extract(epoch from max(x.finished_at) - r.started_at) * 1000 as span_ms,
           extract(epoch from min(x.started_at) - r.started_at) * 1000 as first_ms,
           extract(epoch from r.finished_at - max(x.finished_at)) * 1000 as after_ms
      from sync.runs r join reads x using (run_id) group by r.run_id)
  select (select percentile_cont(0.5) within group (order by ms) from reads where status <> 'skipped') as median_ms,
         (select percentile_cont(0.9) within group (order by ms) from reads where status <> 'skipped') as p90_ms,
         (select avg(busy_ms / nullif(span_ms, 0)) from per_run) as at_once,
         (select count(*)::int from reads where status = 'skipped') as skipped,
         (select coalesce(percentile_cont(0.5) within group (order by ms), 0) from reads where status = 'skipped') as skipped_ms,
         (select avg(first_ms) from per_run) as first_ms,
         (select avg(after_ms) from per_run) as after_ms`;

async function streamTiming(pool: Pool): Promise<StreamTiming> {
  const r = (await pool.query<Record<string, number | null>>(STREAM_TIMING)).rows[0] ?? {};
  const n = (key: string) => Number(r[key] ?? Number.NaN);
  return {
    medianMs: n("median_ms"),
    p90Ms: n("p90_ms"),
    atOnce: n("at_once"),
    skipped: n("skipped"),
    skippedMs: n("skipped_ms"),
    firstStreamMs: n("first_ms"),
    afterLastMs: n("after_ms"),
  };
}

async function round(copies: number, tokens: readonly Token[], dir: string, configFile: string): Promise<Round> {
  const bench = await openBenchDatabase("eventlog_bench_scale");
  try {
    for (const t of tokens) t.watch.reset();
    const env: Record<string, string> = { DATABASE_URL: bench.url };
    for (const t of tokens) env[t.env] = t.token;
    const machine = machineCpu();
    const ownCpu = process.cpuUsage();
    const started = performance.now();
    const results = await Promise.all(range(0, copies).map(() => startCopy(configFile, env, dir)));
    const wallMs = performance.now() - started;
    const after = machineCpu();
    const own = process.cpuUsage(ownCpu);
    const { pool } = bench.warehouse;
    const reads = await pool.query<{ read_twice: number; not_read: number }>(`
      select count(*) filter (where n > 1)::int as read_twice, count(*) filter (where n = 0)::int as not_read
        from (select s.stream_id, count(sr.stream_id) filter (where sr.status <> 'skipped') as n
                from sync.streams s left join sync.stream_runs sr using (stream_id) group by s.stream_id) x`);
    const runs = await pool.query<{ status: string; n: number }>(
      "select status, count(*)::int as n from sync.runs group by status order by status",
    );
    const rows = await pool.query<{ n: number }>(
      "select (select count(*) from yandex_direct.events) + (select count(*) from altcraft.campaign_log) as n",
    );
    const failed = await pool.query<{ label: string; error: string | null }>(`
      select s.source || '/' || s.account || '/' || s.stream_key as label, s.last_error as error
        from sync.streams s where s.status not in ('succeeded', 'retired') order by s.stream_id limit 3`);
    return {
      copies,
      wallMs,
      cpuMs: results.reduce((n, r) => n + r.cpuMs, 0),
      simulatorCpuMs: (own.user + own.system) / 1000,
      machineBusy: (after.busy - machine.busy) / Math.max(1, after.total - machine.total),
      exits: results.map((r) => r.code),
      runStatuses: runs.rows.map((r) => `${r.n} ${r.status}`).join(", "),
      perToken: tokens.map((t) => ({ source: t.source, counts: t.watch.token(t.token) })),
      readTwice: reads.rows[0]?.read_twice ?? 0,
      notRead: reads.rows[0]?.not_read ?? 0,
      stored: Number(rows.rows[0]?.n ?? 0),
      timing: await streamTiming(pool),
      failures: [
        ...failed.rows.map((r) => `${r.label}: ${r.error ?? "(no error)"}`),
        ...results.filter((r) => r.code !== 0 && r.code !== 2).map((r) => `exit ${String(r.code)}: ${r.tail}`),
      ],
    };
  } finally {
    await bench.close();
  }
}

/** Requests per second of one token while it was used (first to last request). */
const tokenRate = (c: WatchedCounts) => (c.requests < 2 ? 0 : ((c.requests - 1) / (c.lastAt - c.firstAt)) * 1000);

function sourceCell(round: Round, source: string, limit: number): string {
  const counts = round.perToken.filter((t) => t.source === source).map((t) => t.counts);
  if (counts.length === 0) return "—";
  const rates = counts.map(tokenRate);
  const mean = rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
  const errors = counts.reduce((n, c) => n + c.limitErrors, 0);
  const peak = Math.max(0, ...counts.map((c) => c.peakInFlight));
  if (limit > 0) return `${mean.toFixed(1)} = ${(mean / limit).toFixed(2)}× · ${peak} · ${fmt(errors)}`;
  const all = counts.reduce((n, c) => n + c.requests, 0);
  return `${fmt((all / round.wallMs) * 1000)} (${fmt(all)} in all) · ${peak} · ${fmt(errors)}`;
}

function printRounds(regime: Regime, rounds: Round[], expected: number): void {
  const base = rounds.find((r) => r.copies === 1) ?? rounds[0];
  const perToken = regime.rps > 0 ? `req/s per token ÷ limit ${regime.rps}/s` : "req/s, all tokens, over the wall time";
  const header = [
    "copies",
    "wall",
    "speed-up",
    `Yandex.Direct ${perToken} · peak in flight · 506`,
    `Altcraft ${perToken} · peak in flight · 429`,
    "read >1×",
    "copies' CPU (÷ wall)",
    "simulators' CPU",
    "machine CPU",
    "runs",
  ];
  const lines = rounds.map((r) => {
    const speedUp = base ? base.wallMs / r.wallMs : Number.NaN;
    return [
      String(r.copies),
      `${(r.wallMs / 1000).toFixed(1)} s`,
      `${speedUp.toFixed(2)} (${(speedUp / r.copies).toFixed(2)} × copies)`,
      sourceCell(r, "yandex_direct", regime.rps),
      sourceCell(r, "altcraft", regime.rps),
      `${r.readTwice}${r.notRead > 0 ? ` (${r.notRead} not read)` : ""}`,
      `${(r.cpuMs / 1000).toFixed(1)} s (${(r.cpuMs / r.wallMs).toFixed(2)} cores)`,
      `${(r.simulatorCpuMs / 1000).toFixed(1)} s`,
      `${(r.machineBusy * 100).toFixed(0)} % of ${cpus().length} cores`,
      `${r.runStatuses}; exits ${r.exits.join(",")}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(`\n${regime.title}`);
  console.log(row(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const line of lines) console.log(row(line));
  for (const r of rounds) {
    const t = r.timing;
    console.log(
      `  ${r.copies} ${r.copies === 1 ? "copy" : "copies"}: a stream's read ${t.medianMs.toFixed(0)} ms (median; 90th percentile ${t.p90Ms.toFixed(0)} ms), ` +
        `${t.atOnce.toFixed(1)} streams at once per copy; ${fmt(t.skipped)} held by another copy, ${t.skippedMs.toFixed(0)} ms each (median); ` +
        `a run's first stream ${t.firstStreamMs.toFixed(0)} ms after its start, its end ${t.afterLastMs.toFixed(0)} ms after its last stream's`,
    );
  }
  for (const r of rounds) {
    if (r.stored !== expected)
      console.log(`  ${r.copies} copies: ${fmt(r.stored)} rows stored, the simulators hold ${fmt(expected)}`);
    for (const f of r.failures) console.log(`  ${r.copies} copies: ${f}`);
  }
}

async function runRegime(regime: Regime, dir: string): Promise<void> {
  const perSource = Math.floor(regime.streams / 2);
  const tokens: Token[] = [];
  try {
    if (regime.kind === "owners") tokens.push(...(await ownerTokens(regime.streams, regime)));
    else {
      const yd = split(perSource, regime.tokens);
      const ac = split(regime.streams - perSource, regime.tokens);
      for (let k = 0; k < regime.tokens; k++) {
        tokens.push(await yandexToken(k + 1, yd[k] ?? 1, regime));
        tokens.push(await altcraftToken(k + 1, ac[k] ?? 1, regime));
      }
    }
    const configFile = join(dir, `regime-${regime.kind}-${regime.tokens}-${regime.rps}.yaml`);
    await writeFile(
      configFile,
      stringify({
        sync: { parallelStreams, shareRequestBudget: !localGates },
        sources: {
          yandex_direct: { accounts: tokens.filter((t) => t.source === "yandex_direct").map((t) => t.account) },
          ...(regime.kind === "sources"
            ? { altcraft: { accounts: tokens.filter((t) => t.source === "altcraft").map((t) => t.account) } }
            : {}),
        },
      }),
    );
    const expected = tokens.reduce((n, t) => n + t.expected, 0);
    const rounds: Round[] = [];
    for (const copies of copiesList) {
      rounds.push(await round(copies, tokens, dir, configFile));
      const r = rounds[rounds.length - 1];
      console.log(`  (${copies} ${copies === 1 ? "copy" : "copies"}: ${((r?.wallMs ?? 0) / 1000).toFixed(1)} s)`);
    }
    printRounds(regime, rounds, expected);
  } finally {
    for (const t of tokens) await t.close();
  }
}

const dir = await mkdtemp(join(tmpdir(), "eventlog-sync-bench-scale-"));
try {
  console.log(
    `bench:scale — ${historyMinutes} min of history; ` +
      `parallelStreams ${parallelStreams} per copy; copies ${copiesList.join(", ")}; ` +
      `${localGates ? "each copy its own request gate (shareRequestBudget: false)" : "request budget shared through the warehouse"}; ${cpus().length} cores`,
  );
  console.log(
    "  per token: req/s from its first request to its last, as the proxy in front of the simulator saw them; " +
      "read >1×: streams read (not skipped) by more than one run of the round",
  );
  if (regimes.includes(1))
    await runRegime(
      {
        title: `1. The limit binds: ${fmt(limitedStreams)} streams, 1 token per source, ${rps} requests/s and ${IN_FLIGHT} in flight (simulator and config)`,
        kind: "sources",
        streams: limitedStreams,
        rps,
        tokens: 1,
        latencyMs: 0,
      },
      dir,
    );
  if (regimes.includes(2))
    await runRegime(
      {
        title: `2. The limit does not bind: ${fmt(streams)} Yandex.Direct owner streams, a token each, no rate cap, ${IN_FLIGHT} in flight, ${latencyMs} ms per answer`,
        kind: "owners",
        streams,
        rps: 0,
        tokens: streams,
        latencyMs,
      },
      dir,
    );
  if (regimes.includes(3))
    await runRegime(
      {
        title: `3. Many streams per token: ${fmt(streams)} streams, ${tokensPerSource} tokens per source, no rate cap, ${IN_FLIGHT} in flight, ${latencyMs} ms per answer`,
        kind: "sources",
        streams,
        rps: 0,
        tokens: tokensPerSource,
        latencyMs,
      },
      dir,
    );
} finally {
  await rm(dir, { recursive: true, force: true });
}
