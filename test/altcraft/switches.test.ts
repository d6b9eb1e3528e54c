// Exact under every reading of log_v2's open questions, with identical rows in one millisecond.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/sync/event.identity.js";
import { DAY, HOUR, startAltcraftScenario } from "../support/altcraft-scenario.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { emptyWarehouse } from "../support/test-database.js";

const { database, start } = useScenarioDatabase(startAltcraftScenario);

const cases = [true, false].flatMap((fromTimeInclusive) =>
  (["ascending", "descending"] as const).flatMap((pageOrder) =>
    (["filtered", "all"] as const).map((totalCount) => ({ fromTimeInclusive, pageOrder, totalCount })),
  ),
);

describe("Altcraft sync under every reading of log_v2", () => {
  it.each(cases)(
    "is exact with from_time inclusive $fromTimeInclusive, $pageOrder pages, total_count $totalCount",
    async (switches) => {
      const scenario = await start({
        simulator: { campaigns: 4, burstRate: 0.1, burstSize: 30, ...switches },
        account: { pageLimit: 40 },
      });
      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      await scenario.expectGroundTruth(database.warehouse);
      scenario.clock.now += 6 * HOUR;
      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      await scenario.expectGroundTruth(database.warehouse);
      // Under the "all rows" reading the gap is what lies before the configured start time; else 0.
      const gaps = await database.warehouse.pool.query<{ gap: number; campaign: string }>(
        "select completeness_gap as gap, stream_key as campaign from sync.stream_runs join sync.streams using (stream_id) where completeness_gap is not null",
      );
      expect(gaps.rows.length).toBeGreaterThan(0);
      const sim = scenario.sim;
      const before = (id: string) => sim.log(Number(id)).filter((r) => Date.parse(r.time) < scenario.startTime).length;
      expect(gaps.rows.map((r) => r.gap)).toEqual(
        gaps.rows.map((r) => (switches.totalCount === "all" ? before(r.campaign) : 0)),
      );
    },
  );

  it("keeps identical rows in one millisecond across a page boundary", async () => {
    const scenario = await start({ simulator: { campaigns: 2 }, account: { pageLimit: 50 } });
    const id = scenario.sim.campaigns()[0]?.id as number;
    const at = scenario.clock.now - 3 * DAY + 123;
    // 30 distinct rows just before, then 45 identical ones: the first page (50) ends inside the burst.
    scenario.sim.addLogRows(
      id,
      Array.from({ length: 30 }, (_, i) => ({
        time: at - 100 + i,
        level: "INFO",
        message: `step ${i}`,
        state: "",
        value: "",
      })),
    );
    scenario.sim.addBurst(id, { time: at, count: 45, level: "WARNING", message: "Duplicate send", value: "" });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    const burst = await database.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from altcraft.campaign_log where campaign_id = $1 and time = $2",
      [id, new Date(at)],
    );
    expect(burst.rows[0]?.n).toBe(45);
  });

  it("raises limit for a full page inside one millisecond, and reports what it cannot read when even that is not enough", async () => {
    const scenario = await start({ simulator: { campaigns: 2 }, account: { pageLimit: 50, maxPageLimit: 400 } });
    const [first, second] = scenario.sim.campaigns().map((c) => c.id) as [number, number];
    scenario.sim.addBurst(first, { time: scenario.clock.now - DAY, count: 180 });
    scenario.sim.addBurst(second, { time: scenario.clock.now - DAY, count: 900 });
    const run = await scenario.run(database.warehouse);
    const byId = Object.fromEntries(run.streams.map((s) => [s.identity.streamKey, s]));
    expect(byId[String(first)]?.status).toBe("succeeded");
    expect(byId[String(second)]?.status).toBe("incomplete");
    expect(byId[String(second)]?.error).toMatch(
      /^500 events could not be read: campaign \d+: .* holds more rows than the largest page \(limit 400; raise maxPageLimit to read them\)/,
    );
    expect(byId[String(second)]?.unread).toEqual({ events: 500, at: new Date(scenario.clock.now - DAY) });
    // The read stepped past the burst: every later row is held and the cursor reached the newest one.
    await scenario.expectCaughtUp(database.warehouse);
    const rest = await database.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from altcraft.campaign_log where campaign_id = $1 and time > $2",
      [second, new Date(scenario.clock.now - DAY)],
    );
    expect(rest.rows[0]?.n).toBe(scenario.sim.log(second, { from: scenario.clock.now - DAY + 1 }).length);
    const held = await database.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from altcraft.campaign_log where campaign_id = $1 and time = $2",
      [first, new Date(scenario.clock.now - DAY)],
    );
    expect(held.rows[0]?.n).toBe(180);
  });

  it("loads identical rows from JSON and XML", async () => {
    const rowsOf = async (format: "json" | "xml") => {
      const scenario = await start({
        simulator: { campaigns: 3, xmlQuotedStrings: format === "xml" },
        account: { format, tokenIn: format === "xml" ? "header" : "body" },
      });
      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      await scenario.expectGroundTruth(database.warehouse);
      const rows = await database.warehouse.pool.query<{
        event_key: string;
        raw: unknown;
        time: Date;
        level: string;
        message: string;
        state: string;
        value: string;
        value_ms: number | null;
      }>(
        "select event_key, raw, time, level, message, state, value, value_ms from altcraft.campaign_log order by event_key",
      );
      await scenario.close();
      await emptyWarehouse(database.warehouse);
      return rows.rows;
    };
    const json = await rowsOf("json");
    const xml = await rowsOf("xml");
    expect(json.length).toBeGreaterThan(50);
    expect(xml).toEqual(json);
  });

  it("reads times without a zone, and a silently clamped limit", async () => {
    const scenario = await start({
      simulator: { campaigns: 3, naiveTimestamps: true, maxLimit: 60, overMaxLimit: "clamp" },
      account: { pageLimit: 500 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    const streams = await database.warehouse.db
      .selectFrom("sync.streams")
      .select(["stream_id", "stream_key", "cursor"])
      .execute();
    for (const stream of streams) {
      const truth = scenario.sim
        .log(Number(stream.stream_key), { from: scenario.startTime, to: stream.cursor?.getTime() ?? 0 })
        .map((r) => `${r.time}|${r.message}|${r.value}`)
        .sort();
      const rows = await database.warehouse.pool.query<{
        time: Date;
        message: string;
        value: string;
        raw: { time: string };
      }>("select time, message, value, raw from altcraft.campaign_log where stream_id = $1", [stream.stream_id]);
      expect(rows.rows.every((r) => !r.raw.time.endsWith("Z"))).toBe(true);
      expect(rows.rows.map((r) => `${r.time.toISOString()}|${r.message}|${r.value}`).sort()).toEqual(truth);
    }
    // Read to the end, not only right so far: every cursor reached its campaign's newest row.
    await scenario.expectCaughtUp(database.warehouse);
  });

  it("re-reads the lookback and picks up rows registered late", async () => {
    const scenario = await start({ simulator: { campaigns: 3 }, account: { lookback: "1h" } });
    await scenario.run(database.warehouse);
    // An active campaign: a finished one is on the slow schedule and not read again so soon.
    const id = scenario.sim.campaigns().find((c) => c.is_active)?.id as number;
    const cursor = await database.warehouse.db
      .selectFrom("sync.streams")
      .select("cursor")
      .where("stream_key", "=", String(id))
      .executeTakeFirstOrThrow();
    const late = {
      time: (cursor.cursor?.getTime() ?? scenario.clock.now) - 20 * 60_000,
      level: "ERROR" as const,
      message: "Late delivery report",
      state: "" as const,
      value: "",
    };
    scenario.sim.addLogRows(id, [late]);
    scenario.clock.now += 60_000;
    await scenario.run(database.warehouse);
    await scenario.expectGroundTruth(database.warehouse);
    const found = await database.warehouse.pool.query(
      "select raw from altcraft.campaign_log where message = 'Late delivery report'",
    );
    expect(found.rows.map((r: { raw: unknown }) => canonicalJson(r.raw))).toHaveLength(1);
  });
});
