// No page size is too small to be a clamp: whatever GetEventsLog caps a response at — with Limit or
// without — a window is taken as complete only with evidence, dense seconds are paged with Offset, and
// every login's cursor reaches now minus the settle lag with exactly the simulator's events behind it.
import { describe, expect, it } from "vitest";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

const CAPS = [1, 5, 20, 49, 50, 51, 60, 1000];

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
      scenario.clock.now += 6 * HOUR;
      const second = await scenario.run(database.warehouse);
      expect(second.status).toBe("succeeded");
      expect(second.streams[0]?.inserted).toBeGreaterThan(0);
      await scenario.expectGroundTruth(database.warehouse);
      await scenario.expectCaughtUp(database.warehouse);
    },
  );

  // Kills: a capacity remembered from the run before settling a window (strict mode trusts no size).
  it("is exact right after the cap is lowered between two runs", async () => {
    const scenario = await start({
      logins: ["client-1", "client-2"],
      simulator: { maxEventsPerResponse: 300, eventsPerHour: 40, historyDays: 3 },
      account: { pageLimit: 1000 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    scenario.sim.setOptions({ maxEventsPerResponse: 20 });
    scenario.clock.now += 20 * 60_000;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
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

  // Kills: a window settled by its size (1 request where strict needs 2), or more than its follow-up.
  it("reads an incremental run in two requests per login with events in its lookback, one without", async () => {
    const scenario = await start({
      logins: ["client-1", "client-2", "client-3"],
      simulator: { eventsPerHour: 20 },
      account: { pageLimit: 1000 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    scenario.clock.now += 5 * 60_000;
    const before = scenario.sim.requestCounts()["agency-token"]?.GetEventsLog ?? 0;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    expect((scenario.sim.requestCounts()["agency-token"]?.GetEventsLog ?? 0) - before).toBe(6);
    await scenario.expectCaughtUp(database.warehouse);
    // A lookback without events: one empty answer per login.
    const quiet = await start({
      accountName: "quiet",
      logins: ["client-1"],
      simulator: { eventsPerHour: 0.01, historyDays: 1 },
      account: { pageLimit: 1000, lookback: "1s" },
    });
    await quiet.run(database.warehouse);
    quiet.clock.now += 30_000;
    const quietBefore = quiet.sim.requestCounts()["agency-token"]?.GetEventsLog ?? 0;
    await quiet.run(database.warehouse);
    expect((quiet.sim.requestCounts()["agency-token"]?.GetEventsLog ?? 0) - quietBefore).toBe(1);
  });
});
