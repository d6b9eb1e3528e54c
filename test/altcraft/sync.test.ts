// Altcraft end to end: a backfill, then only what is new, then nothing; typed columns; campaign selection.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { createHttpAgent } from "../../src/http/http.post.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { planJobs } from "../../src/sync/run-sync.engine.js";
import { HOUR, startAltcraftScenario } from "../support/altcraft-scenario.js";
import { useScenarioDatabase } from "../support/scenario-database.js";

const { database, start } = useScenarioDatabase(startAltcraftScenario);

describe("Altcraft sync", () => {
  it("backfills many campaigns, then loads only what is new, then nothing", async () => {
    const scenario = await start({ simulator: { campaigns: 12 } });
    const first = await scenario.run(database.warehouse);
    expect(first.status).toBe("succeeded");
    expect(first.streams.length).toBe(scenario.sim.campaigns().length);
    const backfilled = await scenario.expectGroundTruth(database.warehouse);
    expect(backfilled).toBeGreaterThan(100);
    const campaigns = await database.warehouse.db.selectFrom("altcraft.campaigns").selectAll().execute();
    expect(campaigns.map((c) => c.campaign_id).sort((a, b) => a - b)).toEqual(
      scenario.sim.campaigns().map((c) => c.id),
    );

    scenario.clock.now += 12 * HOUR;
    const second = await scenario.run(database.warehouse);
    expect(second.status).toBe("succeeded");
    const inserted = second.streams.reduce((n, s) => n + s.inserted, 0);
    expect(inserted).toBeGreaterThan(0);
    expect(await scenario.expectGroundTruth(database.warehouse)).toBe(backfilled + inserted);

    const third = await scenario.run(database.warehouse);
    expect(third.streams.reduce((n, s) => n + s.inserted, 0)).toBe(0);
    expect(await scenario.expectGroundTruth(database.warehouse)).toBe(backfilled + inserted);
    const gaps = await database.warehouse.pool.query<{ gap: number | null }>(
      "select completeness_gap as gap from sync.stream_runs where run_id = $1 and status = 'succeeded'",
      [third.runId],
    );
    expect(gaps.rows.length).toBeGreaterThan(0);
    expect(gaps.rows.every((r) => r.gap === 0)).toBe(true);
  });

  it("types the log: millisecond times, levels, states, values and durations in milliseconds", async () => {
    const scenario = await start({ simulator: { campaigns: 3 } });
    await scenario.run(database.warehouse);
    const rows = await database.warehouse.pool.query<{
      message: string;
      value: string;
      value_ms: number | null;
      level: string;
      state: string;
      time: Date;
      raw: { time: string };
    }>("select message, value, value_ms, level, state, time, raw from altcraft.campaign_log order by time");
    const spent = rows.rows.filter((r) => r.message === "Total time spent");
    expect(spent.length).toBeGreaterThan(0);
    expect(spent.filter((r) => r.value_ms === null || r.value_ms < 0)).toEqual([]);
    const inMs = spent.find((r) => /^\d+(\.\d+)?ms$/.test(r.value));
    expect(inMs?.value_ms).toBeCloseTo(Number(inMs?.value.slice(0, -2)), 6);
    expect(new Set(rows.rows.map((r) => r.state))).toEqual(new Set(["start", "end", ""]));
    expect(rows.rows.every((r) => r.time.toISOString() === r.raw.time)).toBe(true);
  });

  it("syncs only the campaigns the configuration chooses (ids, type, active flag, tags)", async () => {
    const scenario = await start({ simulator: { campaigns: 12 } });
    const all = scenario.sim.campaigns();
    const streamsOf = async (campaigns: Record<string, unknown>) => {
      const { sim } = scenario;
      const config = parseConfig(
        { sources: { altcraft: { accounts: [{ name: "main", token: "${T}", url: sim.url, campaigns }] } } },
        { T: sim.tokens[0] ?? "" },
      );
      const agent = createHttpAgent();
      try {
        const plan = await planJobs(
          {
            config,
            warehouse: database.warehouse,
            log: createLogger({ level: "silent" }),
            signal: new AbortController().signal,
            agent,
          },
          {},
          () => new Date(scenario.clock.now),
        );
        return plan.jobs.map((j) => Number(j.identity.streamKey)).sort((a, b) => a - b);
      } finally {
        await agent.close();
      }
    };
    const ids = all.slice(0, 3).map((c) => c.id);
    expect(await streamsOf({ ids })).toEqual(ids);
    const type = all[0]?.type as string;
    expect(await streamsOf({ type })).toEqual(all.filter((c) => c.type === type).map((c) => c.id));
    expect(await streamsOf({ isActive: true })).toEqual(all.filter((c) => c.is_active).map((c) => c.id));
    const tag = all[1]?.ui_tags[0] as string;
    expect(await streamsOf({ tags: [tag] })).toEqual(all.filter((c) => c.ui_tags.includes(tag)).map((c) => c.id));
    expect((await streamsOf({ ids, type })).every((id) => ids.includes(id))).toBe(true);
  });
});
