// The Yandex.Direct simulator's log: deterministic per seed and clock, independent of read order, compact at a million
// events.
import { describe, expect, test } from "vitest";
import { events, manualClock, useSimulators } from "./helpers.js";

const start = useSimulators();

const START = "2026-03-10T12:00:00Z";

describe("determinism", () => {
  test("the same seed and clock give the same logs; another seed gives others", async () => {
    const a = await start({ seed: 7, clock: () => Date.parse(START), historyDays: 1 });
    const b = await start({ seed: 7, clock: () => Date.parse(START), historyDays: 1 });
    const c = await start({ seed: 8, clock: () => Date.parse(START), historyDays: 1 });
    for (const login of ["advertiser", "agency", "client-3"]) {
      expect(a.events({ login })).toEqual(b.events({ login }));
      expect(a.events({ login })).not.toEqual(c.events({ login }));
    }
    const param = { TimestampFrom: "2026-03-09T12:00:00Z", Currency: "EUR", Logins: ["client-2"] };
    expect(await events(a, param, a.agency.token)).toEqual(await events(b, param, b.agency.token));
  });

  test("an hour's events do not depend on which hours were read first", async () => {
    const a = await start({ clock: () => Date.parse(START), historyDays: 1 });
    const b = await start({ clock: () => Date.parse(START), historyDays: 1 });
    const hour = { login: "advertiser", from: "2026-03-10T05:00:00Z", to: "2026-03-10T05:59:59Z" };
    b.events({ login: "advertiser" });
    expect(a.events(hour)).toEqual(b.events(hour));
  });
});

describe("the clock", () => {
  test("the log grows with the clock and nothing after it is served", async () => {
    const clock = manualClock(START);
    const sim = await start({ clock: clock.now, historyDays: 1, eventsPerHour: 60 });
    const param = { TimestampFrom: "2026-03-10T11:00:00Z", Currency: "RUB" };
    const before = await events(sim, param);
    expect(before.every((e) => Date.parse(e.Timestamp as string) <= clock.now())).toBe(true);
    expect(before.length).toBeGreaterThan(0);
    clock.advance(2 * 3_600_000);
    const after = await events(sim, param);
    expect(after.length).toBeGreaterThan(before.length + 30);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.every((e) => Date.parse(e.Timestamp as string) <= clock.now())).toBe(true);
    expect(after).toEqual(sim.events({ login: "advertiser", from: param.TimestampFrom }));
  });

  test("TimestampTo in the future is capped at the clock; TimestampFrom in the future gives nothing", async () => {
    const sim = await start({ clock: () => Date.parse(START), historyDays: 1 });
    const all = sim.events({ login: "advertiser", from: "2026-03-10T00:00:00Z" });
    const param = { TimestampFrom: "2026-03-10T00:00:00Z", TimestampTo: "2030-01-01T00:00:00Z", Currency: "RUB" };
    expect(await events(sim, param)).toEqual(all);
    expect(await events(sim, { TimestampFrom: "2026-03-11T00:00:00Z", Currency: "RUB" })).toEqual([]);
  });

  test("no events before the history starts", async () => {
    const sim = await start({ clock: () => Date.parse(START), historyDays: 1 });
    const all = sim.events({ login: "advertiser" });
    expect(Date.parse(all[0]?.Timestamp ?? "")).toBeGreaterThanOrEqual(Date.parse("2026-03-09T12:00:00Z"));
    expect(await events(sim, { TimestampFrom: "2000-01-01T00:00:00Z", Currency: "RUB" })).toEqual(all);
  });
});

test("reaches a million events in packed storage of 12 bytes per event", async () => {
  const sim = await start({ clock: () => Date.parse(START), historyDays: 30, eventsPerHour: 240, clientLogins: 4 });
  const started = performance.now();
  const total = sim.countEvents();
  expect(total).toBeGreaterThanOrEqual(1_000_000);
  const stats = sim.stats();
  expect(stats.packedBytes).toBe(stats.generatedEvents * 12);
  expect(performance.now() - started).toBeLessThan(10_000);
  const page = await events(
    sim,
    { TimestampFrom: "2026-03-01T00:00:00Z", Currency: "RUB", Logins: ["client-4"], Limit: 1000, Offset: 30_000 },
    sim.agency.token,
  );
  expect(page).toHaveLength(1000);
});

describe("addEvents", () => {
  test("added events are served and part of the ground truth; future ones appear when the clock gets there", async () => {
    const clock = manualClock(START);
    const sim = await start({ clock: clock.now, historyDays: 1, eventsPerHour: 0 });
    sim.addEvents("client-1", [
      {
        Timestamp: "2026-03-10T10:00:00Z",
        EventType: "MoneyIn",
        CampaignID: 42,
        Attributes: { Payed: 10, Currency: "USD" },
      },
      {
        Timestamp: Date.parse("2026-03-10T13:00:00Z"),
        EventType: "LowCTR",
        CampaignID: 42,
        BannerID: 43,
        PhraseID: 44,
      },
      {
        Timestamp: "2026-03-10T09:00:00Z",
        EventType: "CampaignFinished",
        CampaignID: 42,
        Attributes: { FinishDate: "2026-03-09" },
      },
    ]);
    const param = { TimestampFrom: "2026-03-10T00:00:00Z", Currency: "USD", Logins: ["client-1"] };
    expect(await events(sim, param, sim.agency.token)).toEqual([
      {
        Timestamp: "2026-03-10T09:00:00Z",
        EventType: "CampaignFinished",
        EventName: "Campaign finished",
        CampaignID: 42,
        Attributes: { FinishDate: "2026-03-09" },
      },
      {
        Timestamp: "2026-03-10T10:00:00Z",
        EventType: "MoneyIn",
        EventName: "Funds added",
        CampaignID: 42,
        Attributes: { Payed: 10, Currency: "USD" },
      },
    ]);
    expect(sim.events({ login: "client-1", currency: "RUB" })[1]?.Attributes).toEqual({ Payed: 900, Currency: "RUB" });
    clock.set("2026-03-10T13:00:00Z");
    const later = await events(sim, param, sim.agency.token);
    expect(later.map((e) => e.EventType)).toEqual(["CampaignFinished", "MoneyIn", "LowCTR"]);
    expect(sim.events({ login: "client-2" })).toEqual([]);
  });

  test("bad input names the field", async () => {
    const sim = await start({ clock: () => Date.parse(START), historyDays: 1 });
    expect(() => sim.addEvents("nobody", [])).toThrow(/login `nobody`/);
    expect(() => sim.addEvents("advertiser", [{ Timestamp: "soon", EventType: "MoneyIn" }])).toThrow(/Timestamp/);
  });
});
