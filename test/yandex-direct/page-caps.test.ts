// No page size is too small to be a clamp: whatever GetEventsLog caps a response at — with Limit or
// without — a window is taken as complete only with evidence, dense seconds are paged with Offset, and
// every login's cursor reaches now minus the settle lag with exactly the simulator's events behind it.
import { describe, expect, it } from "vitest";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

const CAPS = [1, 5, 20, 49, 50, 51, 60, 1000];

const capacityOf = async (): Promise<{ records: number; exact: boolean } | undefined> =>
  (
    await database.warehouse.pool.query<{ state: { capacity?: { records: number; exact: boolean } } }>(
      "select state from sync.streams limit 1",
    )
  ).rows[0]?.state.capacity;

describe("Yandex.Direct sync against a server that caps every response", () => {
  it.each(CAPS)(
    "is exact and caught up with at most %i events per response, bursts of identical events included",
    async (cap) => {
      const scenario = await start({
        logins: ["client-1"],
        // A burst (12 identical events in one second) is denser than the small caps: those seconds are paged with
        // Offset.
        // Tiny caps cost several requests per event (a window is requested from one second before its start, and
        // that second's events count against the cap): their logs are kept small.
        simulator: {
          maxEventsPerResponse: cap,
          historyDays: cap < 20 ? 1 : 5,
          eventsPerHour: cap === 1 ? 4 : 20,
          burstRate: 0.05,
          burstSize: 12,
        },
        account: { pageLimit: 1000 },
      });
      const first = await scenario.run(database.warehouse);
      expect(first.streams.map((s) => [s.status, s.error ?? null])).toEqual([["succeeded", null]]);
      expect(await scenario.expectGroundTruth(database.warehouse)).toBeGreaterThan(0);
      await scenario.expectCaughtUp(database.warehouse);
      if (cap < 1000) expect(await capacityOf()).toEqual(expect.objectContaining({ records: cap, exact: true }));
      scenario.clock.now += 6 * HOUR;
      const second = await scenario.run(database.warehouse);
      expect(second.status).toBe("succeeded");
      expect(second.streams[0]?.inserted).toBeGreaterThan(0);
      await scenario.expectGroundTruth(database.warehouse);
      await scenario.expectCaughtUp(database.warehouse);
    },
  );

  it("notices a cap lowered between two runs once the capacity's memory has passed, and reads again what it settled on the old one", async () => {
    const scenario = await start({
      logins: ["client-1", "client-2"],
      simulator: { maxEventsPerResponse: 300, eventsPerHour: 40, historyDays: 3 },
      account: { pageLimit: 1000, capacityMemory: "1h" },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    expect(await capacityOf()).toMatchObject({ records: 300, exact: true });
    scenario.sim.setOptions({ maxEventsPerResponse: 20 });
    // Within the memory the old capacity is trusted: what this run settles on it may be short.
    scenario.clock.now += 20 * 60_000;
    await scenario.run(database.warehouse);
    // Past it, the capacity is proven again, found lowered, and the windows settled on it are read again.
    scenario.clock.now += 2 * HOUR;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
    expect(await capacityOf()).toMatchObject({ records: 20, exact: true });
  });

  it("is exact when the cap drops within one run", async () => {
    const scenario = await start({
      logins: ["client-1"],
      simulator: { maxEventsPerResponse: 300, eventsPerHour: 40, historyDays: 3 },
      account: { pageLimit: 1000, capacityMemory: "10m" },
    });
    const sim = scenario.sim;
    const clock = scenario.clock;
    let pages = 0;
    // Each stored page is a minute later; after the fifth the server's cap falls to 20.
    const run = await scenario.run(database.warehouse, {
      onPage: () => {
        clock.now += 60_000;
        if (++pages === 5) sim.setOptions({ maxEventsPerResponse: 20 });
      },
    });
    expect(run.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    // The run's range ended where the clock stood when it started; the next run reads on from there.
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
  });

  it("settles a no-op incremental run with one request per login", async () => {
    const scenario = await start({
      logins: ["client-1", "client-2", "client-3"],
      simulator: { eventsPerHour: 20 },
      account: { pageLimit: 1000 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    scenario.clock.now += 5 * 60_000;
    const before = scenario.sim.requestCounts()["agency-token"]?.GetEventsLog ?? 0;
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("succeeded");
    expect((scenario.sim.requestCounts()["agency-token"]?.GetEventsLog ?? 0) - before).toBe(3);
    await scenario.expectCaughtUp(database.warehouse);
  });
});
