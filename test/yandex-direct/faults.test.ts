// Rate limits, transient faults and quotas must never fail a whole sync nor lose or duplicate an event.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/pino.logger.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

async function streamRuns(runId: number) {
  return database.warehouse.db
    .selectFrom("sync.stream_runs")
    .innerJoin("sync.streams", "sync.streams.stream_id", "sync.stream_runs.stream_id")
    .select(["stream_key", "sync.stream_runs.status", "requests", "retries", "error", "events_inserted"])
    .where("run_id", "=", runId)
    .orderBy("stream_key")
    .execute();
}

describe("Yandex.Direct sync under faults", () => {
  it("retries 20% of requests failing in every retryable way and stays exact", async () => {
    const scenario = await start({
      simulator: {
        apiErrorRates: { 52: 0.03, 500: 0.03, 503: 0.02, 504: 0.02, 502: 0.02 },
        faults: { serverErrorRate: 0.02, truncateRate: 0.02, garbageRate: 0.02, htmlRate: 0.02 },
      },
      account: { pageLimit: 150 },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    const rows = await streamRuns(run.runId);
    const retries = rows.reduce((n, r) => n + r.retries, 0);
    const requests = rows.reduce((n, r) => n + r.requests, 0);
    expect(retries).toBeGreaterThan(requests * 0.1);
    // Every request the simulator received is accounted for in sync.stream_runs.
    expect(requests).toBe(scenario.sim.requestCounts()["agency-token"]?.GetEventsLog);
  });

  it("backs off on bursts of 506 (too many concurrent requests) and stays exact", async () => {
    const scenario = await start({
      simulator: { concurrentRequests: 1, latencyMs: 5 },
      // Five requests in flight (each stream also reads one batch ahead) against a server that takes one:
      // most attempts meet a 506, so the budget of retries is generous; what matters is that none is lost.
      account: { concurrency: 5, pageLimit: 200, retries: 20 },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    expect((await streamRuns(run.runId)).reduce((n, r) => n + r.retries, 0)).toBeGreaterThan(0);
  });

  it("times out hanging requests and retries them", async () => {
    const scenario = await start({
      logins: ["client-1"],
      simulator: { faults: { hangRate: 0.15, hangMs: 10_000 } },
      account: { timeout: "300ms", pageLimit: 300 },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
  });

  it("reports a body that never becomes valid with a snippet, and loses nothing", async () => {
    const scenario = await start({
      logins: ["client-1"],
      simulator: { faults: { htmlRate: 1 } },
      account: { retries: 2 },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.streams[0]).toMatchObject({ status: "failed", requests: 3, retries: 2 });
    expect(run.streams[0]?.error).toMatch(/HTTP 502: <html><head><title>502 Bad Gateway/);
    const [row] = await streamRuns(run.runId);
    expect(row).toMatchObject({ status: "failed", requests: 3, retries: 2 });
    scenario.sim.setOptions({ faults: {} });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
  });

  it("fails only the login that is not a client of the agency; the others complete", async () => {
    const scenario = await start({ logins: ["client-1", "stranger", "client-2"] });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("partial");
    const byKey = Object.fromEntries(run.streams.map((s) => [s.identity.streamKey, s]));
    expect(byKey.stranger?.status).toBe("failed");
    expect(byKey.stranger?.error).toMatch(/API error 54/);
    expect(byKey.stranger?.retries).toBe(0);
    expect(byKey["client-1"]?.status).toBe("succeeded");
    expect(byKey["client-2"]?.status).toBe("succeeded");
    scenario.logins.splice(scenario.logins.indexOf("stranger"), 1);
    await scenario.expectGroundTruth(database.warehouse);
    const stream = await database.warehouse.db
      .selectFrom("sync.streams")
      .selectAll()
      .where("stream_key", "=", "stranger")
      .executeTakeFirstOrThrow();
    expect(stream).toMatchObject({ status: "failed", cursor: null });
    expect(stream.last_error).toMatch(/API error 54/);
  });

  it("stops a stream cleanly at the daily call limit, keeps its progress, and a later run finishes the job", async () => {
    const scenario = await start({
      logins: ["client-1", "client-2"],
      simulator: { dailyCallLimit: 30 },
      account: { pageLimit: 100, concurrency: 1 },
    });
    const first = await scenario.run(database.warehouse);
    // Both streams stopped at the limit: progress is kept, but nothing succeeded, so the run failed.
    expect(first.status).toBe("failed");
    expect(first.streams.some((s) => s.status === "partial" && /API error 56/.test(s.error ?? ""))).toBe(true);
    const held = await database.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from yandex_direct.events",
    );
    expect(held.rows[0]?.n).toBeGreaterThan(0);
    // The limit resets the next day.
    scenario.clock.now += 24 * HOUR;
    scenario.sim.setOptions({ dailyCallLimit: 0 });
    const second = await scenario.run(database.warehouse);
    expect(second.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
  });

  it("treats running out of points (152) as a quota too", async () => {
    const scenario = await start({
      logins: ["client-1"],
      simulator: { pointsPerDay: 50, pointsPerCall: 10 },
      account: { pageLimit: 100 },
    });
    const first = await scenario.run(database.warehouse);
    expect(first.streams[0]).toMatchObject({ status: "partial", retries: 0 });
    expect(first.streams[0]?.error).toMatch(/API error 152/);
    scenario.sim.setOptions({ pointsPerCall: 0 });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
  });

  // Support asks first for the answer's RequestId: every kind of failed Live 4 answer names the one the
  // simulator sent, in the stream run's error, the run summary and the logged line.
  it.each([
    ["an API error in the body", { logins: ["stranger"] }, /API error 54: [^\n]*; RequestId (\d+)\)/],
    ["an HTTP error status", { simulator: { faults: { htmlRate: 1 } } }, /HTTP 502: <html>[^\n]* \(RequestId (\d+)\)/],
    ["a body that is not JSON", { simulator: { faults: { garbageRate: 1 } } }, /not JSON: [^\n]* \(RequestId (\d+)\)/],
  ])("names the RequestId the server sent when a stream fails on %s", async (_what, options, pattern) => {
    const lines: string[] = [];
    const scenario = await start({
      logins: ["client-1"],
      account: { retries: 0 },
      log: createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } }),
      ...options,
    });
    const run = await scenario.run(database.warehouse);
    const sent = scenario.sim.requestIds();
    expect(sent.length).toBeGreaterThan(0);
    const [stream] = run.streams;
    expect(stream?.status).toBe("failed");
    const id = pattern.exec(stream?.error ?? "")?.[1];
    expect(id, stream?.error ?? "").toBeDefined();
    expect(sent).toContain(id);
    const [row] = await streamRuns(run.runId);
    expect(row?.error).toContain(`RequestId ${id})`);
    const failed = lines.map((line) => JSON.parse(line) as { msg: string; err?: { message: string } });
    const logged = failed.find((line) => line.msg === "stream failed");
    expect(logged?.err?.message).toContain(`RequestId ${id})`);
  });
});
