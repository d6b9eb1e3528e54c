/**
 * Copies of the real CLI (`node bin/eventlog-sync.js sync`) side by side on one Yandex.Direct token, against
 * the simulator on 127.0.0.1 with its real clock, behind a proxy that counts what the server saw
 * (test/support/request-watch.ts). What is promised: the copies together never have more requests of the token
 * in flight than the account's `concurrency` (so the server answers no 506), they split the streams so none is
 * read twice in one round, and a copy killed while it holds the token's budget neither stops the others nor
 * leaves anything wrong behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import type { CliExit, CliProcess } from "../support/cli.js";
import { copiesBeyondSource, expectGroundTruth } from "../support/ground-truth.js";
import { startTimeDaysAgo, useProcessTest } from "../support/process-test.js";
import { type RequestWatch, startRequestWatch } from "../support/request-watch.js";
import { waitForOtherSessions } from "../support/sessions.js";
import { until } from "../support/until.js";

const TOKEN = "agency-token";
const LOGINS = Array.from({ length: 8 }, (_, i) => `client-${i + 1}`);
/** The token's requests in flight, on both sides: the account's `concurrency` and the server's limit. */
const IN_FLIGHT = 5;

let sim: YandexDirectSimulator;
let watch: RequestWatch;

beforeAll(async () => {
  // Real clock; 30 events per login and hour. With pageLimit 100 a window holds ≈ 50 events, so a day of
  // one login is ≈ 15 requests.
  sim = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 5151,
    clientLogins: LOGINS.length,
    historyDays: 5,
    eventsPerHour: 30,
    concurrentRequests: IN_FLIGHT,
  });
  watch = await startRequestWatch(sim.url);
});

afterAll(async () => {
  await watch?.close();
  await sim?.close();
});

const processes = useProcessTest({ name: "scale-out", cliTimeoutMs: 50_000 });

/** The config every copy shares; `tag` lets the proxy tell one copy's requests apart. */
function writeConfig(startTime: number, tag?: string): Promise<string> {
  const base = tag === undefined ? watch.url : watch.tagged(tag);
  return processes.writeConfig({
    sync: { parallelStreams: 4 },
    sources: {
      yandex_direct: {
        accounts: [
          {
            name: "agency",
            token: "${YD_TOKEN}",
            endpoint: `${base}/live/v4/json/`,
            currency: "RUB",
            logins: LOGINS,
            startTime: new Date(startTime).toISOString(),
            settleLag: "2s",
            lookback: "1h",
            pageLimit: 100,
            concurrency: IN_FLIGHT,
            timeout: "10s",
            retries: 10,
            retryMinDelay: "5ms",
            retryMaxDelay: "50ms",
          },
        ],
      },
    },
  });
}

/** Streams read (a stream run: a stream a run skipped has none) by more than one run: `stream key → runs`. */
async function readTwice(warehouse: Warehouse): Promise<Record<string, number[]>> {
  const rows = await warehouse.db
    .selectFrom("sync.stream_runs as sr")
    .innerJoin("sync.streams as s", "s.stream_id", "sr.stream_id")
    .select(["s.stream_key", "sr.run_id"])
    .execute();
  const runs: Record<string, number[]> = {};
  for (const r of rows) (runs[r.stream_key] ??= []).push(r.run_id);
  return Object.fromEntries(Object.entries(runs).filter(([, ids]) => ids.length > 1));
}

async function expectCaughtUp(warehouse: Warehouse, since: number): Promise<void> {
  const streams = await warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_key", "cursor"])
    .where("account", "=", "agency")
    .execute();
  expect(streams.map((s) => s.stream_key).sort()).toEqual([...LOGINS].sort());
  // A run reads up to its own now − settleLag (2 s), on whole seconds.
  for (const s of streams)
    expect(s.cursor?.getTime(), `cursor of ${s.stream_key}`).toBeGreaterThanOrEqual(since - 3000);
}

function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const expectExit0 = (exit: CliExit, who: string) => expect(exit.code, `${who}: ${exit.stderr.slice(-2000)}`).toBe(0);

describe("copies of sync on one token", () => {
  it("four copies at once stay within the token's requests in flight and read each stream once", async () => {
    const database = await processes.newDatabase();
    const { warehouse } = database;
    const startTime = startTimeDaysAgo(3);
    const config = await writeConfig(startTime);
    const env = { DATABASE_URL: database.url, YD_TOKEN: TOKEN };
    // Slow enough answers that every stream (≈ 45 requests) takes longer to read than the copies take to start,
    // so all four rounds have begun before any stream is read whole, and requests overlap.
    sim.setOptions({ latencyMs: 150 });
    watch.reset();
    const since = Date.now();
    const exits = await Promise.all(
      [0, 1, 2, 3].map((i) => processes.startCli(["sync", "-c", config], env).exited.then((e) => [i, e] as const)),
    );
    const seen = watch.token(TOKEN);
    expect.soft(seen.limitErrors, `errors 506 the server answered (${seen.requests} requests)`).toBe(0);
    expect.soft(seen.peakInFlight, "most requests of the token in flight at once").toBeLessThanOrEqual(IN_FLIGHT);
    for (const [i, exit] of exits) expectExit0(exit, `copy ${i}`);

    const check = { sim, warehouse, account: "agency", streams: LOGINS, startTime };
    expect(await copiesBeyondSource(check)).toEqual([]);
    expect(await expectGroundTruth(check)).toBeGreaterThan(LOGINS.length * 3 * 24 * 15);
    await expectCaughtUp(warehouse, since);
    expect(await readTwice(warehouse), "streams read by more than one copy").toEqual({});
    const runs = await warehouse.db.selectFrom("sync.runs").select(["status", "streams_skipped"]).execute();
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    // A stream a copy only skipped leaves no stream-run row: the run counts it. Every copy planned all 8.
    const streamRuns = await warehouse.db.selectFrom("sync.stream_runs").select("status").execute();
    expect(streamRuns.map((r) => r.status)).toEqual(LOGINS.map(() => "succeeded"));
    expect(runs.reduce((sum, r) => sum + r.streams_skipped, 0)).toBe(4 * LOGINS.length - LOGINS.length);
  });

  it("a copy killed while it holds the token's requests in flight does not stop the others", async () => {
    const database = await processes.newDatabase();
    const { warehouse } = database;
    const startTime = startTimeDaysAgo(1);
    const env = { DATABASE_URL: database.url, YD_TOKEN: TOKEN };
    const killedConfig = await writeConfig(startTime, "killed");
    const othersConfig = await writeConfig(startTime, "others");
    // Every answer takes a second until the kill: a request of the copy to be killed is certainly in
    // flight, its budget held, when the kill comes.
    sim.setOptions({ latencyMs: 1000 });
    watch.reset();
    // The copy to be killed starts first, so it takes streams of its own (the others skip them while it holds
    // them); the others start once its requests are in flight and wait for the token's budget it holds.
    const killed = processes.startCli(["sync", "-c", killedConfig], env);
    const inFlight = () => watch.tag("killed").inFlight > 0;
    const others: CliProcess[] = [];
    try {
      await until("a request of the copy to be killed in flight", inFlight, { timeoutMs: 20_000 });
      for (let i = 0; i < 2; i++) others.push(processes.startCli(["sync", "-c", othersConfig], env));
      for (const cli of [killed, ...others]) expect(await cli.started, "every copy began its run").toBe(true);
      await until("a request of the copy to be killed in flight once the others run", inFlight, { timeoutMs: 20_000 });
      expect(killed.kill()).toBe(true);
    } finally {
      sim.setOptions({ latencyMs: 20 });
    }
    expect((await killed.exited).signal).toBe("SIGKILL");
    const killedAt = performance.now();
    const exits = await withinMs(
      Promise.all(others.map((cli) => cli.exited)),
      20_000,
      "the other copies finish after the kill",
    );
    const afterKillMs = performance.now() - killedAt;
    const during = watch.token(TOKEN);
    expect.soft(during.limitErrors, `errors 506 the server answered (${during.requests} requests)`).toBe(0);
    exits.forEach((exit, i) => expectExit0(exit, `copy ${i} left running`));

    await waitForOtherSessions(warehouse);
    const since = Date.now();
    const final = await processes.runCli(["sync", "-c", othersConfig], env);
    expectExit0(final, "the run after the kill");
    const seen = watch.token(TOKEN);
    expect(seen.limitErrors, `errors 506 the server answered (${seen.requests} requests)`).toBe(0);
    expect(seen.peakInFlight, "most requests of the token in flight at once").toBeLessThanOrEqual(IN_FLIGHT);

    const check = { sim, warehouse, account: "agency", streams: LOGINS, startTime };
    expect(await copiesBeyondSource(check)).toEqual([]);
    expect(await expectGroundTruth(check)).toBeGreaterThan(LOGINS.length * 24 * 15);
    await expectCaughtUp(warehouse, since);
    const runs = await warehouse.db.selectFrom("sync.runs").select(["pid", "status"]).orderBy("run_id").execute();
    expect(runs.find((r) => r.pid === killed.pid)?.status).toBe("abandoned");
    expect(runs.filter((r) => r.pid !== killed.pid).map((r) => r.status)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(afterKillMs, "the other copies' runs ended").toBeLessThan(20_000);
  });
});
