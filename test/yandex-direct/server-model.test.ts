// The server model the reader must survive: a response is a prefix, in the server's order, of the events that
// match the request, of a length the server chooses per response — a cap that dips and recovers, a cap by
// bytes, a smaller cap for requests with Offset, a random cap — or an Offset it ignores. A rewriting proxy in
// front of the simulator plays each. Every read ends exact, or `incomplete` with nothing stored twice and a
// bounded number of requests.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/sync/event.identity.js";
import {
  byteCap,
  type CappingProxy,
  type CapPolicy,
  dipFor,
  fixedCap,
  offsetCap,
  randomCap,
  startCappingProxy,
} from "../support/capping-proxy.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, type ScenarioOptions, startYandexScenario, type YandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

interface Proxied {
  scenario: YandexScenario;
  proxy: CappingProxy;
}

async function startProxied(
  policy: CapPolicy,
  options: ScenarioOptions & { ignoreOffset?: boolean } = {},
): Promise<Proxied> {
  let proxy: CappingProxy | undefined;
  const scenario = await start({
    ...options,
    front: async (upstream) => {
      proxy = await startCappingProxy({
        upstream,
        source: "yandex_direct",
        policy,
        ...(options.ignoreOffset ? { ignoreOffset: true } : {}),
      });
      return proxy;
    },
  });
  if (!proxy) throw new Error("the proxy did not start");
  return { scenario, proxy };
}

/** Rows stored for a login, and the simulator's events up to its cursor, as sorted canonical texts. */
async function storedAndTruth(s: YandexScenario, login: string): Promise<{ stored: string[]; truth: string[] }> {
  const stream = await database.warehouse.db
    .selectFrom("sync.streams")
    .select(["cursor"])
    .where("source", "=", "yandex_direct")
    .where("stream_key", "=", login)
    .executeTakeFirstOrThrow();
  const rows = await database.warehouse.db
    .selectFrom("yandex_direct.events")
    .select(["raw"])
    .where("login", "=", login)
    .execute();
  const truth = s.sim
    .events({
      login,
      from: s.startTime,
      to: (stream.cursor?.getTime() ?? s.startTime) - 1000,
      currency: "RUB",
      locale: "en",
      withTextDescription: true,
    })
    .map((e) => canonicalJson(e))
    .sort();
  return { stored: rows.map((r) => canonicalJson(r.raw)).sort(), truth };
}

/** Whether `part` is contained in `whole`, counted. */
function within(part: readonly string[], whole: readonly string[]): boolean {
  const counts = new Map<string, number>();
  for (const t of whole) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const t of part) {
    const left = counts.get(t) ?? 0;
    if (left === 0) return false;
    counts.set(t, left - 1);
  }
  return true;
}

const BURSTS = { burstRate: 0.05, burstSize: 40 } as const;

describe("Yandex.Direct against every server of the model", () => {
  // Kills: a response smaller than a remembered capacity taken as the whole window (strict mode).
  it("is exact when the cap drops from 300 to 20 for a few responses and recovers", async () => {
    // The dip comes once the server has shown it delivers 300 at once, as a remembered capacity would rely on.
    const { scenario } = await startProxied(dipFor({ from: 12, responses: 8, cap: 20, otherwise: 300 }), {
      logins: ["client-1", "client-2"],
      simulator: { eventsPerHour: 60, historyDays: 3, ...BURSTS },
      account: { pageLimit: 1000 },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.streams.map((s) => [s.status, s.error ?? null])).toEqual([
      ["succeeded", null],
      ["succeeded", null],
    ]);
    expect(await scenario.expectGroundTruth(database.warehouse)).toBeGreaterThan(2000);
    await scenario.expectCaughtUp(database.warehouse);
  });

  // Kills: the page size (Limit, or the largest response) taken as the server's cap.
  it("is exact when the server caps responses at about 30 KB", async () => {
    const { scenario } = await startProxied(byteCap(30_000), {
      logins: ["client-1", "client-2"],
      simulator: { eventsPerHour: 60, historyDays: 3, ...BURSTS },
      account: { pageLimit: 1000 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    expect(await scenario.expectGroundTruth(database.warehouse)).toBeGreaterThan(2000);
    scenario.clock.now += 6 * HOUR;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
  });

  // Kills: an Offset page smaller than the first taken as the last one.
  it("is exact when Offset pages are capped lower than first pages", async () => {
    const { scenario } = await startProxied(offsetCap(300, 50), {
      logins: ["client-1"],
      simulator: { eventsPerHour: 60, historyDays: 3, burstRate: 0.1, burstSize: 1000 },
      account: { pageLimit: 1000 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    expect(await scenario.expectGroundTruth(database.warehouse)).toBeGreaterThan(2000);
    await scenario.expectCaughtUp(database.warehouse);
  });

  // Kills: any size-based end of a read, across runs.
  it("is exact across runs with a random cap on every response", async () => {
    const { scenario } = await startProxied(randomCap(11, 1, 400), {
      logins: ["client-1", "client-2"],
      simulator: { eventsPerHour: 30, historyDays: 2, ...BURSTS },
      account: { pageLimit: 500 },
    });
    for (let i = 0; i < 3; i++) {
      expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
      await scenario.expectGroundTruth(database.warehouse);
      scenario.clock.now += 2 * HOUR;
    }
  });

  // Kills: numbering a page that repeats the first as new occurrences; a recursion or loop without bound.
  it("stops with a gap, stores nothing twice and makes a bounded number of requests when the server ignores Offset", async () => {
    const { scenario, proxy } = await startProxied(fixedCap(100), {
      logins: ["client-1"],
      ignoreOffset: true,
      simulator: { eventsPerHour: 60, historyDays: 2, burstRate: 0.1, burstSize: 300 },
      account: { pageLimit: 1000 },
    });
    const run = await scenario.run(database.warehouse);
    expect(run.streams[0]?.status).toBe("incomplete");
    expect(run.streams[0]?.error).toMatch(/ignores Offset/);
    const { stored, truth } = await storedAndTruth(scenario, "client-1");
    expect(stored.length).toBeGreaterThan(0);
    expect(within(stored, truth)).toBe(true);
    // Per window: its first response, the follow-up that repeats it, and once per read a far Offset.
    const windows = Math.ceil(truth.length / 100) + 48;
    expect(proxy.requests).toBeLessThan(4 * windows);
    const gaps = await database.warehouse.pool.query<{ n: string; unknown: string }>(
      "select count(*) as n, count(*) filter (where unread_events is null) as unknown from sync.gaps where closed_at is null",
    );
    expect(Number(gaps.rows[0]?.n)).toBeGreaterThan(0);
    expect(gaps.rows[0]?.unknown).toBe(gaps.rows[0]?.n);
    // Again: still nothing twice.
    scenario.clock.now += HOUR;
    await scenario.run(database.warehouse);
    const again = await storedAndTruth(scenario, "client-1");
    expect(within(again.stored, again.truth)).toBe(true);
  });

  // Kills: numbering identical events over Offset pages that an event registered meanwhile shifted.
  it("never makes an extra occurrence of an event registered in a dense second while it is paged", async () => {
    const started: { scenario?: YandexScenario } = {};
    let added = 0;
    const policy: CapPolicy = (request, records) => {
      // While a burst is paged by Offset, an event is registered a second before it: every later record moves
      // one place on, so the next page begins with the burst's record the page before ended with.
      const scenario = started.scenario;
      if (request.offset > 0 && added < 3 && scenario && records.length > 0) {
        const item = records[0] as { Timestamp: string; CampaignID: number };
        const bursty = records.filter((r) => canonicalJson(r) === canonicalJson(item)).length > 10;
        if (bursty) {
          const earlier = { ...item, Timestamp: Date.parse(item.Timestamp) - 1000, CampaignID: item.CampaignID + 1 };
          scenario.sim.addEvents("client-1", [earlier as never]);
          added++;
        }
      }
      return Math.min(records.length, 50);
    };
    const proxied = await startProxied(policy, {
      logins: ["client-1"],
      simulator: { eventsPerHour: 20, historyDays: 2, burstRate: 0.1, burstSize: 200 },
      account: { pageLimit: 1000 },
    });
    started.scenario = proxied.scenario;
    const scenario = proxied.scenario;
    await scenario.run(database.warehouse);
    expect(added).toBeGreaterThan(0);
    const first = await storedAndTruth(scenario, "client-1");
    expect(within(first.stored, first.truth)).toBe(true);
    // The next run's lookback is past the bursts; a reset re-reads everything: the warehouse ends exact.
    scenario.clock.now += HOUR;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    const second = await storedAndTruth(scenario, "client-1");
    expect(within(second.stored, second.truth)).toBe(true);
  });
});

describe("Yandex.Direct in economy mode", () => {
  // Kills: trusting the capacity after an audit found more (the account must turn strict and re-read).
  it("audits the first read of a run, turns strict on a contradiction and re-reads what it trusted", async () => {
    const { scenario, proxy } = await startProxied(fixedCap(300), {
      logins: ["client-1", "client-2"],
      simulator: { eventsPerHour: 40, historyDays: 3 },
      account: { pageLimit: 1000, completeness: "economy", auditShare: 0, capacityMemory: "30d" },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    // The cap falls below what the capacity remembers: trusted windows are now short.
    proxy.setPolicy(fixedCap(20));
    scenario.clock.now += 5 * HOUR;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    scenario.clock.now += 5 * HOUR;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);
    await scenario.expectCaughtUp(database.warehouse);
    const states = await database.warehouse.pool.query<{ state: { strict?: boolean } }>(
      "select state from sync.streams where source = 'yandex_direct'",
    );
    expect(states.rows.some((r) => r.state.strict === true)).toBe(true);
  });

  // Kills: economy costing as much as strict (the shortcut never taken).
  it("saves the follow-up of a read the capacity settles", async () => {
    const { scenario, proxy } = await startProxied(fixedCap(1000), {
      logins: ["client-1", "client-2", "client-3"],
      simulator: { eventsPerHour: 20 },
      account: { pageLimit: 1000, completeness: "economy", auditShare: 0 },
    });
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    scenario.clock.now += 5 * 60_000;
    const before = proxy.requests;
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    // The first read of the run is audited (2 requests); the other two are settled by the capacity.
    expect(proxy.requests - before).toBe(4);
    await scenario.expectGroundTruth(database.warehouse);
  });
});
