// Campaigns appear, end and come back; finished campaigns are polled on the slow schedule; faults,
// a refused token and a tariff limit never cost a row.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { runSync } from "../../src/sync/run-sync.engine.js";
import { type AltcraftScenario, DAY, HOUR, startAltcraftScenario } from "../support/altcraft-scenario.js";
import { useScenarioDatabase } from "../support/scenario-database.js";

const { database, start } = useScenarioDatabase(startAltcraftScenario);

const counts = (s: AltcraftScenario) => s.sim.requestCounts()[s.sim.tokens[0] ?? ""] ?? {};

describe("Altcraft campaigns over time", () => {
  it("follows campaigns appearing, ending and reactivating between runs, polling finished ones slowly", async () => {
    const scenario = await start({
      simulator: { campaigns: 5, completedShare: 0, inactiveShare: 0 },
      account: { slowPollInterval: "24h" },
    });
    const sim = scenario.sim;
    await scenario.run(database.warehouse);
    await scenario.expectGroundTruth(database.warehouse);

    // A campaign appears; another ends (inactive, completed, its log closed by an end row).
    const added = sim.addCampaign({ name: "Black Friday", type: "broadcast" });
    const ending = sim.campaigns()[0]?.id as number;
    sim.setCampaignState(ending, "completed");
    scenario.clock.now += HOUR;
    const second = await scenario.run(database.warehouse);
    expect(second.streams.map((s) => Number(s.identity.streamKey))).toContain(added.id);
    await scenario.expectGroundTruth(database.warehouse);
    const stored = await database.warehouse.db
      .selectFrom("altcraft.campaigns")
      .selectAll()
      .where("campaign_id", "=", ending)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ is_active: false, is_completed: true, status: "Completed" });
    expect(
      (
        await database.warehouse.db
          .selectFrom("altcraft.campaigns")
          .select("name")
          .where("campaign_id", "=", added.id)
          .executeTakeFirstOrThrow()
      ).name,
    ).toBe("Black Friday");

    // Within the slow interval the finished campaign costs no request at all.
    sim.resetRequestCounts();
    scenario.clock.now += HOUR;
    const third = await scenario.run(database.warehouse);
    expect(third.streams.map((s) => Number(s.identity.streamKey))).not.toContain(ending);
    const active = sim.campaigns().filter((c) => c.is_active).length;
    const listPages = counts(scenario)["campaigns/list"] ?? 0;
    // Each active campaign: one request, and a follow-up that proves the end when its lookback held rows.
    expect(counts(scenario)["campaigns/log_v2"]).toBeGreaterThanOrEqual(active);
    expect(counts(scenario)["campaigns/log_v2"]).toBeLessThanOrEqual(2 * active);
    expect(counts(scenario)["campaigns/get_status"] ?? 0).toBe(0);
    expect(listPages).toBe(2); // one page of campaigns, one empty page that proves the end

    // Reactivated, it is back on the normal schedule at once and its new rows load.
    sim.setCampaignState(ending, "active");
    scenario.clock.now += 2 * HOUR;
    const fourth = await scenario.run(database.warehouse);
    const back = fourth.streams.find((s) => Number(s.identity.streamKey) === ending);
    expect(back?.inserted).toBeGreaterThan(0);
    await scenario.expectGroundTruth(database.warehouse);

    // After the slow interval a finished campaign is polled again.
    sim.setCampaignState(ending, "completed");
    scenario.clock.now += HOUR;
    await scenario.run(database.warehouse);
    scenario.clock.now += 25 * HOUR;
    const later = await scenario.run(database.warehouse);
    expect(later.streams.map((s) => Number(s.identity.streamKey))).toContain(ending);
    await scenario.expectGroundTruth(database.warehouse);
  });

  it("retries 20% failing requests and stays exact", async () => {
    const scenario = await start({
      simulator: {
        campaigns: 6,
        faults: {
          serverErrorRate: 0.06,
          truncateRate: 0.04,
          garbageRate: 0.04,
          htmlRate: 0.03,
          hangRate: 0.03,
          hangMs: 5000,
        },
      },
      account: { pageLimit: 80, timeout: "400ms" },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.status).toBe("succeeded");
    expect(run.streams.reduce((n, s) => n + s.retries, 0)).toBeGreaterThan(0);
    await scenario.expectGroundTruth(database.warehouse);
  });

  it("fails the account whose token is refused (401) while another account completes", async () => {
    const scenario = await start({ simulator: { campaigns: 4 } });
    const sim = scenario.sim;
    const account = (name: string, token: string) => ({
      name,
      token,
      url: sim.url,
      startTime: new Date(scenario.startTime).toISOString(),
      retryMinDelay: "1ms",
      retryMaxDelay: "5ms",
    });
    const config = parseConfig(
      { sources: { altcraft: { accounts: [account("revoked", "${BAD}"), account("main", "${GOOD}")] } } },
      { BAD: "revoked-token", GOOD: sim.tokens[0] ?? "" },
    );
    const now = scenario.clock.now;
    const summary = await runSync({
      warehouse: database.warehouse,
      config,
      log: createLogger({ level: "silent" }),
      signal: new AbortController().signal,
      command: "test",
      now: () => new Date(now),
    });
    expect(summary.status).toBe("partial");
    expect(summary.accounts).toEqual([
      {
        source: "altcraft",
        account: "revoked",
        error: expect.stringMatching(/altcraft API error 401.*altcraft\/revoked/),
      },
    ]);
    expect(summary.streams.every((s) => s.identity.account === "main" && s.status === "succeeded")).toBe(true);
    await scenario.expectGroundTruth(database.warehouse);
    expect((sim.requestCounts()["revoked-token"] ?? {})["campaigns/list"]).toBe(1);
  });

  it("stops at the tariff limit (402) with progress kept, and a later run finishes the job", async () => {
    const scenario = await start({
      simulator: { campaigns: 5, tariffLimit: 8 },
      account: { pageLimit: 100, concurrency: 1 },
    });
    const first = await scenario.run(database.warehouse);
    // Every stream stopped at the limit: progress is kept, but nothing succeeded, so the run failed.
    expect(first.status).toBe("failed");
    expect(first.streams.some((s) => s.status === "partial" && /API error 402/.test(s.error ?? ""))).toBe(true);
    expect(first.streams.every((s) => s.retries === 0)).toBe(true);
    scenario.sim.setOptions({ tariffLimit: 0 });
    scenario.clock.now += DAY / 24;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
  });
});
