// The Yandex.Direct simulator's switches cover every plausible reading of GetEventsLog's open questions.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  BEHAVIOUR_DEFAULTS,
  startYandexDirectSimulator,
  type YandexDirectSimulator,
} from "../../../src/simulators/yandex-direct/index.js";
import { events, getEventsLog, manualClock } from "./helpers.js";

const clock = manualClock("2026-03-10T12:00:00Z");
const FROM = "2026-03-10T00:00:00Z";
const base = { TimestampFrom: FROM, Currency: "RUB" };
let sim: YandexDirectSimulator;

beforeAll(async () => {
  sim = await startYandexDirectSimulator({ clock: clock.now, historyDays: 1, eventsPerHour: 20 });
  // Five different events in one second, to see the order inside a second.
  sim.addEvents(
    "advertiser",
    [1, 2, 3, 4, 5].map((n) => ({ Timestamp: "2026-03-10T06:30:00Z", EventType: "LowCTR" as const, CampaignID: n })),
  );
});
afterAll(() => sim.close());
beforeEach(() => {
  clock.set("2026-03-10T12:00:00Z");
  sim.setOptions(BEHAVIOUR_DEFAULTS);
});

const truth = () => sim.events({ login: "advertiser", from: FROM });

describe("order", () => {
  test("ascending (default) follows the ground truth", async () => {
    expect(await events(sim, base)).toEqual(truth());
  });
  test("descending is the reverse", async () => {
    sim.setOptions({ order: "descending" });
    expect(await events(sim, base)).toEqual(truth().reverse());
    const pages = [
      ...(await events(sim, { ...base, Limit: 50 })),
      ...(await events(sim, { ...base, Limit: 50, Offset: 50 })),
    ];
    expect(pages).toEqual(truth().reverse().slice(0, 100));
  });
  test("shuffled within a second: same events, seconds ascending, a stable order inside a second", async () => {
    sim.setOptions({ order: "shuffled-within-second" });
    const data = await events(sim, base);
    const key = (e: object) => JSON.stringify(e);
    expect(data.map(key).sort()).toEqual(truth().map(key).sort());
    expect(data.map((e) => e.Timestamp)).toEqual(truth().map((e) => e.Timestamp));
    const second = (list: Array<Record<string, unknown>>) =>
      list.filter((e) => e.Timestamp === "2026-03-10T06:30:00Z").map((e) => e.CampaignID);
    expect(second(data)).not.toEqual([1, 2, 3, 4, 5]);
    expect(second(await events(sim, base))).toEqual(second(data));
  });
});

describe("bounds", () => {
  const at = "2026-03-10T06:30:00Z";
  const atBounds = { ...base, TimestampFrom: at, TimestampTo: at };
  test("TimestampFrom and TimestampTo inclusive (default)", async () => {
    expect((await events(sim, atBounds)).filter((e) => e.Timestamp === at)).toHaveLength(5);
  });
  test("TimestampFrom exclusive", async () => {
    sim.setOptions({ fromInclusive: false });
    expect(await events(sim, atBounds)).toEqual([]);
    const data = await events(sim, { ...base, TimestampFrom: at, TimestampTo: "2026-03-10T07:00:00Z" });
    expect(data.some((e) => e.Timestamp === at)).toBe(false);
  });
  test("TimestampTo exclusive", async () => {
    sim.setOptions({ toInclusive: false });
    const data = await events(sim, { ...base, TimestampFrom: "2026-03-10T06:00:00Z", TimestampTo: at });
    expect(data.some((e) => e.Timestamp === at)).toBe(false);
    expect(data).toEqual(truth().filter((e) => e.Timestamp >= "2026-03-10T06:00:00Z" && e.Timestamp < at));
  });
});

describe("zones", () => {
  test("by default Timestamps end in Z and a zone-less request timestamp is read as UTC", async () => {
    const data = await events(sim, {
      ...base,
      TimestampFrom: "2026-03-10T06:30:00",
      TimestampTo: "2026-03-10T06:30:00",
    });
    expect(data.map((e) => e.Timestamp)).toEqual(Array(5).fill("2026-03-10T06:30:00Z"));
  });
  test("zone-less mode renders Timestamps in the offset and reads zone-less requests in it", async () => {
    sim.setOptions({ zonelessTimestamps: true, zoneOffset: "+03:00" });
    const data = await events(sim, {
      ...base,
      TimestampFrom: "2026-03-10T09:30:00",
      TimestampTo: "2026-03-10T09:30:00",
    });
    expect(data.map((e) => e.Timestamp)).toEqual(Array(5).fill("2026-03-10T09:30:00"));
    const all = await events(sim, { ...base, WithTextDescription: "Yes" });
    expect(all.every((e) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(e.Timestamp as string))).toBe(true);
    const stop = all.find((e) => e.EventType === "PausedByDayBudget");
    expect((stop?.Attributes as Record<string, unknown>).StopTime).toBe(stop?.Timestamp);
    expect(
      await events(sim, { ...base, TimestampFrom: "2026-03-10T06:30:00Z", TimestampTo: "2026-03-10T06:30:00Z" }),
    ).toEqual(data);
    expect(sim.events({ login: "advertiser", from: "2026-03-10T09:30:00", to: "2026-03-10T09:30:00" })).toEqual(data);
  });
});

describe("maximum Limit", () => {
  test("clamped silently", async () => {
    sim.setOptions({ maxLimit: 25 });
    expect(await events(sim, { ...base, Limit: 100 })).toEqual(truth().slice(0, 25));
    expect(await events(sim, { ...base, Limit: 100, Offset: 25 })).toEqual(truth().slice(25, 50));
    expect(await events(sim, { ...base, Limit: 10 })).toHaveLength(10);
    expect(await events(sim, base)).toEqual(truth());
  });
  test("or rejected with error 8", async () => {
    sim.setOptions({ maxLimit: 25, overMaxLimit: "reject" });
    expect((await getEventsLog(sim, { ...base, Limit: 26 })).error_code).toBe(8);
    expect(await events(sim, { ...base, Limit: 25 })).toHaveLength(25);
  });
});

describe("late events", () => {
  test("a chance per request inserts events into the past while a client pages", async () => {
    const own = await startYandexDirectSimulator({ clock: clock.now, historyDays: 1, eventsPerHour: 20, seed: 3 });
    try {
      own.setOptions({ lateEventRate: 1, lateEventCount: 2, lateEventMaxAgeSec: 1800 });
      const before = own.countEvents("advertiser");
      const first = await events(own, { ...base, Limit: 10 });
      expect(own.countEvents("advertiser")).toBe(before + 2);
      await events(own, { ...base, Limit: 10, Offset: 10 });
      expect(own.countEvents("advertiser")).toBe(before + 4);
      expect(own.stats().extraEvents).toBe(4);
      const all = own.events({ login: "advertiser" });
      expect(await events(own, { TimestampFrom: "2026-03-09T00:00:00Z", Currency: "RUB", Limit: 10_000 })).toHaveLength(
        all.length + 2,
      );
      expect(first.length).toBe(10);
      const fresh = own.events({ login: "advertiser", from: clock.now() - 1_800_000 });
      expect(fresh.length).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
  });
});

describe("bursts", () => {
  test("generated bursts put identical events, more than a page, into one second", async () => {
    const own = await startYandexDirectSimulator({ clock: clock.now, historyDays: 1, burstRate: 1, burstSize: 150 });
    try {
      const all = own.events({ login: "advertiser" });
      const counts = new Map<string, number>();
      for (const e of all) counts.set(JSON.stringify(e), (counts.get(JSON.stringify(e)) ?? 0) + 1);
      expect(Math.max(...counts.values())).toBeGreaterThanOrEqual(150);
    } finally {
      await own.close();
    }
  });
  test("addBurst adds identical events that Offset pages read completely", async () => {
    const event = sim.addBurst("client-1", { at: "2026-03-10T03:00:00Z", count: 120 });
    const param = {
      TimestampFrom: "2026-03-10T03:00:00Z",
      TimestampTo: "2026-03-10T03:00:00Z",
      Currency: "RUB",
      Logins: ["client-1"],
    };
    const pages: Array<Record<string, unknown>> = [];
    for (let offset = 0; offset < 200; offset += 50) {
      pages.push(...(await events(sim, { ...param, Limit: 50, Offset: offset }, sim.agency.token)));
    }
    const burst = pages.filter((e) => JSON.stringify(e) === JSON.stringify(event));
    expect(burst).toHaveLength(120);
    expect(event).toMatchObject({ EventType: "MoneyIn", Attributes: { Payed: 1000, Currency: "RUB" } });
  });
});

describe("runtime options", () => {
  test("setOptions rejects unknown, start-only and bad values, naming them", () => {
    expect(() => sim.setOptions({ order: "random" as "ascending" })).toThrow(/`order`.*`random`/);
    expect(() => sim.setOptions({ seed: 3 } as object)).toThrow(/`seed`/);
    expect(() => sim.setOptions({ maxLimit: -1 })).toThrow(/`maxLimit`/);
    expect(sim.options().order).toBe("ascending");
  });
  test("options can be changed over HTTP too", async () => {
    const res = await fetch(`${sim.url}/__admin/options`, {
      method: "POST",
      body: JSON.stringify({ order: "descending" }),
    });
    expect(((await res.json()) as Record<string, unknown>).order).toBe("descending");
    expect(await events(sim, base)).toEqual(truth().reverse());
    const bad = await fetch(`${sim.url}/__admin/options`, {
      method: "POST",
      body: JSON.stringify({ toInclusive: "maybe" }),
    });
    expect(bad.status).toBe(400);
  });
});
