// Yandex.Direct end to end: a backfill, then only what is new; late events in the lookback; identical events and
// bursts.
import { describe, expect, it } from "vitest";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { DAY, HOUR, startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

describe("Yandex.Direct sync", () => {
  it("backfills 30 days of several logins, then loads only what is new, then nothing", async () => {
    const scenario = await start();
    const first = await scenario.run(database.warehouse);
    expect(first.status).toBe("succeeded");
    expect(first.streams.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    const backfilled = await scenario.expectGroundTruth(database.warehouse);
    expect(backfilled).toBeGreaterThan(3 * 30 * 24 * 3);

    scenario.clock.now += 6 * HOUR;
    const second = await scenario.run(database.warehouse);
    expect(second.status).toBe("succeeded");
    const inserted = second.streams.reduce((n, s) => n + s.inserted, 0);
    expect(inserted).toBeGreaterThan(0);
    expect(await scenario.expectGroundTruth(database.warehouse)).toBe(backfilled + inserted);

    const third = await scenario.run(database.warehouse);
    expect(third.streams.reduce((n, s) => n + s.inserted, 0)).toBe(0);
    expect(await scenario.expectGroundTruth(database.warehouse)).toBe(backfilled + inserted);
    const runs = await database.warehouse.db
      .selectFrom("sync.stream_runs")
      .select(["run_id", "status", "events_inserted", "events_duplicate", "requests", "cursor_before", "cursor_after"])
      .where("run_id", "=", third.runId)
      .execute();
    expect(runs).toHaveLength(3);
    for (const r of runs) {
      expect(r).toMatchObject({ status: "succeeded", events_inserted: 0 });
      expect(r.requests).toBeGreaterThan(0);
      expect(r.cursor_after?.getTime()).toBeGreaterThanOrEqual(r.cursor_before?.getTime() ?? 0);
    }
  });

  it("picks up late events inserted into the past inside the lookback", async () => {
    const scenario = await start({ logins: ["client-1"] });
    await scenario.run(database.warehouse);
    const at = scenario.clock.now - 31 * 60_000; // 30 minutes before the cursor (settle lag 60 s, lookback 1 h)
    scenario.sim.addEvents("client-1", [
      {
        Timestamp: new Date(at).toISOString().replace(".000", ""),
        EventType: "MoneyIn",
        CampaignID: 3194280,
        Attributes: { Payed: 777 },
      },
      {
        Timestamp: new Date(at + 1000).toISOString().replace(".000", ""),
        EventType: "LowCTR",
        CampaignID: 3194280,
        BannerID: 1,
        PhraseID: 2,
      },
    ]);
    scenario.clock.now += 60_000;
    const run = await scenario.run(database.warehouse);
    expect(run.streams[0]?.inserted).toBeGreaterThanOrEqual(2);
    await scenario.expectGroundTruth(database.warehouse);
  });

  it("keeps identical events in one second as separate rows, more of them than a page holds", async () => {
    const scenario = await start({ logins: ["client-1", "client-2"], account: { pageLimit: 200 } });
    const at = scenario.clock.now - 2 * DAY;
    scenario.sim.addBurst("client-1", { at, count: 450 });
    scenario.sim.addBurst("client-2", { at: at + 5000, count: 3 });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    const burst = await database.warehouse.pool.query<{ n: number; occurrences: number }>(
      "select count(*)::int as n, count(distinct occurrence)::int as occurrences from yandex_direct.events where login = 'client-1' and event_time = $1",
      [new Date(at)],
    );
    expect(burst.rows[0]).toEqual({ n: 450, occurrences: 450 });
    const again = await scenario.run(database.warehouse);
    expect(again.streams.reduce((n, s) => n + s.inserted, 0)).toBe(0);
    await scenario.expectGroundTruth(database.warehouse);
  });

  it("stays exact with random bursts bigger than a page throughout the history", async () => {
    const scenario = await start({
      logins: ["client-2"],
      simulator: { burstRate: 0.02, burstSize: 300 },
      account: { pageLimit: 250 },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("succeeded");
    expect(await scenario.expectGroundTruth(database.warehouse)).toBeGreaterThan(3000);
  });
});
