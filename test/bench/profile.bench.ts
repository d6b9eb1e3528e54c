/**
 * bench:profile — where the Yandex.Direct sync spends its CPU and what it allocates:
 *   npm run bench:profile -- [--events 200000] [--logins 10] [--per-hour 140] [--page-limit 2000] [--top 10]
 *     [--part requests]   (that part's top frames too: loader, requests, identity, mapping, evidence, gc, other)
 * The simulator and the database are set up here as bench:yandex does; the sync runs in a child process of its
 * own (bench:yandex's `--child-rss`) with `--profile`: a CPU profile (inspector Profiler, 0.5 ms samples) and an
 * allocation profile (sampling heap profiler that keeps the samples of collected objects: every allocation,
 * not only what survives). Prints the top frames by self time and the top allocation sites by bytes, each with
 * function, file:line (TypeScript source) and share, then the child's CPU, GC and allocation per event.
 * The profilers cost time of their own: the per-event figures of bench:yandex are the ones to compare.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startYandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { numberArg, openBenchDatabase, stringArg } from "./bench-database.js";
import { SYNC_PARTS } from "./profile-parts.js";
import type { FrameFigure, ProfileSummary } from "./sync-profile.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The same fixed clock as bench:yandex (its child reads it from there). */
const CLOCK = Date.UTC(2026, 10, 20, 12);

const fmt = (n: number) => Math.round(n).toLocaleString("en");

function runChild(args: string[]): Promise<Record<string, number | string>> {
  const script = fileURLToPath(new URL("./yandex.bench.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", script, "--child-rss", ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`the child sync exited with ${String(code)}: ${out}`));
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as Record<string, number | string>);
    });
  });
}

function table(title: string, rows: readonly FrameFigure[], unit: (v: number) => string, n: number): void {
  console.log(`\n${title}`);
  console.log(`| # | function | file:line | ${unit.name} | share |`);
  console.log("|---|---|---|---|---|");
  rows.slice(0, n).forEach((r, i) => {
    console.log(`| ${i + 1} | ${r.frame} | ${r.where || "—"} | ${unit(r.value)} | ${(100 * r.share).toFixed(1)} % |`);
  });
}

/**
 * The profile's time by part of the sync (profile-parts.ts), per event: what the loader alone also pays, and
 * what only the sync does. Profiled time: the profiler's own cost is in it, so compare shares.
 */
function printParts(summary: ProfileSummary, inserted: number): void {
  const rows: [string, string][] = [
    ...SYNC_PARTS.map((p): [string, string] => [p.name, p.does]),
    ["gc", "garbage collection, whoever allocated"],
    ["other", "frames no part names (the event loop, node's own)"],
  ];
  console.log(`\nSampled time by part of the sync (the nearest frame on the stack that names a part)`);
  console.log("| part | what | self time | µs per event | share |");
  console.log("|---|---|---|---|---|");
  for (const [name, does] of rows) {
    const ms = summary.parts[name] ?? 0;
    const share = (100 * ms) / summary.sampledMs;
    console.log(
      `| ${name} | ${does} | ${ms.toFixed(0)} ms | ${((ms * 1000) / inserted).toFixed(2)} | ${share.toFixed(1)} % |`,
    );
  }
  const part = stringArg("part");
  if (part === undefined) return;
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  Object.defineProperty(ms, "name", { value: "self time" });
  const frames = summary.partFrames[part];
  if (frames === undefined) {
    console.log(`\nNo part ${part}: the parts are ${rows.map(([name]) => name).join(", ")}`);
    return;
  }
  table(`Top frames of the part ${part} (share of all sampled time)`, frames, ms, 15);
}

async function main(): Promise<void> {
  const events = numberArg("events", 200_000);
  const logins = numberArg("logins", 10);
  const perHour = numberArg("per-hour", 140);
  const pageLimit = numberArg("page-limit", 2000);
  const n = numberArg("top", 10);
  const historyDays = events / (logins * perHour * 24);
  const sim = await startYandexDirectSimulator({
    seed: 11,
    clientLogins: logins,
    eventsPerHour: perHour,
    historyDays,
    clock: () => CLOCK,
    requestsPerSecond: 0,
    concurrentRequests: 0,
  });
  const startTime = Math.floor((CLOCK - historyDays * DAY) / HOUR) * HOUR;
  const bench = await openBenchDatabase("eventlog_bench_profile");
  const dir = await mkdtemp(join(tmpdir(), "eventlog-sync-profile-"));
  try {
    const result = await runChild([
      "--endpoint",
      sim.endpoint,
      "--database",
      bench.url,
      "--start",
      String(startTime),
      "--logins",
      String(logins),
      "--page-limit",
      String(pageLimit),
      "--profile",
      dir,
    ]);
    const summary = JSON.parse(await readFile(join(dir, "profile.json"), "utf8")) as ProfileSummary;
    const inserted = Number(result.inserted);
    console.log(
      `bench:profile — ${fmt(inserted)} events synced in a child process, profiled (status ${result.status})`,
    );
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    Object.defineProperty(ms, "name", { value: "self time" });
    const bytes = (v: number) => `${(v / 2 ** 20).toFixed(1)} MiB`;
    Object.defineProperty(bytes, "name", { value: "allocated" });
    table(`Top ${n} frames by self time (of ${ms(summary.sampledMs)} sampled, idle left out)`, summary.cpu, ms, n);
    table(`Top ${n} allocation sites (of ${bytes(summary.sampledBytes)} sampled)`, summary.allocation, bytes, n);
    const per = (v: number) => ((v * 1000) / inserted).toFixed(1);
    printParts(summary, inserted);
    console.log("");
    console.log(`CPU per event (profiled)        : ${per(Number(result.cpuMs))} µs`);
    console.log(
      `GC in the CPU profile           : ${((100 * summary.gcSampledMs) / summary.sampledMs).toFixed(1)} % of sampled time`,
    );
    console.log(
      `GC pauses ÷ CPU                 : ${((100 * Number(result.gcMs)) / Number(result.cpuMs)).toFixed(1)} %; GCProfiler cost ÷ CPU ${((100 * Number(result.gcCostMs)) / Number(result.cpuMs)).toFixed(1)} % (${fmt(Number(result.collections))} collections)`,
    );
    console.log(
      `bytes allocated per event       : ${fmt(Number(result.allocatedBytes) / inserted)} B (V8 heap, GCProfiler); ` +
        `${fmt(summary.sampledBytes / inserted)} B (allocation profile)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
    await bench.close();
    await sim.close();
  }
}

await main();
