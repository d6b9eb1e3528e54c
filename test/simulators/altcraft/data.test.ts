// The Altcraft simulator's data: deterministic per seed, shaped like the real log, served up to its clock, compact.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, test } from "vitest";
import { type AltcraftSimulator, goDuration, startAltcraftSimulator } from "../../../src/simulators/altcraft/index.js";
import { call, type Envelope, logPage, manualClock, type Row, small, T0, TOKEN } from "./helpers.js";

const HOUR = 3_600_000;
const DURATION = /^(\d+(\.\d+)?(ns|µs|ms|s)|\d+m\d+(\.\d+)?s|\d+h\d+m\d+(\.\d+)?s)$/;

let sims: AltcraftSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});
async function track(p: Promise<AltcraftSimulator>): Promise<AltcraftSimulator> {
  const s = await p;
  sims.push(s);
  return s;
}

/** Splits a log into runs at each start row. */
function runs(rows: Row[]): Row[][] {
  const out: Row[][] = [];
  for (const row of rows) {
    if (row.state === "start") out.push([]);
    out[out.length - 1]?.push(row);
  }
  return out;
}

describe("generated data", () => {
  test("the same seed gives the same data; another seed other data", async () => {
    const [a, b, c] = await Promise.all([
      track(small({ seed: 7 })),
      track(small({ seed: 7 })),
      track(small({ seed: 8 })),
    ]);
    expect(a.campaigns()).toEqual(b.campaigns());
    expect(a.log(1)).toEqual(b.log(1));
    expect(a.log(1)).not.toEqual(c.log(1));
  });

  test("runs are bracketed by start and end rows, then a Total time spent row 1 ms later", async () => {
    const s = await track(small({ campaigns: 2, historyDays: 2, rowsPerRun: 40 }));
    const levels = new Set<string>();
    const values: string[] = [];
    for (const { id } of s.campaigns()) {
      const all = runs(s.log(id));
      expect(all.length).toBeGreaterThan(4);
      for (const run of all.slice(0, -1)) {
        const [first] = run;
        const end = run[run.length - 2] as Row;
        const total = run[run.length - 1] as Row;
        expect(first).toMatchObject({ level: "INFO", message: "Begin campaign", state: "start", value: "" });
        expect(end).toMatchObject({ message: "Campaign finished", state: "end" });
        expect(total).toMatchObject({ message: "Total time spent", state: "" });
        expect(Date.parse(total.time) - Date.parse(end.time)).toBe(1);
        expect(total.value).toMatch(DURATION);
        values.push(total.value);
        for (const row of run) levels.add(row.level);
      }
    }
    expect([...levels].sort()).toEqual(["DEBUG", "ERROR", "INFO", "WARNING"]);
    expect(values.some((v) => v.endsWith("ms"))).toBe(true);
    expect(values.some((v) => /\d+(\.\d+)?s$/.test(v) && !v.endsWith("ms"))).toBe(true);
  });

  test("durations are written as Go writes them", () => {
    expect(goDuration(138_351_985)).toBe("138.351985ms");
    expect(goDuration(2_500_000_000)).toBe("2.5s");
    expect(goDuration(63_000_000_000)).toBe("1m3s");
    expect(goDuration(3_723_500_000_000)).toBe("1h2m3.5s");
  });

  test("campaign types are broadcast, regular, trigger and splittest", async () => {
    const s = await track(small({ campaigns: 30, historyDays: 0.1 }));
    expect([...new Set(s.campaigns().map((c) => c.type))].sort()).toEqual([
      "broadcast",
      "regular",
      "splittest",
      "trigger",
    ]);
  });

  test("only rows up to the clock are served, and the log grows as the clock moves", async () => {
    const clock = manualClock();
    const s = await track(small({ clock: clock.now }));
    const before = s.log(1);
    expect(before.every((r) => Date.parse(r.time) <= T0)).toBe(true);
    const ahead = new Date(T0 + 1).toISOString();
    expect((await logPage(s, { id: 1, from_time: ahead })).data).toEqual([]);
    clock.advance(12 * HOUR);
    const later = (await logPage(s, { id: 1, from_time: ahead })).data;
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((r) => Date.parse(r.time) <= T0 + 12 * HOUR)).toBe(true);
    expect(s.log(1)).toEqual([...before, ...later]);
  });

  test("paging with from_time = last time - 1 ms reads exactly the ground truth", async () => {
    const s = await track(small({ rowsPerRun: 30 }));
    const got: Row[] = [];
    let from: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = await logPage(s, { id: 1, limit: 50, ...(from ? { from_time: from } : {}) });
      const last = page.data[page.data.length - 1];
      if (!last) break;
      // The page holds every row from from_time on (up to the limit): it replaces what was read from there.
      const cut = from === undefined ? 0 : got.findIndex((r) => r.time >= (from as string));
      if (cut >= 0) got.splice(cut);
      got.push(...page.data);
      if (page.data.length < 50) break;
      from = new Date(Date.parse(last.time) - 1).toISOString();
    }
    expect(got).toEqual(s.log(1));
  });

  test("a million rows fit in the typed columns (under 30 bytes a row)", async () => {
    const s = await track(simulatorOfDays(7));
    const stats = s.stats();
    expect(stats.rows).toBeGreaterThanOrEqual(1_000_000);
    expect(stats.logBytes / stats.rows).toBeLessThan(30);
    const page = await fetch(`${s.apiUrl}campaigns/log_v2`, {
      method: "POST",
      body: JSON.stringify({ token: s.tokens[0], id: 1 }),
    });
    expect(((await page.json()) as Envelope<Row[]>).data).toHaveLength(1000);
  });

  test("what a simulator retains grows by under 30 bytes a row: nothing per row beside the typed columns", async () => {
    // Measured after full collections, as the difference between two sizes of log: what the server and
    // the campaigns cost whatever the size cancels out, and garbage of the generation is not counted.
    // The columns take ≈ 24 bytes a row; one JS object or string per row would add 40 or more, even a
    // reference per row 8.
    const small = await retainedBy(() => simulatorOfDays(2));
    const large = await retainedBy(() => simulatorOfDays(7));
    expect(large.rows - small.rows).toBeGreaterThan(500_000);
    const bytesPerRow = (large.bytes - small.bytes) / (large.rows - small.rows);
    expect(bytesPerRow, "the columns are counted").toBeGreaterThan(10);
    expect(bytesPerRow, `${bytesPerRow.toFixed(1)} bytes a row`).toBeLessThan(30);
  });
});

/** 10 campaigns of 96 runs a day of 150 rows: ≈ 144,000 rows a day of history. */
function simulatorOfDays(historyDays: number): Promise<AltcraftSimulator> {
  return startAltcraftSimulator({
    clock: () => T0,
    campaigns: 10,
    runsPerDay: 96,
    historyDays,
    rowsPerRun: 150,
    completedShare: 0,
    inactiveShare: 0,
  });
}

/** A full collection, as `node --expose-gc` offers it, without starting the test runner with that flag. */
function collectGarbage(): void {
  setFlagsFromString("--expose_gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
}

/** Heap and array-buffer memory the simulator holds while open, and its rows; closed afterwards. */
async function retainedBy(start: () => Promise<AltcraftSimulator>): Promise<{ bytes: number; rows: number }> {
  const used = () => {
    collectGarbage();
    const memory = process.memoryUsage();
    return memory.heapUsed + memory.arrayBuffers;
  };
  const before = used();
  const s = await start();
  try {
    return { bytes: used() - before, rows: s.stats().rows };
  } finally {
    await s.close();
  }
}

describe("campaign lifecycle", () => {
  test("campaigns created after start are not listed before their creation", async () => {
    const clock = manualClock();
    const s = await track(small({ clock: clock.now, campaignsCreatedLater: 2, campaignCreationIntervalMs: HOUR }));
    const list = async () =>
      (await call<Array<{ id: number }>>(s, "campaigns/list", { token: TOKEN })).body.data.map((c) => c.id);
    const atStart = await list();
    expect(atStart).toHaveLength(3);
    clock.advance(HOUR);
    const later = await list();
    expect(later).toHaveLength(4);
    const added = later[3] as number;
    expect(s.log(added)[0]).toMatchObject({ message: "Begin campaign", time: new Date(T0 + HOUR).toISOString() });
    expect((await call(s, "campaigns/get_status", { token: TOKEN, id: added + 1 })).body.error).toBe(404);
  });

  test("completing campaigns end their log with an end row and report Completed", async () => {
    const clock = manualClock();
    const s = await track(small({ clock: clock.now, campaigns: 6, completedShare: 1 }));
    expect(s.campaigns().some((c) => c.status === "Completed")).toBe(true);
    clock.advance(12 * HOUR);
    for (const { id } of s.campaigns()) {
      const status = await call(s, "campaigns/get_status", { token: TOKEN, id });
      expect(status.body.data).toEqual({ is_active: false, is_completed: true, status: "Completed" });
      const tail = s.log(id).slice(-2);
      expect(tail.map((r) => [r.state, r.message])).toEqual([
        ["end", "Campaign finished"],
        ["", "Total time spent"],
      ]);
    }
  });

  test("inactiveShare campaigns stop without completing", async () => {
    const clock = manualClock();
    const s = await track(small({ clock: clock.now, campaigns: 2, inactiveShare: 1 }));
    clock.advance(12 * HOUR);
    expect(s.campaigns().map((c) => [c.is_active, c.is_completed, c.status])).toEqual([
      [false, false, "Inactive"],
      [false, false, "Inactive"],
    ]);
  });

  test("addCampaign, then deactivate mid-run, complete, and reactivate through the handle", async () => {
    const clock = manualClock();
    const s = await track(small({ clock: clock.now, rowsPerRun: 40, rowGapMs: 1_000 }));
    const added = s.addCampaign({ name: "Handle campaign", type: "trigger" });
    expect(added).toMatchObject({ name: "Handle campaign", type: "trigger", status: "Active" });
    clock.advance(1);
    expect(s.setCampaignState(added.id, "inactive")).toMatchObject({
      is_active: false,
      is_completed: false,
      status: "Inactive",
    });
    const cut = s.log(added.id);
    expect(cut.slice(-2).map((r) => r.state)).toEqual(["end", ""]);
    expect(cut.every((r) => Date.parse(r.time) <= T0 + 1)).toBe(true);
    clock.advance(12 * HOUR);
    expect(s.log(added.id)).toEqual(cut);
    expect(s.setCampaignState(added.id, "completed").status).toBe("Completed");
    const reactivated = s.setCampaignState(added.id, "active");
    expect(reactivated).toMatchObject({ is_active: true, is_completed: false, status: "Active" });
    expect(s.log(added.id).slice(cut.length)[0]).toMatchObject({ message: "Begin campaign", state: "start" });
    clock.advance(HOUR);
    expect(s.log(added.id).length).toBeGreaterThan(cut.length + 3);
  });
});
