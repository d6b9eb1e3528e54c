// The client must be exact under every plausible reading of the API's open questions (api-contracts §4):
// order of events, inclusive or exclusive bounds, timestamps without a zone, a silently clamped Limit.
// Eight days of history are enough for each reading to show (hundreds of page and window bounds, bursts of one
// second across pages): the mutations "Yandex.Direct window asked without the second before it", "… a second
// short" and "… seconds seen again never read again" each fail these cases (test/mutations/mutations.ts).
import { describe, expect, it } from "vitest";
import type { EventOrder } from "../../src/simulators/yandex-direct/index.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

const orders: EventOrder[] = ["ascending", "descending", "shuffled-within-second"];
const cases = orders.flatMap((order) =>
  [true, false].flatMap((fromInclusive) => [true, false].map((toInclusive) => ({ order, fromInclusive, toInclusive }))),
);

describe("Yandex.Direct sync under every reading of the API", () => {
  it.each(cases)(
    "is exact with order $order, TimestampFrom inclusive $fromInclusive, TimestampTo inclusive $toInclusive",
    async (behaviour) => {
      const scenario = await start({
        logins: ["client-1"],
        simulator: { ...behaviour, burstRate: 0.05, burstSize: 40, eventsPerHour: 20, historyDays: 8 },
        account: { pageLimit: 100 },
      });
      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      await scenario.expectGroundTruth(database.warehouse);
      scenario.clock.now += 5 * HOUR;
      const second = await scenario.run(database.warehouse);
      expect(second.streams[0]?.inserted).toBeGreaterThan(0);
      await scenario.expectGroundTruth(database.warehouse);
    },
  );

  it("reads timestamps without a zone in the account's configured zone", async () => {
    const scenario = await start({
      logins: ["client-1", "client-2"],
      simulator: { zonelessTimestamps: true, zoneOffset: "+03:00" },
      account: { timestampZone: "Europe/Moscow" },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    const sample = await database.warehouse.pool.query<{ raw: { Timestamp: string }; event_time: Date }>(
      "select raw, event_time from yandex_direct.events limit 1",
    );
    const row = sample.rows[0];
    expect(row?.raw.Timestamp).not.toMatch(/Z|[+-]\d\d:\d\d$/);
    expect(row?.event_time.toISOString().slice(0, 19)).toBe(
      new Date(`${row?.raw.Timestamp}+03:00`).toISOString().slice(0, 19),
    );
  });

  it("fails the stream with a clear message when the configured zone does not match the API's", async () => {
    const scenario = await start({
      logins: ["client-1"],
      simulator: { zonelessTimestamps: true, zoneOffset: "+03:00" },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.streams[0]?.status).toBe("failed");
    expect(run.streams[0]?.error).toMatch(/set the account's timestamp zone \(now UTC\)/);
    const rows = await database.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from yandex_direct.events",
    );
    // What was stored before the mismatch showed up is still exact: nothing is misplaced.
    expect(rows.rows[0]?.n).toBe(0);
  });

  it("is exact when the server silently clamps Limit to a smaller maximum", async () => {
    const scenario = await start({
      logins: ["client-1", "client-3"],
      simulator: { maxLimit: 60, overMaxLimit: "clamp", eventsPerHour: 40, historyDays: 8 },
      account: { pageLimit: 1000 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
  });

  it("fails clearly when the server rejects the configured Limit, and works once it fits", async () => {
    const rejected = await start({
      logins: ["client-1"],
      simulator: { maxLimit: 500, overMaxLimit: "reject" },
      account: { pageLimit: 1000 },
    });
    const run = await rejected.run(database.warehouse);
    expect(run.streams[0]?.status).toBe("failed");
    expect(run.streams[0]?.error).toMatch(/API error 8/);
    await rejected.close();
    const fitting = await start({
      logins: ["client-1"],
      simulator: { maxLimit: 500, overMaxLimit: "reject" },
      account: { pageLimit: 500 },
    });
    expect((await fitting.run(database.warehouse)).status).toBe("succeeded");
    await fitting.expectGroundTruth(database.warehouse);
  });
});
