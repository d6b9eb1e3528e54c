/**
 * Process-level tests: the real CLI (`node bin/eventlog-sync.js sync -c <file>`) as child processes against
 * the Yandex.Direct simulator on 127.0.0.1 with its real clock. What is promised across processes: a SIGKILL
 * at any moment loses and duplicates nothing (rows and cursor commit together), two processes started at
 * once split the streams, exit codes and config errors are clear, and tokens never reach the output.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRandom } from "../../src/simulators/common/seeded.random.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { copiesBeyondSource, expectGroundTruth, type GroundTruthStream } from "../support/ground-truth.js";
import { killAfterCommits, storedRows } from "../support/kill-loop.js";
import { startTimeDaysAgo, useProcessTest } from "../support/process-test.js";
import type { TestDatabase } from "../support/test-database.js";

const TOKEN = "agency-token"; // the simulator's default agency token (clients client-1…3, each also `client-N-token`)
const LOGINS = ["client-1", "client-2", "client-3"];
/** Latency of every simulator answer outside the kill test. */
const LATENCY_MS = 3;

let sim: YandexDirectSimulator;

beforeAll(async () => {
  // Real clock (Date.now); 20 days of history at 30 events per login and hour. With pageLimit 200 a window
  // holds ≈ 100 events, so a day of one login is ≈ 7 pages, each its own transaction.
  sim = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 4242,
    clientLogins: 3,
    historyDays: 20,
    eventsPerHour: 30,
    latencyMs: LATENCY_MS,
  });
});

afterAll(async () => {
  await sim?.close();
});

const processes = useProcessTest({ name: "processes", cliTimeoutMs: 40_000 });
const { newDatabase, startCli, runCli } = processes;

function account(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    name: "agency",
    token: "${YD_TOKEN}",
    endpoint: sim.endpoint,
    currency: "RUB",
    logins: LOGINS,
    settleLag: "2s",
    lookback: "1h",
    pageLimit: 200,
    // Two processes × 2 in flight stay under the simulator's 5 simultaneous requests per token.
    concurrency: 2,
    timeout: "5s",
    retries: 6,
    retryMinDelay: "5ms",
    retryMaxDelay: "50ms",
    ...fields,
  };
}

const writeConfig = (accounts: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Promise<string> =>
  processes.writeConfig({ sync: { parallelStreams: 4 }, sources: { yandex_direct: { accounts } }, ...extra });

async function streamCursors(warehouse: Warehouse, accountName: string): Promise<Map<string, Date | null>> {
  const rows = await warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_key", "cursor"])
    .where("account", "=", accountName)
    .execute();
  return new Map(rows.map((r) => [r.stream_key, r.cursor]));
}

describe("eventlog-sync sync as processes", () => {
  it("loses and duplicates nothing when killed with SIGKILL at random moments, then completes", async () => {
    const database = await newDatabase();
    const { warehouse } = database;
    const startTime = startTimeDaysAgo(4);
    const config = await writeConfig([account({ startTime: new Date(startTime).toISOString() })]);
    const env = { DATABASE_URL: database.url, YD_TOKEN: TOKEN };
    const check = { sim, warehouse, account: "agency", streams: LOGINS, startTime };

    // While killing, every answer takes 250 ms: the backfill (3 logins × ≥ 30 windows of ≈ 100 events, at
    // most 2 requests in flight per account) needs at least 90 × 250 / 2 ms ≈ 11 s of requests on any
    // machine. Each process runs until its first commit (a few requests) and then for a seeded delay of
    // 100–500 ms: five of them take well under that together, so every process is killed mid-run, the later
    // ones deeper into the backfill. Where each kill lands (a request in flight, a COPY, a COMMIT) is
    // timing-dependent; what is asserted holds for any instant.
    sim.setOptions({ latencyMs: 250 });
    const random = createRandom(7);
    let killed: number[];
    try {
      killed = await killAfterCommits({
        source: "yandex_direct",
        warehouse,
        start: () => startCli(["sync", "-c", config], env),
        delays: Array.from({ length: 5 }, () => random.int(100, 500)),
        afterKill: async (k) => {
          // Consistent at every kill: no identity twice, and before each cursor exactly the events of the API.
          expect(await copiesBeyondSource(check), `duplicates after kill ${k}`).toEqual([]);
          await expectGroundTruth({ ...check, label: `after kill ${k}`, beyondCursor: "subset" });
        },
      });
    } finally {
      sim.setOptions({ latencyMs: LATENCY_MS });
    }
    expect(await storedRows(warehouse, "yandex_direct"), "the killed runs stored some rows").toBeGreaterThan(0);

    const finalStart = Date.now();
    const final = startCli(["sync", "-c", config], env);
    const exit = await final.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/run \d+: succeeded/);
    expect(await copiesBeyondSource(check)).toEqual([]);
    expect(await expectGroundTruth({ ...check, label: "after the clean run" })).toBeGreaterThan(3 * 4 * 24 * 15);
    for (const [login, cursor] of await streamCursors(warehouse, "agency")) {
      // The clean run read up to its own now − settleLag (2 s).
      expect(cursor?.getTime(), `cursor of ${login}`).toBeGreaterThanOrEqual(finalStart - 3000);
    }
    // No orphans: the clean run found the killed runs' processes gone and marked them abandoned.
    const orphans = await warehouse.db
      .selectFrom("sync.runs")
      .select(["pid", "status"])
      .where("pid", "in", killed)
      .execute();
    expect(orphans.map((r) => r.status)).toEqual(killed.map(() => "abandoned"));
    const stillRunning = await warehouse.db
      .selectFrom("sync.stream_runs")
      .select("run_id")
      .where("status", "=", "running")
      .execute();
    expect(stillRunning).toEqual([]);
    expect(
      await warehouse.db
        .selectFrom("sync.streams")
        .select("stream_key")
        .where("status", "in", ["running", "abandoned"])
        .execute(),
    ).toEqual([]);

    const runs = await warehouse.db
      .selectFrom("sync.runs")
      .select(["run_id", "pid", "status", "finished_at"])
      .orderBy("run_id")
      .execute();
    expect(runs).toHaveLength(6);
    for (const pid of killed) {
      expect(
        runs.find((r) => r.pid === pid),
        `run of killed pid ${pid}`,
      ).toMatchObject({ status: "abandoned", finished_at: expect.any(Date) });
    }
    const finalRun = runs.find((r) => r.pid === final.pid);
    expect(finalRun?.status).toBe("succeeded");
    const finalStreams = await warehouse.db
      .selectFrom("sync.stream_runs")
      .select(["status"])
      .where("run_id", "=", finalRun?.run_id ?? -1)
      .execute();
    expect(finalStreams.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    const streams = await warehouse.db
      .selectFrom("sync.streams")
      .select(["status"])
      .where("account", "=", "agency")
      .execute();
    expect(streams.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
  });

  it("splits the streams between two processes started at once", async () => {
    const database = await newDatabase();
    const { warehouse } = database;
    const startTime = startTimeDaysAgo(3);
    const config = await writeConfig([account({ startTime: new Date(startTime).toISOString() })]);
    const env = { DATABASE_URL: database.url, YD_TOKEN: TOKEN };

    const [a, b] = await Promise.all([runCli(["sync", "-c", config], env), runCli(["sync", "-c", config], env)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(await copiesBeyondSource({ sim, warehouse, account: "agency", streams: LOGINS, startTime })).toEqual([]);
    expect(await expectGroundTruth({ sim, warehouse, account: "agency", streams: LOGINS, startTime })).toBeGreaterThan(
      3 * 3 * 24 * 15,
    );

    const runs = await warehouse.db.selectFrom("sync.runs").select(["run_id", "status", "streams_skipped"]).execute();
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    const streamRuns = await warehouse.db
      .selectFrom("sync.stream_runs as sr")
      .innerJoin("sync.streams as s", "s.stream_id", "sr.stream_id")
      .select(["s.stream_key", "sr.run_id", "sr.status", "sr.started_at", "sr.finished_at"])
      .execute();
    // Which process synced which stream, and whether the other skipped it (it was held, or already synced) or
    // synced it after the first let go, depends on timing. What must hold: a run has a row for each stream it
    // synced and counts the ones it skipped, every row is finished as succeeded, each stream was synced by at
    // least one run, and the runs that synced the same stream did so one after the other, never at once.
    for (const run of runs)
      expect(
        streamRuns.filter((r) => r.run_id === run.run_id).length + run.streams_skipped,
        `streams synced and skipped by run ${run.run_id}`,
      ).toBe(LOGINS.length);
    for (const login of LOGINS) {
      const rows = streamRuns.filter((r) => r.stream_key === login);
      for (const r of rows) expect(r.status, `status of ${login} in run ${r.run_id}`).toBe("succeeded");
      const synced = rows
        .filter((r) => r.status === "succeeded")
        .sort((x, y) => x.started_at.getTime() - y.started_at.getTime());
      expect(synced.length, `runs that synced ${login}`).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < synced.length; i++) {
        const before = synced[i - 1];
        const after = synced[i];
        expect(before?.finished_at, `${login}: run ${before?.run_id} finished`).not.toBeNull();
        expect(
          after?.started_at.getTime(),
          `${login}: run ${after?.run_id} started after run ${before?.run_id} finished`,
        ).toBeGreaterThanOrEqual(before?.finished_at?.getTime() ?? Infinity);
      }
    }
  });

  describe("exit codes and errors", () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await newDatabase();
    });

    // These two touch neither the simulator nor the rows: they run side by side.
    it.concurrent("exits 1 naming every wrong field of a config with its path, in one message", async ({ expect }) => {
      const literal = "y0_AgAAAAliteral-secret-in-the-file";
      const config = await writeConfig([
        account({ currency: "RUR", token: literal, settleLag: "2 parsecs", pageLimit: 0, startTime: "last tuesday" }),
      ]);
      const runsBefore = await database.warehouse.db.selectFrom("sync.runs").select("run_id").execute();
      const exit = await runCli(["sync", "-c", config], { DATABASE_URL: database.url, YD_TOKEN: TOKEN });
      expect(exit.code).toBe(1);
      expect(exit.stderr.match(/invalid configuration/g) ?? []).toHaveLength(1);
      const at = "sources.yandex_direct.accounts[0]";
      expect(exit.stderr).toContain(`${at}.currency: expected one of RUB`);
      expect(exit.stderr).toContain(`${at}.token: tokens come from the environment`);
      expect(exit.stderr).toContain(`${at}.settleLag: expected a duration`);
      expect(exit.stderr).toContain(`${at}.pageLimit:`);
      expect(exit.stderr).toContain(`${at}.startTime: expected an ISO 8601 time`);
      expect(exit.stdout + exit.stderr, "a token written in the file is not echoed").not.toContain(literal);
      const runs = await database.warehouse.db.selectFrom("sync.runs").select("run_id").execute();
      expect(runs, "no run was started").toHaveLength(runsBefore.length);
    });

    it.concurrent("exits 1 with a clear message when DATABASE_URL is unreachable", async ({ expect }) => {
      const config = await writeConfig([account({ startTime: new Date(startTimeDaysAgo(1)).toISOString() })]);
      const exit = await runCli(["sync", "-c", config], {
        DATABASE_URL: "postgres://eventlog:secret-pw@127.0.0.1:1/none",
        YD_TOKEN: TOKEN,
      });
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/eventlog-sync: .*(ECONNREFUSED|connect)/s);
      expect(exit.stdout + exit.stderr, "the database password is not echoed").not.toContain("secret-pw");
    });

    it("exits 2 when a stream fails, naming it and its error, and the other streams hold exact ground truth", async () => {
      const { warehouse } = database;
      const startTime = startTimeDaysAgo(1);
      const config = await writeConfig([
        account({ name: "agency", logins: ["client-1", "nobody"], startTime: new Date(startTime).toISOString() }),
        // A second account: client-2's own token, its own log (no logins: the token owner's stream).
        account({
          name: "direct",
          token: "${YD_CLIENT_TOKEN}",
          logins: undefined,
          startTime: new Date(startTime).toISOString(),
        }),
      ]);
      const before = Date.now();
      const exit = await runCli(["sync", "-c", config], {
        DATABASE_URL: database.url,
        YD_TOKEN: TOKEN,
        YD_CLIENT_TOKEN: "client-2-token",
      });
      expect(exit.code, exit.stderr).toBe(2);
      expect(exit.stdout).toMatch(/run \d+: partial/);
      expect(exit.stdout).toMatch(
        /yandex_direct\/agency\/nobody\s+failed[^\n]*\n\s+yandex_direct API error 54: [^\n]*nobody/,
      );
      expect(exit.stdout).toMatch(/yandex_direct\/agency\/client-1\s+succeeded/);
      expect(exit.stdout).toMatch(/yandex_direct\/direct\/\(owner\)\s+succeeded/);

      const streams: GroundTruthStream[] = ["client-1"];
      expect(await expectGroundTruth({ sim, warehouse, account: "agency", streams, startTime })).toBeGreaterThan(
        24 * 15,
      );
      expect(
        await expectGroundTruth({
          sim,
          warehouse,
          account: "direct",
          streams: [{ streamKey: "(owner)", login: "client-2" }],
          startTime,
        }),
      ).toBeGreaterThan(24 * 15);
      const cursors = new Map([
        ...(await streamCursors(warehouse, "agency")),
        ...[...(await streamCursors(warehouse, "direct"))].map(([k, v]) => [`direct/${k}`, v] as const),
      ]);
      expect(cursors.get("client-1")?.getTime()).toBeGreaterThanOrEqual(before - 3000);
      expect(cursors.get("direct/(owner)")?.getTime()).toBeGreaterThanOrEqual(before - 3000);
      expect(cursors.get("nobody")).toBeNull();
      const nobody = await warehouse.db
        .selectFrom("sync.streams")
        .select(["status", "last_error"])
        .where("stream_key", "=", "nobody")
        .executeTakeFirstOrThrow();
      expect(nobody.status).toBe("failed");
      expect(nobody.last_error).toContain("API error 54");
      const rows = await warehouse.db
        .selectFrom("yandex_direct.events")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("login", "=", "nobody")
        .executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(0);
    });

    it("never writes the token to stdout, stderr or the warehouse, at debug level, with retries and a failing stream", async () => {
      const { warehouse } = database;
      const startTime = startTimeDaysAgo(1);
      const config = await writeConfig([
        account({ name: "debug", logins: ["client-3", "nobody"], startTime: new Date(startTime).toISOString() }),
      ]);
      sim.failNext(TOKEN, 503, 2);
      sim.failNext(TOKEN, 502, 1);
      const exit = await runCli(["--log-level", "debug", "sync", "-c", config], {
        DATABASE_URL: database.url,
        YD_TOKEN: TOKEN,
      });
      expect(exit.code, exit.stderr).toBe(2);
      expect(exit.stdout).toContain("yandex_direct/debug/nobody");
      expect(exit.stdout).not.toContain(TOKEN);
      expect(exit.stderr).not.toContain(TOKEN);
      const retried = await sql<{ n: number }>`
        select coalesce(sum(sr.retries), 0)::int as n from sync.stream_runs sr join sync.streams s using (stream_id) where s.account = 'debug'`.execute(
        warehouse.db,
      );
      expect(retried.rows[0]?.n, "the three injected failures were retried").toBe(3);
      const errors = await sql<{ text: string }>`
        select coalesce(error, '') as text from sync.stream_runs union all select coalesce(last_error, '') from sync.streams union all select coalesce(error, '') from sync.runs`.execute(
        warehouse.db,
      );
      for (const row of errors.rows) expect(row.text).not.toContain(TOKEN);
      await expectGroundTruth({ sim, warehouse, account: "debug", streams: ["client-3"], startTime });
    });
  });
});
