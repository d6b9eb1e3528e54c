// No page size is too small to be a clamp: whatever log_v2 caps a response at, the read ends only with
// evidence, every campaign's cursor reaches its newest row, and a millisecond the server will not give
// whole is reported as incomplete with its count while nothing else is lost.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/sync/event.identity.js";
import { resetStream } from "../../src/warehouse/streams.repository.js";
import { type AltcraftScenario, DAY, HOUR, startAltcraftScenario } from "../support/altcraft-scenario.js";
import { useScenarioDatabase } from "../support/scenario-database.js";

const { database, start } = useScenarioDatabase(startAltcraftScenario);

const CAPS = [1, 5, 20, 49, 50, 51, 60, 1000];

/**
 * Asserts each campaign holds every row the server can give under a cap of `cap` rows per response: all
 * rows, except beyond the first `cap` of a millisecond that holds more (no from_time pages inside one
 * millisecond), compared with the simulator's log up to its clock, so a read that stored nothing fails. The
 * stream's recorded unread count must be exactly those. Returns them per campaign.
 */
async function expectAllButUnreadable(s: AltcraftScenario, cap: number): Promise<Map<string, number>> {
  const unreadByCampaign = new Map<string, number>();
  let stored = 0;
  let simulated = 0;
  const streams = await database.warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_id", "stream_key", "cursor", "unread_events"])
    .where("source", "=", "altcraft")
    .execute();
  expect(
    streams.map((stream) => Number(stream.stream_key)).sort((a, b) => a - b),
    "a stream for every campaign of the server",
  ).toEqual(
    s.sim
      .campaigns()
      .map((c) => c.id)
      .sort((a, b) => a - b),
  );
  for (const stream of streams) {
    const perMs = new Map<string, number>();
    const readable: string[] = [];
    let unread = 0;
    // Every row the server holds up to its clock, whatever the cursor says: the caller asserts the read caught up.
    const events = s.sim.log(Number(stream.stream_key), { from: s.startTime, to: s.clock.now });
    expect(events.length, `the simulator's events of campaign ${stream.stream_key}`).toBeGreaterThan(0);
    for (const row of events) {
      const seen = perMs.get(row.time) ?? 0;
      perMs.set(row.time, seen + 1);
      if (seen < cap) readable.push(canonicalJson(row));
      else unread++;
    }
    const held = await database.warehouse.db
      .selectFrom("altcraft.campaign_log")
      .select(["raw"])
      .where("stream_id", "=", stream.stream_id)
      .execute();
    expect(held.map((r) => canonicalJson(r.raw)).sort(), `rows of campaign ${stream.stream_key}`).toEqual(
      readable.sort(),
    );
    expect(stream.unread_events ?? 0, `unread rows of campaign ${stream.stream_key}`).toBe(unread);
    expect(held.length + unread, `rows stored and unread of campaign ${stream.stream_key}`).toBe(events.length);
    unreadByCampaign.set(stream.stream_key, unread);
    stored += held.length;
    simulated += events.length;
  }
  expect(stored, "rows stored").toBeGreaterThan(0);
  expect(stored + [...unreadByCampaign.values()].reduce((a, b) => a + b, 0), "rows stored and unread").toBe(simulated);
  return unreadByCampaign;
}

describe("Altcraft sync against a server that caps every response", () => {
  it.each(CAPS)("is exact and caught up with at most %i rows per response, across runs", async (cap) => {
    const scenario = await start({
      simulator: { campaigns: 3, historyDays: cap < 20 ? 2 : 10, maxLimit: cap, overMaxLimit: "clamp" },
      account: { pageLimit: 1000 },
    });
    const first = await scenario.run(database.warehouse);
    const unread = await expectAllButUnreadable(scenario, cap);
    expect(first.streams.map((s) => [s.identity.streamKey, s.status])).toEqual(
      first.streams.map((s) => [
        s.identity.streamKey,
        (unread.get(s.identity.streamKey) ?? 0) > 0 ? "incomplete" : "succeeded",
      ]),
    );
    if (cap >= 20) expect([...unread.values()].every((n) => n === 0)).toBe(true);
    await scenario.expectCaughtUp(database.warehouse);
    scenario.clock.now += 6 * HOUR;
    const second = await scenario.run(database.warehouse);
    expect(second.streams.reduce((n, s) => n + s.inserted, 0)).toBeGreaterThan(0);
    await expectAllButUnreadable(scenario, cap);
    await scenario.expectCaughtUp(database.warehouse);
  });

  it("stays exact when the cap drops between two runs and within one", async () => {
    const scenario = await start({
      simulator: { campaigns: 3, maxLimit: 200, overMaxLimit: "clamp" },
      account: { pageLimit: 1000 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectCaughtUp(database.warehouse);
    scenario.sim.setOptions({ maxLimit: 30 });
    scenario.clock.now += 12 * HOUR;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
    // Within a run: after the first stored page the cap falls to 7.
    scenario.clock.now += 2 * DAY;
    let pages = 0;
    const sim = scenario.sim;
    const third = await scenario.run(database.warehouse, {
      onPage: () => void (++pages === 1 && sim.setOptions({ maxLimit: 7 })),
    });
    expect(third.status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
  });

  it("reports a millisecond with more identical rows than the cap as incomplete, with the count, and reads on", async () => {
    const scenario = await start({
      simulator: { campaigns: 2, maxLimit: 5, overMaxLimit: "clamp", historyDays: 3 },
      account: { pageLimit: 1000 },
    });
    const sim = scenario.sim;
    const [dense, plain] = sim.campaigns().map((c) => c.id) as [number, number];
    const at = scenario.clock.now - DAY + 321;
    sim.addBurst(dense, { time: at, count: 10, level: "WARNING", message: "Duplicate send", value: "" });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("partial");
    const byId = Object.fromEntries(run.streams.map((s) => [s.identity.streamKey, s]));
    expect(byId[String(plain)]?.status).toBe("succeeded");
    expect(byId[String(dense)]?.status).toBe("incomplete");
    expect(byId[String(dense)]?.unread).toEqual({ events: 5, at: new Date(at) });
    expect(byId[String(dense)]?.error).toMatch(
      /^5 events could not be read: campaign \d+: the server gave 5 rows of .* and would not page past them/,
    );
    // Everything but the five rows the server would not give is held, and the cursor went past them.
    await scenario.expectCaughtUp(database.warehouse);
    const stream = await database.warehouse.db
      .selectFrom("sync.streams")
      .selectAll()
      .where("stream_key", "=", String(dense))
      .executeTakeFirstOrThrow();
    expect(stream).toMatchObject({ status: "incomplete", unread_events: 5, unread_at: new Date(at) });
    const truth = sim.log(dense, { from: scenario.startTime, to: scenario.clock.now }).map((r) => canonicalJson(r));
    const held = await database.warehouse.db
      .selectFrom("altcraft.campaign_log")
      .select(["raw", "time"])
      .where("stream_id", "=", stream.stream_id)
      .execute();
    expect(held.length).toBe(truth.length - 5);
    expect(held.filter((r) => r.time.getTime() === at)).toHaveLength(5);
    const freshness = await database.warehouse.pool.query(
      "select status, unread_events, unread_at from sync.stream_freshness where stream = $1",
      [String(dense)],
    );
    expect(freshness.rows[0]).toEqual({ status: "incomplete", unread_events: 5, unread_at: new Date(at) });
    // The gap stays visible on the stream after later runs; nothing is read twice, nothing loops.
    scenario.clock.now += HOUR;
    const later = await scenario.run(database.warehouse);
    expect(later.streams.find((s) => s.identity.streamKey === String(dense))?.status).toBe("succeeded");
    expect(
      await database.warehouse.db
        .selectFrom("sync.streams")
        .select(["unread_events"])
        .where("stream_key", "=", String(dense))
        .executeTakeFirstOrThrow(),
    ).toEqual({ unread_events: 5 });
    // A reset to before the gap keeps it open (its events are still missing); the re-read meets it again
    // and replaces its count, never adds to it.
    await resetStream(database.warehouse.db, stream.stream_id, new Date(at - HOUR));
    expect(
      await database.warehouse.db
        .selectFrom("sync.streams")
        .select(["unread_events", "unread_at"])
        .where("stream_id", "=", stream.stream_id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ unread_events: 5, unread_at: new Date(at) });
    const reread = await scenario.run(database.warehouse);
    expect(reread.streams.find((s) => s.identity.streamKey === String(dense))).toMatchObject({
      status: "incomplete",
      unread: { events: 5, at: new Date(at) },
      inserted: 0,
    });
    expect(
      await database.warehouse.db
        .selectFrom("sync.streams")
        .select(["unread_events"])
        .where("stream_id", "=", stream.stream_id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ unread_events: 5 });
  });

  it.each(["+03:00", "-03:00"])(
    "fails with the zone hint when times without a zone are read as %s, and skips no row",
    async (zone) => {
      const scenario = await start({
        simulator: { campaigns: 2, naiveTimestamps: true },
        account: { timestampZone: zone, pageLimit: 50 },
      });
      const summary = await scenario.run(database.warehouse);
      expect(summary.streams.length).toBe(2);
      for (const stream of summary.streams) {
        expect(stream.status).toBe("failed");
        expect(stream.error).toContain(`set the account's timestampZone (now ${zone})`);
      }
      // What was stored before the guard tripped is a prefix of the log: no row after a skipped one.
      // (A later run fails the same way, loudly, until the zone is set right and the stream reset.)
      const streams = await database.warehouse.db
        .selectFrom("sync.streams")
        .select(["stream_id", "stream_key"])
        .where("source", "=", "altcraft")
        .execute();
      for (const stream of streams) {
        const held = await database.warehouse.db
          .selectFrom("altcraft.campaign_log")
          .select(["raw"])
          .where("stream_id", "=", stream.stream_id)
          .execute();
        const trueTime = (raw: unknown) => `${(raw as { time: string }).time}Z`;
        const newest = Math.max(...held.map((r) => Date.parse(trueTime(r.raw))));
        // (A page may end inside a millisecond: the rest of that one is read by the next page.)
        const truth = scenario.sim
          .log(Number(stream.stream_key), { from: scenario.startTime })
          .filter((r) => Date.parse(r.time) < newest);
        const before = held.filter((r) => Date.parse(trueTime(r.raw)) < newest);
        expect(before.map((r) => canonicalJson({ ...(r.raw as object), time: trueTime(r.raw) })).sort()).toEqual(
          truth.map((r) => canonicalJson(r)).sort(),
        );
      }
    },
  );
});
