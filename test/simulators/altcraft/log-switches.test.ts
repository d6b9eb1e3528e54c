// The Altcraft simulator's switches cover every plausible reading of log_v2's open questions, and late rows.
import { afterEach, describe, expect, test } from "vitest";
import type { AltcraftSimulator, AltcraftSimulatorOptions } from "../../../src/simulators/altcraft/index.js";
import { call, logPage, manualClock, type Row, small, T0, TOKEN } from "./helpers.js";

// Three fixture rows one millisecond apart, before any generated row of campaign 1.
const F0 = "2024-03-01T00:00:00.000Z";
const F1 = "2024-03-01T00:00:00.001Z";
const F2 = "2024-03-01T00:00:00.002Z";

let sim: AltcraftSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function withFixtures(options: AltcraftSimulatorOptions = {}): Promise<AltcraftSimulator> {
  sim = await small(options);
  sim.addLogRows(
    1,
    [F0, F1, F2].map((time, i) => ({ time, level: "INFO" as const, message: `fixture ${i}`, value: String(i) })),
  );
  return sim;
}
const times = (rows: Row[]) => rows.map((r) => r.time);

describe("log_v2 switches", () => {
  test("from_time is inclusive by default and exclusive when switched", async () => {
    const s = await withFixtures({ fromTimeInclusive: false });
    expect(times((await logPage(s, { id: 1, from_time: F1, limit: 1 })).data)).toEqual([F2]);
    s.setOptions({ fromTimeInclusive: true });
    expect(times((await logPage(s, { id: 1, from_time: F1, limit: 1 })).data)).toEqual([F1]);
  });

  test("without from_time: oldest N by default, newest N when switched (from_time still pages from its time)", async () => {
    const s = await withFixtures({ unfilteredPage: "newest" });
    const all = s.log(1);
    expect((await logPage(s, { id: 1, limit: 2 })).data).toEqual(all.slice(-2));
    expect(times((await logPage(s, { id: 1, from_time: F1, limit: 2 })).data)).toEqual([F1, F2]);
    s.setOptions({ unfilteredPage: "oldest" });
    expect(times((await logPage(s, { id: 1, limit: 2 })).data)).toEqual([F0, F1]);
  });

  test("rows within a page are ascending by default and descending when switched", async () => {
    const s = await withFixtures({ pageOrder: "descending" });
    expect(times((await logPage(s, { id: 1, limit: 3 })).data)).toEqual([F2, F1, F0]);
    s.setOptions({ pageOrder: "ascending" });
    expect(times((await logPage(s, { id: 1, limit: 3 })).data)).toEqual([F0, F1, F2]);
  });

  test("total_count counts rows matching from_time by default, all rows when switched", async () => {
    const s = await withFixtures({ totalCount: "all" });
    const all = s.log(1).length;
    expect((await logPage(s, { id: 1, from_time: F1, limit: 1 })).total_count).toBe(all);
    s.setOptions({ totalCount: "filtered" });
    expect((await logPage(s, { id: 1, from_time: F1, limit: 1 })).total_count).toBe(all - 1);
  });

  test("naive timestamps render time without a zone; from_time without a zone reads as UTC", async () => {
    const s = await withFixtures({ naiveTimestamps: true });
    const page = await logPage(s, { id: 1, from_time: "2024-03-01T00:00:00.001", limit: 1 });
    expect(times(page.data)).toEqual(["2024-03-01T00:00:00.001"]);
    s.setOptions({ naiveTimestamps: false });
    expect(times((await logPage(s, { id: 1, from_time: "2024-03-01T00:00:00.001", limit: 1 })).data)).toEqual([F1]);
    expect(times((await logPage(s, { id: 1, from_time: "2024-03-01T03:00:00.002+03:00", limit: 1 })).data)).toEqual([
      F2,
    ]);
  });

  test("a limit above maxLimit is clamped silently by default, rejected with 400 when switched", async () => {
    const s = await withFixtures({ maxLimit: 2 });
    expect((await logPage(s, { id: 1, limit: 10 })).data).toHaveLength(2);
    expect((await call<unknown[]>(s, "campaigns/list", { token: TOKEN, limit: 10 })).body.data).toHaveLength(2);
    s.setOptions({ overMaxLimit: "reject" });
    const rejected = await call(s, "campaigns/log_v2", { token: TOKEN, id: 1, limit: 3 });
    expect([rejected.status, rejected.body.error]).toEqual([400, 400]);
    expect((await call(s, "campaigns/list", { token: TOKEN, limit: 3 })).status).toBe(400);
    expect((await logPage(s, { id: 1, limit: 2 })).data).toHaveLength(2);
  });
});

describe("late rows", () => {
  test("with lateRowRate, a request inserts a row into the campaign's recent past", async () => {
    const clock = manualClock();
    sim = await small({ clock: clock.now, lateRowRate: 1, lateRowMaxAgeMs: 60_000 });
    const before = sim.log(1);
    await logPage(sim, { id: 1, limit: 1 });
    const after = sim.log(1);
    expect(after).toHaveLength(before.length + 1);
    const late = after.filter((r) => r.message === "Late delivery report");
    expect(late).toHaveLength(1);
    const at = Date.parse((late[0] as Row).time);
    expect(at).toBeGreaterThanOrEqual(T0 - 60_000);
    expect(at).toBeLessThanOrEqual(T0);
    sim.setOptions({ lateRowRate: 0 });
    await logPage(sim, { id: 1, limit: 1 });
    expect(sim.log(1)).toHaveLength(after.length);
  });

  test("addLogRows inserts rows at given times, served in time order after rows of the same time", async () => {
    sim = await small();
    const existing = sim.log(1)[5] as Row;
    sim.addLogRows(1, [{ time: existing.time, level: "ERROR", message: "added", state: "", value: "x" }]);
    const page = await logPage(sim, { id: 1, from_time: existing.time, limit: 1000 });
    const sameMs = page.data.filter((r) => r.time === existing.time);
    expect(sameMs[sameMs.length - 1]).toEqual({
      level: "ERROR",
      message: "added",
      time: existing.time,
      state: "",
      value: "x",
    });
    expect(page.data).toEqual(sim.log(1, { from: existing.time }).slice(0, page.data.length));
  });
});

describe("bursts of identical rows", () => {
  const identical = (rows: Row[]) => rows.every((r) => JSON.stringify(r) === JSON.stringify(rows[0]));

  test("generated runs hold bursts larger than a page when burstRate is set", async () => {
    sim = await small({ campaigns: 1, runsPerDay: 2, burstRate: 1, burstSize: 1_200 });
    const log = sim.log(1);
    const burst = log.filter((r) => r.message === "Message rejected by provider");
    expect(burst.length).toBeGreaterThanOrEqual(1_200);
    const first = burst[0] as Row;
    expect(identical(burst.slice(0, 1_200))).toBe(true);
    // The whole page sits in the burst's millisecond: from_time alone cannot move past it.
    const page = await logPage(sim, { id: 1, from_time: first.time, limit: 1000 });
    expect(page.data).toHaveLength(1000);
    expect(page.data.every((r) => r.time === first.time)).toBe(true);
    expect(page.data.filter((r) => JSON.stringify(r) === JSON.stringify(first)).length).toBeGreaterThanOrEqual(990);
  });

  test("addBurst adds count identical rows in one millisecond", async () => {
    sim = await small();
    const time = "2024-04-02T12:00:00.123Z";
    sim.addBurst(1, { time, count: 1_500, level: "INFO", message: "same", value: "v" });
    const page = await logPage(sim, { id: 1, from_time: time, limit: 1000 });
    expect(page.data).toHaveLength(1000);
    expect(identical(page.data)).toBe(true);
    expect(page.data[0]).toEqual({ level: "INFO", message: "same", time, state: "", value: "v" });
    expect(sim.log(1, { from: time, to: time }).filter((r) => r.message === "same")).toHaveLength(1_500);
  });
});
