import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startYandexDirectSimulator } from "../../../src/simulators/yandex-direct/index.js";
import { numberArg, openBenchDatabase } from "../bench-database.js";
const HOUR = 3_600_000, DAY = 86_400_000, CLOCK = Date.UTC(2026, 10, 20, 12);
const events = numberArg("events", 200_000), logins = 10, perHour = 140;
const historyDays = events / (logins * perHour * 24);
const sim = await startYandexDirectSimulator({ seed: 11, clientLogins: logins, eventsPerHour: perHour, historyDays, clock: () => CLOCK, requestsPerSecond: 0, concurrentRequests: 0 });
const startTime = Math.floor((CLOCK - historyDays * DAY) / HOUR) * HOUR;
const bench = await openBenchDatabase("eventlog_bench_memtrace");
const script = fileURLToPath(new URL("../yandex.bench.ts", import.meta.url));
const flags = (process.env.CHILD_FLAGS ?? "").split(" ").filter(Boolean);
await new Promise<void>((resolve) => {
  const p = spawn(process.execPath, [...flags, "--import", "tsx", script, "--child-rss", "--endpoint", sim.endpoint, "--database", bench.url, "--start", String(startTime), "--logins", "10", "--page-limit", "2000"], { stdio: ["ignore", "inherit", "inherit"] });
  p.on("close", () => resolve());
});
await bench.close(); await sim.close();
