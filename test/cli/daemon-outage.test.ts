// A daemon across a database outage: the process stays up, the runs during the outage fail and are
// counted, /healthz answers 503 while it lasts, /metrics keeps serving the counters with the warehouse
// marked down, and the first run after the database is back succeeds without a restart.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/postgres/embedded.postgres.js";
import { findFreePort } from "../../src/postgres/port.finder.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { killRunningClis, startCli } from "../support/cli.js";
import { until } from "../support/until.js";

const HOUR = 3_600_000;
let sim: YandexDirectSimulator;
let server: EmbeddedPostgres | undefined;
let dir: string;
let pgPort: number;

beforeAll(async () => {
  sim = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 5,
    clientLogins: 2,
    historyDays: 2,
    eventsPerHour: 10,
  });
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-daemon-outage-"));
  // As root the server runs as the postgres user, which must be able to reach the data directory.
  await chmod(dir, 0o755);
  pgPort = await findFreePort();
  server = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port: pgPort });
}, 120_000);

afterAll(async () => {
  killRunningClis();
  await sim?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Health {
  status: string;
  warehouse: string;
  running: boolean;
  lastRun: { runId: number | null; status: string; error: string | null } | null;
}

/** The value of a metric line with exactly these labels (`{}`: none); undefined when it is absent. */
function metric(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function writeConfig(name: string, httpPort: number): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    stringify({
      database: { connectTimeout: "2s" },
      daemon: { schedule: "* * * * * *", port: httpPort, runOnStart: true },
      sources: {
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: sim.endpoint,
              currency: "RUB",
              logins: ["client-1", "client-2"],
              startTime: new Date(Math.floor((Date.now() - 24 * HOUR) / HOUR) * HOUR).toISOString(),
              settleLag: "2s",
              retryMinDelay: "5ms",
              retryMaxDelay: "50ms",
            },
          ],
        },
      },
    }),
  );
  return file;
}

describe("a daemon across a database outage", () => {
  it("stays up: runs fail and are counted, /healthz says 503, /metrics serves the counters; the next run after it succeeds", async () => {
    const httpPort = await findFreePort();
    const file = await writeConfig("config.yaml", httpPort);
    const url = server?.url ?? "";
    const daemon = startCli(["daemon", "-c", file], {
      env: { DATABASE_URL: url, YD_TOKEN: "agency-token" },
      timeoutMs: 90_000,
    });
    const base = `http://127.0.0.1:${httpPort}`;
    const health = async () => {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
      return { code: response.status, body: (await response.json()) as Health };
    };
    const metrics = async () => {
      const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
      return { code: response.status, text: await response.text() };
    };

    // Up: a run succeeds. Stop the database right after a run ends, while no stream holds a connection.
    const ok = await until(
      "a succeeded run",
      async () => {
        const h = await health();
        return h.code === 200 && h.body.status === "ok" ? h : undefined;
      },
      { timeoutMs: 30_000, everyMs: 50, errorsMeanNotYet: true },
    );
    expect(ok.body).toMatchObject({ warehouse: "up", lastRun: { status: "succeeded" } });
    const before = await until(
      "a finished run with none in flight",
      async () => {
        const { text } = await metrics();
        const done = metric(text, "eventlog_sync_runs_total", '{status="succeeded"}') ?? 0;
        return done >= 1 && metric(text, "eventlog_sync_run_in_progress") === 0 ? text : undefined;
      },
      { timeoutMs: 20_000, everyMs: 50, errorsMeanNotYet: true },
    );
    await server?.stop();
    server = undefined;
    const failedBefore = metric(before, "eventlog_sync_runs_total", '{status="failed"}') ?? 0;

    // Down: healthz 503, runs failing and counted, metrics served with the warehouse marked down.
    const down = await until(
      "/healthz 503",
      async () => {
        const h = await health();
        return h.code === 503 ? h : undefined;
      },
      { timeoutMs: 20_000, everyMs: 50, errorsMeanNotYet: true },
    );
    expect(down.body).toMatchObject({ status: "unreachable", warehouse: "unreachable" });
    const during = await until(
      "failed runs counted",
      async () => {
        const m = await metrics();
        return (metric(m.text, "eventlog_sync_runs_total", '{status="failed"}') ?? 0) >= failedBefore + 2
          ? m
          : undefined;
      },
      { timeoutMs: 20_000, everyMs: 50, errorsMeanNotYet: true },
    );
    expect(during.code).toBe(200);
    expect(metric(during.text, "eventlog_sync_warehouse_up")).toBe(0);
    expect(metric(during.text, "eventlog_sync_runs_total", '{status="succeeded"}')).toBeGreaterThanOrEqual(1);
    expect(during.text).toMatch(/^eventlog_sync_events_loaded_total\{source="yandex_direct"\} [1-9]\d*$/m);
    // The gauges read from the warehouse are left out, not reported as zero.
    expect(during.text).not.toMatch(/^eventlog_sync_streams\{/m);
    expect(during.text).not.toMatch(/^eventlog_sync_stream_lag_seconds\{/m);
    const failedRun = await health();
    expect(failedRun.code).toBe(503);
    expect(failedRun.body.lastRun).toMatchObject({ runId: null, status: "failed", error: expect.any(String) });
    expect(await Promise.race([daemon.exited.then(() => "exited"), sleep(10, "alive")])).toBe("alive");

    // Back: the pool reconnects by itself, and the next run succeeds.
    server = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port: pgPort });
    const back = await until(
      "/healthz 200 ok after the outage",
      async () => {
        const h = await health();
        return h.code === 200 && h.body.status === "ok" && h.body.lastRun?.runId !== null ? h : undefined;
      },
      { timeoutMs: 30_000, everyMs: 50, errorsMeanNotYet: true },
    );
    expect(back.body).toMatchObject({ warehouse: "up", lastRun: { status: "succeeded" } });
    const after = await metrics();
    expect(metric(after.text, "eventlog_sync_warehouse_up")).toBe(1);
    expect(after.text).toMatch(/^eventlog_sync_streams\{status="succeeded"\} 2$/m);
    const warehouse = openWarehouse(server.url, { maxConnections: 1 });
    try {
      const run = await warehouse.db
        .selectFrom("sync.runs")
        .select(["run_id", "status"])
        .where("run_id", "=", back.body.lastRun?.runId ?? -1)
        .executeTakeFirst();
      expect(run).toEqual({ run_id: back.body.lastRun?.runId, status: "succeeded" });
    } finally {
      await warehouse.close();
    }

    process.kill(daemon.pid, "SIGTERM");
    const exit = await daemon.exited;
    expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
    expect(exit.stderr).toContain('"msg":"run failed"');
  }, 90_000);
});

describe("a daemon started while the database is down", () => {
  it("serves /healthz 503 unreachable and /metrics with the warehouse down, then starts its schedule when the database comes", async () => {
    // Kills: a daemon that opens the warehouse before serving (it exited 1 after the connect timeout and
    // never served /healthz), and one that gives up instead of waiting for the database.
    const url = server?.url ?? "";
    await server?.stop();
    server = undefined;
    const httpPort = await findFreePort();
    const daemon = startCli(["daemon", "-c", await writeConfig("down-at-start.yaml", httpPort)], {
      env: { DATABASE_URL: url, YD_TOKEN: "agency-token" },
      timeoutMs: 90_000,
    });
    const base = `http://127.0.0.1:${httpPort}`;
    const health = async () => {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
      return { code: response.status, body: (await response.json()) as Health };
    };
    const down = await until(
      "/healthz while the database is down",
      async () => {
        const h = await health();
        return h.code === 503 ? h : undefined;
      },
      { timeoutMs: 30_000, everyMs: 50, errorsMeanNotYet: true },
    );
    expect(down.body).toMatchObject({ status: "unreachable", warehouse: "unreachable", lastRun: null });
    const metrics = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    expect(metric(metrics, "eventlog_sync_warehouse_up")).toBe(0);
    // Still there, serving, after the start has failed twice.
    await until(
      "two failed starts",
      async () =>
        (daemon.stderr().match(/the warehouse is not reachable: serving/g)?.length ?? 0) >= 2 ? true : undefined,
      { timeoutMs: 60_000, everyMs: 50, errorsMeanNotYet: true },
    );
    expect((await health()).code).toBe(503);
    expect(await Promise.race([daemon.exited.then(() => "exited"), sleep(10, "alive")])).toBe("alive");

    server = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port: pgPort });
    const ok = await until(
      "/healthz 200 ok once the database came",
      async () => {
        const h = await health();
        return h.code === 200 && h.body.status === "ok" ? h : undefined;
      },
      { timeoutMs: 60_000, everyMs: 50, errorsMeanNotYet: true },
    );
    expect(ok.body).toMatchObject({ warehouse: "up", lastRun: { status: "succeeded" } });

    process.kill(daemon.pid, "SIGTERM");
    const exit = await daemon.exited;
    expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
    expect(exit.stderr).toContain("the warehouse is not reachable: serving /healthz as unreachable and trying again");
  }, 120_000);
});
