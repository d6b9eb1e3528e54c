// The server model for log_v2: a response is the oldest rows from from_time on, as many as the server chooses
// per response (a fixed cap, a cap by bytes, a random one), with a total_count that counts the rows from
// from_time on, every row of the campaign, the rows in the response, or is missing. A rewriting proxy plays
// each. Every read ends exact, or `incomplete` with the exact count (or "unknown") — never `succeeded` with
// rows missing, never a false `incomplete`.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/sync/event.identity.js";
import {
  type AltcraftScenario,
  type AltcraftScenarioOptions,
  DAY,
  HOUR,
  startAltcraftScenario,
} from "../support/altcraft-scenario.js";
import { byteCap, type CapPolicy, fixedCap, requestCap, startCappingProxy } from "../support/capping-proxy.js";
import { useScenarioDatabase } from "../support/scenario-database.js";

const { database, start } = useScenarioDatabase(startAltcraftScenario);

type TotalCount = "filtered" | "all" | "response" | "missing";

function proxied(
  policy: CapPolicy,
  totalCount: TotalCount,
  options: AltcraftScenarioOptions = {},
): Promise<AltcraftScenario> {
  return start({
    ...options,
    simulator: { ...options.simulator, totalCount: totalCount === "all" ? "all" : "filtered" },
    front: (upstream) =>
      startCappingProxy({
        upstream,
        source: "altcraft",
        policy,
        totalCount: totalCount === "response" || totalCount === "missing" ? totalCount : "upstream",
      }),
  });
}

/** How many rows of the burst at `at` are held. */
function truth7(rows: { held: string[] }, at: number): number {
  const time = new Date(at).toISOString();
  return rows.held.filter((r) => (JSON.parse(r) as { time: string }).time === time).length;
}

interface StreamGaps {
  key: string;
  status: string;
  unread: number | null;
  openGaps: number;
  unknown: number;
}

async function gapsOf(): Promise<StreamGaps[]> {
  const rows = await database.warehouse.pool.query<{
    stream_key: string;
    status: string;
    unread: string | null;
    open_gaps: string;
    unknown: string;
  }>(
    `select s.stream_key, s.status,
            sum(g.unread_events) as unread,
            count(g.gap_id) as open_gaps,
            count(g.gap_id) filter (where g.gap_id is not null and g.unread_events is null) as unknown
       from sync.streams s left join sync.gaps g on g.stream_id = s.stream_id and g.closed_at is null
      where s.source = 'altcraft'
      group by s.stream_key, s.status order by s.stream_key`,
  );
  return rows.rows.map((r) => ({
    key: r.stream_key,
    status: r.status,
    unread: r.unread === null ? null : Number(r.unread),
    openGaps: Number(r.open_gaps),
    unknown: Number(r.unknown),
  }));
}

/** Rows held for a campaign and the rows the simulator holds up to the stream's cursor, as sorted texts. */
async function heldAndTruth(s: AltcraftScenario, campaign: number): Promise<{ held: string[]; truth: string[] }> {
  const stream = await database.warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_id", "cursor"])
    .where("source", "=", "altcraft")
    .where("stream_key", "=", String(campaign))
    .executeTakeFirstOrThrow();
  const rows = await database.warehouse.db
    .selectFrom("altcraft.campaign_log")
    .select(["raw"])
    .where("stream_id", "=", stream.stream_id)
    .execute();
  const truth = stream.cursor
    ? s.sim.log(campaign, { from: s.startTime, to: stream.cursor.getTime() }).map((r) => canonicalJson(r))
    : [];
  return { held: rows.map((r) => canonicalJson(r.raw)).sort(), truth: truth.sort() };
}

describe("Altcraft against every server of the model", () => {
  // Kills: a total_count no larger than the page taken as the end of the log.
  it("is exact when total_count is the rows in the response and the cap is 50", async () => {
    const scenario = await proxied(fixedCap(50), "response", { simulator: { campaigns: 3, historyDays: 5 } });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    expect(await scenario.expectGroundTruth(database.warehouse)).toBeGreaterThan(300);
    await scenario.expectCaughtUp(database.warehouse);
    scenario.clock.now += 6 * HOUR;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
  });

  // Kills: a response smaller than the largest one taken as the end (a remembered capacity).
  it.each<TotalCount>(["all", "filtered", "missing"])(
    "is exact under a cap of about 4 KB with total_count %s",
    async (totalCount) => {
      const scenario = await proxied(byteCap(4_000), totalCount, { simulator: { campaigns: 3, historyDays: 5 } });
      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      expect(await scenario.expectGroundTruth(database.warehouse)).toBeGreaterThan(300);
      await scenario.expectCaughtUp(database.warehouse);
    },
  );

  // Kills: any size-based end, across runs with late rows.
  it("is exact across runs under a random cap", async () => {
    // The cap follows the request (campaign, from_time, limit), not the order requests arrive in: campaigns
    // read concurrently would otherwise draw the seed's caps in a different order on every run of the test.
    const scenario = await proxied(requestCap(5, 1, 60), "filtered", {
      simulator: { campaigns: 3, historyDays: 3, lateRowRate: 0.2 },
    });
    for (let i = 0; i < 3; i++) {
      await scenario.run(database.warehouse);
      for (const g of await gapsOf()) {
        // A millisecond this cap cannot give whole is counted exactly; everything else is held.
        if (g.status === "succeeded") expect(g.openGaps).toBe(0);
        expect(g.unknown).toBe(0);
      }
      scenario.clock.now += 4 * HOUR;
    }
  });

  // Kills: a stuck millisecond of identical rows taken as read; a gap counted as 0 when unknown.
  it.each<[TotalCount, "exact" | "unknown"]>([
    ["filtered", "exact"],
    ["all", "unknown"],
    ["response", "unknown"],
    ["missing", "unknown"],
  ])(
    "reports 7 identical rows in one millisecond under a cap of 3 with total_count %s as incomplete, the count %s",
    async (totalCount, count) => {
      const cap = 3;
      const scenario = await proxied(fixedCap(cap), totalCount, { simulator: { campaigns: 2, historyDays: 2 } });
      const [dense] = scenario.sim.campaigns().map((c) => c.id) as [number];
      const at = scenario.clock.now - DAY + 321;
      scenario.sim.addBurst(dense, { time: at, count: 7 });
      const expectGaps = async () => {
        const gaps = Object.fromEntries((await gapsOf()).map((g) => [g.key, g]));
        for (const campaign of scenario.sim.campaigns()) {
          // Beyond the first `cap` rows of a millisecond, log_v2 cannot page: those rows are unreadable.
          const { held, truth } = await heldAndTruth(scenario, campaign.id);
          const perMs = new Map<string, number>();
          for (const row of scenario.sim.log(campaign.id, { from: scenario.startTime, to: scenario.clock.now }))
            perMs.set(row.time, (perMs.get(row.time) ?? 0) + 1);
          const unreadable = [...perMs.values()].reduce((n, k) => n + Math.max(0, k - cap), 0);
          expect(truth.length - held.length, `rows missing in campaign ${campaign.id}`).toBe(unreadable);
          const gap = gaps[String(campaign.id)];
          if (unreadable === 0) {
            expect(gap, `campaign ${campaign.id}`).toMatchObject({ status: "succeeded", openGaps: 0 });
            continue;
          }
          expect(gap?.status).toBe("incomplete");
          if (count === "exact") expect(gap).toMatchObject({ unread: unreadable, unknown: 0 });
          else expect(gap?.unknown).toBeGreaterThan(0);
        }
        expect(truth7(await heldAndTruth(scenario, dense), at)).toBe(cap);
      };
      await scenario.run(database.warehouse);
      await expectGaps();
      // Every row but the unreadable ones is held, and each read went on past them.
      await scenario.expectCaughtUp(database.warehouse);
      // A later run re-reads its lookback: the same gaps, the same counts, never added again.
      scenario.clock.now += HOUR;
      await scenario.run(database.warehouse);
      const before = await gapsOf();
      scenario.clock.now += HOUR;
      await scenario.run(database.warehouse);
      expect((await gapsOf()).map((g) => [g.key, g.unread, g.openGaps])).toEqual(
        before.map((g) => [g.key, g.unread, g.openGaps]),
      );
    },
  );

  // Kills: a page over two adjacent milliseconds taken for one stuck millisecond.
  it("reads the vendor's example — finished at .504, total time at .505, total_count not falling — as complete", async () => {
    const scenario = await proxied(fixedCap(1000), "all", { simulator: { campaigns: 1, historyDays: 1 } });
    const [id] = scenario.sim.campaigns().map((c) => c.id) as [number];
    const base = scenario.clock.now - HOUR;
    scenario.sim.addLogRows(id, [
      { time: base + 504, level: "INFO", message: "Campaign finished", state: "end" },
      { time: base + 505, level: "INFO", message: "Total time spent", value: "138.351985ms" },
    ]);
    const run = await scenario.run(database.warehouse);
    expect(run.streams.map((s) => [s.status, s.error ?? null])).toEqual([["succeeded", null]]);
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
    expect((await gapsOf())[0]?.openGaps).toBe(0);
  });
});

describe("Altcraft in economy mode", () => {
  // Kills: economy costing as much as strict (the shortcut never taken); strict costing more than 2 per stream.
  it("ends an incremental read in one request per campaign where strict takes at most two", async () => {
    const requestsOf = async (completeness: "strict" | "economy") => {
      const scenario = await start({
        accountName: completeness,
        simulator: { campaigns: 4, historyDays: 2, completedShare: 0, inactiveShare: 0 },
        account: { completeness, auditShare: 0, lookback: "12h" },
      });
      await scenario.run(database.warehouse);
      scenario.clock.now += 5 * 60_000;
      scenario.sim.resetRequestCounts();
      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      await scenario.expectGroundTruth(database.warehouse);
      const counts = scenario.sim.requestCounts()[scenario.sim.tokens[0] ?? ""] ?? {};
      await scenario.close();
      return counts["campaigns/log_v2"] ?? 0;
    };
    const strict = await requestsOf("strict");
    const economy = await requestsOf("economy");
    // Strict: the read and the follow-up that proves its end. Economy: the first read of the run is audited.
    expect(strict).toBe(8);
    expect(economy).toBe(5);
  });
});
