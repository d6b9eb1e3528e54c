// A Yandex.Direct stream reads `requestsAhead` windows at once and stores them strictly in order. The proxy in
// front of the simulator (test/support/window-hold.ts) holds the earliest of several windows in flight until
// the later ones have read to their end, so their answers are complete first, with no timing: a reader that
// never has that many windows in flight waits until its request times out.
import { describe, expect, it } from "vitest";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { startWindowHold, type WindowHold } from "../support/window-hold.js";
import { DAY, startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);
const LOGIN = "client-1";

/** A scenario of one login with ~2,900 events over its last 4 days, behind a window hold. */
async function scenario(account: Record<string, unknown>) {
  let hold: WindowHold | undefined;
  const started = await start({
    logins: [LOGIN],
    simulator: { historyDays: 4, eventsPerHour: 30, concurrentRequests: 0 },
    // retries 0: a request held forever (a reader without windows in flight at once) fails at its timeout.
    account: { pageLimit: 20, maxWindow: "6h", concurrency: 3, timeout: "20s", retries: 0, ...account },
    front: async (upstream) => (hold = await startWindowHold(upstream)),
  });
  if (!hold) throw new Error("no window hold");
  return { ...started, hold };
}

/** The cursors of the stream's batches, in the order they were stored (early records leave it where it is). */
function storedCursors() {
  const cursors: number[] = [];
  return {
    cursors,
    onPage: (_: unknown, page: { cursor: Date | null }) => void cursors.push(page.cursor?.getTime() ?? Number.NaN),
  };
}

async function cursorOf(): Promise<Date | null> {
  const row = await database.warehouse.db
    .selectFrom("sync.streams")
    .select("cursor")
    .where("stream_key", "=", LOGIN)
    .executeTakeFirstOrThrow();
  return row.cursor;
}

/** Never back: a window's early records leave the cursor where it is (none yet: NaN), its end moves it on. */
function increasing(xs: number[]): boolean {
  const moved = xs.filter((x) => !Number.isNaN(x));
  return moved.length > 0 && moved.every((x, i) => i === 0 || x >= (moved[i - 1] as number));
}

describe("Yandex.Direct windows read ahead", () => {
  it("keeps requestsAhead windows of one stream in flight and stores them in order, exactly", async () => {
    const s = await scenario({ requestsAhead: 3 });
    // Windows from two days before the clock on: the window size is learned by then.
    s.hold.hold(s.clock.now - 2 * DAY, 3);
    const stored = storedCursors();
    const run = await s.run(database.warehouse, { onPage: stored.onPage });
    expect(run.streams[0]).toMatchObject({ status: "succeeded", duplicates: 0 });
    expect(s.hold.peak(LOGIN)).toBeGreaterThanOrEqual(3);
    // The two later windows were answered to their end before the earliest; it was still stored first.
    expect(s.hold.finishedBefore).toBe(2);
    expect(increasing(stored.cursors)).toBe(true);
    await s.expectGroundTruth(database.warehouse);
    await s.expectCaughtUp(database.warehouse);
  });

  it("a quota error on a middle window: the windows before it stored, the cursor at its start; the re-run is exact", async () => {
    const s = await scenario({ requestsAhead: 3 });
    s.hold.hold(s.clock.now - 2 * DAY, 3, true);
    const stored = storedCursors();
    const run = await s.run(database.warehouse, { onPage: stored.onPage });
    expect(run.streams[0]?.status).toBe("partial");
    expect(s.hold.finishedBefore).toBe(2);
    // The cursor is the failed window's start (TimestampFrom + 1 s): the end of the window before it.
    const failedWindow = (s.hold.earliest as number) + 1000;
    expect((await cursorOf())?.getTime()).toBe(failedWindow);
    expect(Math.max(...stored.cursors)).toBe(failedWindow);
    // Rows equal the source's events before the cursor; beyond it, only early records of the windows read after
    // it (handed on as they came, moving no cursor): real events, each stored once.
    await s.expectGroundTruth(database.warehouse);
    const again = await s.run(database.warehouse);
    expect(again.streams[0]?.status).toBe("succeeded");
    await s.expectGroundTruth(database.warehouse);
    await s.expectCaughtUp(database.warehouse);
  });

  it.each([
    { name: "requestsAhead 1", account: { requestsAhead: 1 } },
    { name: "economy", account: { requestsAhead: 3, completeness: "economy" } },
  ])("$name reads one window at a time, exactly", async ({ account }) => {
    const s = await scenario(account);
    const run = await s.run(database.warehouse);
    expect(run.streams[0]).toMatchObject({ status: "succeeded", duplicates: 0 });
    expect(s.hold.peak(LOGIN)).toBe(1);
    await s.expectGroundTruth(database.warehouse);
    await s.expectCaughtUp(database.warehouse);
  });
});
