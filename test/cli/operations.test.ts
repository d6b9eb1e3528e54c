/**
 * The job as operators run it, as child processes: graceful shutdown on SIGTERM and an exact resume,
 * a second signal stopping at once, `reset`, `config check`, and the daemon on a schedule with metrics.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { findFreePort } from "../../src/postgres/port.finder.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { CLI, runCli } from "../support/cli.js";
import { copiesBeyondSource, expectGroundTruth } from "../support/ground-truth.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { until } from "../support/until.js";

const HOUR = 3_600_000;
const LOGINS = ["client-1", "client-2", "client-3"];
let sim: YandexDirectSimulator;
let dir: string;
let startTime: number;
const databases: TestDatabase[] = [];
const children = new Set<ChildProcess>();

beforeAll(async () => {
  sim = await startYandexDirectSimulator({
    seed: 99,
    clientLogins: 3,
    historyDays: 6,
    eventsPerHour: 30,
    latencyMs: 3,
  });
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-operations-"));
  startTime = Math.ceil((Date.now() - 5 * 24 * HOUR) / HOUR) * HOUR;
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await sim.close();
  for (const d of databases) await d.drop();
  await rm(dir, { recursive: true, force: true });
});

async function database(): Promise<TestDatabase> {
  const d = await createTestDatabase();
  databases.push(d);
  return d;
}

let files = 0;
async function config(extra: Record<string, unknown> = {}, account: Record<string, unknown> = {}): Promise<string> {
  const file = join(dir, `config-${++files}.yaml`);
  const document = {
    sources: {
      yandex_direct: {
        accounts: [
          {
            name: "agency",
            token: "${YD_TOKEN}",
            endpoint: sim.endpoint,
            currency: "RUB",
            logins: LOGINS,
            startTime: new Date(startTime).toISOString(),
            settleLag: "2s",
            pageLimit: 100,
            concurrency: 2,
            retryMinDelay: "5ms",
            retryMaxDelay: "50ms",
            ...account,
          },
        ],
      },
    },
    ...extra,
  };
  await writeFile(file, stringify(document));
  return file;
}

const env = (d: TestDatabase) => ({ DATABASE_URL: d.url, YD_TOKEN: "agency-token" });

function start(
  args: string[],
  d: TestDatabase,
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stderrOf: () => string;
} {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env(d) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("exit", (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, done, stderrOf: () => stderr };
}

/** Sessions of other connections to the test's database that wait for a lock. */
async function waitingOnLocks(d: TestDatabase): Promise<number> {
  const result = await d.warehouse.pool.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`,
  );
  return result.rows[0]?.n ?? 0;
}

const truth = (d: TestDatabase) => ({ sim, warehouse: d.warehouse, account: "agency", streams: LOGINS, startTime });

describe("operating eventlog-sync", () => {
  it("on SIGTERM finishes the page in flight, records the run as interrupted, and the next run ends exact", async () => {
    const d = await database();
    const file = await config({}, { pageLimit: 50 });
    sim.setOptions({ latencyMs: 40 });
    const { child, done } = start(["sync", "-c", file], d);
    await until(
      "rows",
      async () =>
        ((await d.warehouse.pool.query("select count(*)::int as n from yandex_direct.events")).rows[0]?.n ?? 0) > 200,
      { timeoutMs: 30_000, everyMs: 100 },
    );
    child.kill("SIGTERM");
    const result = await done;
    sim.setOptions({ latencyMs: 3 });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/run \d+: interrupted/);
    const run = await d.warehouse.db.selectFrom("sync.runs").selectAll().executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: "interrupted", error: "interrupted by a signal" });
    expect(run.finished_at).not.toBeNull();
    expect(await copiesBeyondSource(truth(d))).toEqual([]);

    const again = await runCli(["sync", "-c", file], { env: env(d) });
    expect(again.code, again.stderr).toBe(0);
    await expectGroundTruth({ ...truth(d), beyondCursor: "none" });
  });

  it("stops at once on a second signal, even while the graceful stop is stuck", async () => {
    const d = await database();
    const file = await config({}, { pageLimit: 50 });
    sim.setOptions({ latencyMs: 100 });
    const { child, done, stderrOf } = start(["sync", "-c", file], d);
    await until(
      "a stream to start",
      async () =>
        ((await d.warehouse.pool.query("select count(*)::int as n from sync.stream_runs")).rows[0]?.n ?? 0) > 0,
      { timeoutMs: 30_000, everyMs: 100 },
    );
    // Hold the bookkeeping table so the graceful stop cannot finish.
    const blocker = await d.warehouse.pool.connect();
    try {
      await blocker.query("begin");
      await blocker.query("lock table sync.stream_runs in access exclusive mode");
      child.kill("SIGTERM");
      // Stuck: the first signal was taken, and a session of the process waits for the held table.
      await until(
        "the graceful stop to wait on the held table",
        async () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error("the first signal ended the process");
          return stderrOf().includes("finishing the work in flight") && (await waitingOnLocks(d)) > 0;
        },
        { timeoutMs: 30_000 },
      );
      expect(child.exitCode).toBeNull();
      child.kill("SIGTERM");
      // The table is still held: only stopping at once can end the process now.
      const result = await done;
      expect(result.code).toBe(130);
      expect(result.stderr).toContain("SIGTERM: stopping at once");
    } finally {
      await blocker.query("rollback");
      blocker.release();
      sim.setOptions({ latencyMs: 3 });
    }
    expect(await copiesBeyondSource(truth(d))).toEqual([]);
  });

  it("reset moves a cursor back; the re-read skips what is held and stays exact", async () => {
    const d = await database();
    const file = await config();
    expect((await runCli(["sync", "-c", file], { env: env(d) })).code).toBe(0);
    const to = new Date(startTime + 2 * 24 * HOUR).toISOString();
    const reset = await runCli(["reset", "client-2", "--to", to], { env: env(d) });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(
      new RegExp(`yandex_direct/agency/client-2: cursor moved from \\S+ to ${to.replace(/[.]/g, "\\.")}`),
    );
    const again = await runCli(["sync", "-c", file, "--stream", "client-2"], { env: env(d) });
    expect(again.code).toBe(0);
    const line = again.stdout.split("\n").find((l) => l.includes("client-2")) ?? "";
    expect(Number(/duplicates\s+(\d+)/.exec(line)?.[1])).toBeGreaterThan(1000);
    await expectGroundTruth(truth(d));
    const unknown = await runCli(["reset", "nobody"], { env: env(d) });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no stream nobody: `eventlog-sync status` lists the streams");
    const badTime = await runCli(["reset", "client-1", "--to", "yesterday"], { env: env(d) });
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toContain("Expected `--to` to be an ISO 8601 time with a zone");
  });

  it("status shows every stream as a table and as JSON", async () => {
    const d = await database();
    const file = await config({}, { logins: [...LOGINS, "stranger"] });
    const run = await runCli(["sync", "-c", file], { env: env(d) });
    expect(run.code).toBe(2);
    const table = await runCli(["status"], { env: env(d) });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^STREAM\s+STATUS\s+CURSOR\s+LAST EVENT\s+LAG\s+ROWS\s+LAST RUN\s+GAP\s+UNREAD\s+LAST ERROR$/,
    );
    expect(lines).toHaveLength(5);
    expect(lines.find((l) => l.startsWith("yandex_direct/agency/client-1"))).toMatch(
      /succeeded\s+\S+Z\s+\S+Z\s+\d+s\s+[\d,]+\s+#1 succeeded/,
    );
    // Never read completely: its lag counts from when it was first seen.
    expect(lines.find((l) => l.startsWith("yandex_direct/agency/stranger"))).toMatch(
      /failed\s+-\s+-\s+\d+s\s+0\s+#1 failed .*API error 54/,
    );
    const json = await runCli(["status", "--json"], { env: env(d) });
    const rows = JSON.parse(json.stdout) as Array<{
      stream: string;
      status: string;
      rows_held: number;
      cursor: string | null;
      lag_seconds: number | null;
      last_error: string | null;
    }>;
    const held = await d.warehouse.pool.query<{ login: string; n: number }>(
      "select login, count(*)::int as n from yandex_direct.events group by login",
    );
    for (const r of held.rows) expect(rows.find((x) => x.stream === r.login)?.rows_held).toBe(r.n);
    expect(rows.find((x) => x.stream === "stranger")).toMatchObject({
      status: "failed",
      cursor: null,
      last_event_at: null,
      last_read_at: null,
      rows_held: 0,
    });
    expect(rows.find((x) => x.stream === "stranger")?.lag_seconds).toBeLessThan(600);
    expect(rows.find((x) => x.stream === "client-2")?.lag_seconds).toBeLessThan(600);
  });

  it("config check validates a file and lists what would be synced, or every problem", async () => {
    const good = await runCli(["config", "check", "-c", await config()], { env: { YD_TOKEN: "agency-token" } });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(
      /valid\n\s+yandex_direct\/agency: http:\/\/127\.0\.0\.1:\d+\/live\/v4\/json\/, RUB, streams: client-1, client-2, client-3/,
    );
    const bad = await runCli(
      [
        "config",
        "check",
        "-c",
        await config({ daemon: { schedule: "every minute" } }, { currency: "RUR", lookback: "5x" }),
      ],
      { env: { YD_TOKEN: "agency-token" } },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'sources.yandex_direct.accounts[0].currency: expected one of RUB, CHF, EUR, KZT, TRY, UAH, USD, BYN, got "RUR"',
    );
    expect(bad.stderr).toContain(
      'sources.yandex_direct.accounts[0].lookback: expected a duration such as 60s, 15m, 1h or 30d, got "5x"',
    );
    expect(bad.stderr).toContain(
      'daemon.schedule: expected a cron expression such as "*/15 * * * *", got "every minute"',
    );
  });

  it("the daemon runs on its schedule, never two runs at once, and serves /healthz and /metrics", async () => {
    const d = await database();
    const port = await findFreePort();
    sim.setOptions({ latencyMs: 60 });
    const file = await config({ daemon: { schedule: "* * * * * *", port, runOnStart: true } }, { pageLimit: 300 });
    const { child, done } = start(["daemon", "-c", file], d);
    const base = `http://127.0.0.1:${port}`;
    const metric = async (name: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, "gm"))].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    await until("/healthz", async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200, {
      timeoutMs: 30_000,
      everyMs: 100,
    });
    await until("two runs", async () => (await metric("eventlog_sync_runs_total")) >= 2, {
      timeoutMs: 60_000,
      everyMs: 100,
    });
    sim.setOptions({ latencyMs: 3 });
    const health = (await (await fetch(`${base}/healthz`)).json()) as {
      status: string;
      lastRun: { status: string } | null;
    };
    expect(health.status).toBe("ok");
    expect(health.lastRun?.status).toBe("succeeded");
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^# TYPE eventlog_sync_runs_total counter$/m);
    expect(text).toMatch(/^eventlog_sync_runs_total\{status="succeeded"\} [2-9]\d*$/m);
    expect(text).toMatch(/^eventlog_sync_events_loaded_total\{source="yandex_direct"\} [1-9]\d*$/m);
    expect(text).toMatch(/^eventlog_sync_streams\{status="succeeded"\} 3$/m);
    expect(text).toMatch(
      /^eventlog_sync_stream_lag_seconds\{source="yandex_direct",account="agency",stream="client-1"\} \d+$/m,
    );
    expect(await metric("eventlog_sync_skipped_ticks_total")).toBeGreaterThan(0);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    child.kill("SIGTERM");
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("schedule tick skipped: the previous run is still going");
    const runs = await d.warehouse.db
      .selectFrom("sync.runs")
      .select(["started_at", "finished_at", "status"])
      .orderBy("run_id")
      .execute();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]?.started_at.getTime()).toBeGreaterThanOrEqual(
        runs[i - 1]?.finished_at?.getTime() ?? Number.POSITIVE_INFINITY,
      );
    }
    await expectGroundTruth(truth(d));
  });
});
