// Any warehouse connection may die at any moment — the one holding a stream's lock, a loading transaction,
// bookkeeping — and the process goes on: the affected streams end failed with a clear error, the run is
// recorded, and the next run ends exact. Here pg_terminate_backend strikes at random moments, many times.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRandom } from "../../src/simulators/common/seeded.random.js";
import { startYandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import type { RunSummary } from "../../src/sync/run-sync.engine.js";
import { stringify } from "yaml";
import { killRunningClis, startCli } from "../support/cli.js";
import { copiesBeyondSource, expectGroundTruth } from "../support/ground-truth.js";
import { connectClient, createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { HOUR, startYandexScenario, type YandexScenario } from "../support/yandex-scenario.js";

let database: TestDatabase;
let scenario: YandexScenario | undefined;
let killer: pg.Client;
beforeAll(async () => {
  database = await createTestDatabase();
  killer = await connectClient(database.url, "connection-killer");
});
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});
afterAll(async () => {
  killRunningClis();
  await killer.end();
  await database.drop();
});

type Kind = "lock" | "load" | "any";

/**
 * Which backends of the job each kind strikes: idle ones holding a stream lock (their last statement took it, or
 * opened the stream's run, which runs on the lock's connection), loading ones, or any of them.
 */
const WHERE: Record<Kind, string> = {
  lock: "(query like '%pg_try_advisory_lock%' or query like '%opened as (%insert into sync.stream_runs%')",
  load: "(query like '%stage%' or query like 'insert into yandex_direct.events%' or query like 'begin%' or query like 'commit%')",
  any: "true",
};

async function terminateOne(kind: Kind, pick: number): Promise<boolean> {
  const { rows } = await killer.query<{ pid: number }>(
    `select pid from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and application_name = 'eventlog-sync' and ${WHERE[kind]}
      order by pid`,
  );
  const target = rows[pick % Math.max(1, rows.length)];
  if (!target) return false;
  const result = await killer.query<{ done: boolean }>("select pg_terminate_backend($1) as done", [target.pid]);
  return result.rows[0]?.done === true;
}

describe("a warehouse connection that dies mid-run", () => {
  it("never crashes the process; the streams it hit end failed, and a clean run afterwards is exact", async () => {
    scenario = await startYandexScenario({
      logins: ["client-1", "client-2", "client-3"],
      simulator: { eventsPerHour: 30, latencyMs: 3 },
      account: { pageLimit: 100 },
    });
    const random = createRandom(20261128);
    const kills: Record<Kind, number> = { lock: 0, load: 0, any: 0 };
    const summaries: RunSummary[] = [];
    const thrown: string[] = [];
    const kinds: Kind[] = ["lock", "load", "any"];
    for (let round = 0; round < 9; round++) {
      const kind = kinds[round % kinds.length] as Kind;
      let done = false;
      const run = scenario
        .run(database.warehouse)
        .then((summary) => void summaries.push(summary))
        .catch((err: unknown) => void thrown.push(String(err)))
        .finally(() => (done = true));
      // Strike a few times at random moments while the run goes on.
      for (let strike = 0; strike < 3 && !done; strike++) {
        await sleep(random.int(2, 40));
        if (!done && (await terminateOne(kind, random.int(0, 10)))) kills[kind]++;
      }
      await run;
      scenario.clock.now += HOUR;
    }
    expect(kills.lock + kills.load + kills.any, `kills ${JSON.stringify(kills)}`).toBeGreaterThanOrEqual(9);
    expect(kills.lock, "a lock connection was struck").toBeGreaterThan(0);
    expect(kills.load, "a loading connection was struck").toBeGreaterThan(0);
    // Every stream the strikes hit says why.
    const failed = summaries.flatMap((s) => s.streams.filter((o) => o.status === "failed"));
    expect(failed.length + thrown.length, "the strikes hit something").toBeGreaterThan(0);
    for (const outcome of failed) expect(outcome.error).toMatch(/terminat|connection|lock was lost|Connection/i);

    // The next run, with no strikes, ends exact: nothing lost, nothing twice.
    const clean = await scenario.run(database.warehouse);
    expect(clean.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
    expect(
      await copiesBeyondSource({
        sim: scenario.sim,
        warehouse: database.warehouse,
        account: "agency",
        streams: scenario.logins,
        startTime: scenario.startTime,
      }),
    ).toEqual([]);
  });
});

describe("a warehouse connection that dies under the CLI", () => {
  it("never crashes a sync process: each ends with a recorded status (exit 0 or 2), and a clean run is exact", async () => {
    const sim = await startYandexDirectSimulator({
      host: "127.0.0.1",
      seed: 31,
      clientLogins: 3,
      historyDays: 4,
      eventsPerHour: 30,
      latencyMs: 15,
    });
    const dir = await mkdtemp(join(tmpdir(), "eventlog-sync-connection-loss-"));
    await chmod(dir, 0o755);
    try {
      const logins = ["client-1", "client-2", "client-3"];
      const startTime = Math.ceil((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
      const file = join(dir, "config.yaml");
      const account = {
        name: "cli",
        token: "${YD_TOKEN}",
        endpoint: sim.endpoint,
        currency: "RUB",
        logins,
        startTime: new Date(startTime).toISOString(),
        settleLag: "2s",
        pageLimit: 100,
        retryMinDelay: "5ms",
        retryMaxDelay: "50ms",
      };
      await writeFile(
        file,
        stringify({ sync: { parallelStreams: 3 }, sources: { yandex_direct: { accounts: [account] } } }),
      );
      const env = { DATABASE_URL: database.url, YD_TOKEN: "agency-token" };
      const random = createRandom(411);
      const kinds: Kind[] = ["lock", "load", "any"];
      let kills = 0;
      for (let round = 0; round < 4; round++) {
        const cli = startCli(["sync", "-c", file], { env, cwd: dir, timeoutMs: 60_000 });
        expect(await cli.started).toBe(true);
        let exited = false;
        void cli.exited.then(() => (exited = true));
        for (let strike = 0; strike < 4 && !exited; strike++) {
          await sleep(random.int(20, 200));
          if (!exited && (await terminateOne(kinds[(round + strike) % kinds.length] as Kind, random.int(0, 10))))
            kills++;
        }
        const exit = await cli.exited;
        expect(exit.signal, exit.stderr).toBeNull();
        expect([0, 2], exit.stderr).toContain(exit.code);
        expect(exit.stderr).not.toMatch(/Unhandled|uncaught/i);
      }
      expect(kills).toBeGreaterThan(0);
      const clean = await startCli(["sync", "-c", file], { env, cwd: dir, timeoutMs: 60_000 }).exited;
      expect(clean.code, clean.stderr).toBe(0);
      const check = { sim, warehouse: database.warehouse, account: "cli", streams: logins, startTime };
      expect(await copiesBeyondSource(check)).toEqual([]);
      await expectGroundTruth({ ...check, label: "after the strikes and a clean run" });
      const running = await database.warehouse.db
        .selectFrom("sync.runs")
        .select("run_id")
        .where("status", "=", "running")
        .execute();
      expect(running).toEqual([]);
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
