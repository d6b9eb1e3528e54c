// The token owner's login (an account without `logins`): learned from API v5 Clients.get when the config does
// not name it, once per run, so the owner's rows carry the real login while the stream key stays `(owner)`;
// never asked when `ownerLogin` names it; a lookup that fails (after retries) or answers without a login fails
// the owner's stream with a clear, redacted error that keeps the request_id, and stores nothing. The owner's
// stream shows its newest event in sync.stream_freshness whichever way its login is known.
import { describe, expect, it } from "vitest";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

const OWNER = "shop-owner";
const TOKEN = "advertiser-token";

/** A scenario whose account reads the advertiser's own log: no `logins`. */
const ownerScenario = (account: Record<string, unknown> = {}, simulator: Record<string, unknown> = {}) =>
  start({
    token: TOKEN,
    accountName: "own",
    simulator: { advertiserLogin: OWNER, historyDays: 2, ...simulator },
    account: { logins: undefined, startTime: "1d", retries: 2, ...account },
  });

async function loginsStored(warehouse: Warehouse): Promise<Record<string, number>> {
  const result = await warehouse.pool.query<{ login: string; n: number }>(
    "select login, count(*)::int as n from yandex_direct.events where account = 'own' group by login order by login",
  );
  return Object.fromEntries(result.rows.map((r) => [r.login, r.n]));
}

async function ownerStream(warehouse: Warehouse) {
  const freshness = await warehouse.pool.query<{ stream: string; status: string; last_event_at: Date | null }>(
    "select stream, status, last_event_at from sync.stream_freshness where account = 'own'",
  );
  const runs = await warehouse.pool.query<{ status: string; error: string | null; requests: number }>(
    `select sr.status, sr.error, sr.requests from sync.stream_runs sr join sync.streams s using (stream_id)
      where s.account = 'own' order by sr.run_id`,
  );
  return { freshness: freshness.rows, runs: runs.rows };
}

describe("the token owner's login", () => {
  it("is learned from Clients.get once a run when ownerLogin is not set: the rows carry it, the stream stays (owner)", async () => {
    const scenario = await ownerScenario();
    const { warehouse } = database;
    const summary = await scenario.run(warehouse);
    expect(summary.status).toBe("succeeded");
    expect(summary.streams.map((s) => s.identity.streamKey)).toEqual(["(owner)"]);
    const stored = await loginsStored(warehouse);
    expect(Object.keys(stored)).toEqual([OWNER]);
    expect(stored[OWNER]).toBe(
      scenario.sim.events({
        login: OWNER,
        from: scenario.clock.now - 86_400_000,
        to: Math.floor((scenario.clock.now - 60_000) / 1000) * 1000 - 1000,
        currency: "RUB",
        locale: "en",
        withTextDescription: true,
      }).length,
    );
    expect(scenario.sim.requestCounts()[TOKEN]?.["Clients.get"]).toBe(1);
    const { freshness, runs } = await ownerStream(warehouse);
    const newest = await warehouse.pool.query<{ at: Date }>(
      "select max(event_time) as at from yandex_direct.events where account = 'own'",
    );
    expect(freshness).toEqual([{ stream: "(owner)", status: "succeeded", last_event_at: newest.rows[0]?.at }]);
    expect(freshness[0]?.last_event_at).not.toBeNull();

    scenario.sim.resetRequestCounts();
    scenario.clock.now += 3_600_000;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    expect(scenario.sim.requestCounts()[TOKEN]?.["Clients.get"]).toBe(1);
    expect(Object.keys(await loginsStored(warehouse))).toEqual([OWNER]);
    // The lookup is one of the stream's requests.
    expect(runs[0]?.requests).toBeGreaterThan(1);
  });

  it("is not asked for when ownerLogin names it, and the owner's stream still shows its newest event", async () => {
    const scenario = await ownerScenario({ ownerLogin: "named-owner" });
    const { warehouse } = database;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    const counts = scenario.sim.requestCounts()[TOKEN] ?? {};
    expect(counts["Clients.get"]).toBeUndefined();
    expect(counts.GetEventsLog).toBeGreaterThan(0);
    expect(Object.keys(await loginsStored(warehouse))).toEqual(["named-owner"]);
    const { freshness } = await ownerStream(warehouse);
    expect(freshness[0]?.last_event_at).toBeInstanceOf(Date);
  });

  it.each([
    [
      53,
      1,
      /Clients\.get: yandex_direct API error 53: Authorization error \(Injected by the simulator; request_id \d+\)/,
    ],
    [1000, 3, /API error 1000: Server temporarily unavailable \(Injected by the simulator; request_id \d+\)/],
  ])(
    "fails the owner's stream when Clients.get answers %i (after its retries), keeping the request_id and storing nothing",
    async (code, requests, message) => {
      const scenario = await ownerScenario({}, { clientsGetFailure: code });
      const { warehouse } = database;
      const summary = await scenario.run(warehouse);
      expect(summary.status).not.toBe("succeeded");
      expect(scenario.sim.requestCounts()[TOKEN]).toEqual({ "Clients.get": requests });
      const { freshness, runs } = await ownerStream(warehouse);
      expect(freshness).toEqual([{ stream: "(owner)", status: "failed", last_event_at: null }]);
      expect(runs).toHaveLength(1);
      expect(runs[0]?.status).toBe("failed");
      expect(runs[0]?.error).toMatch(message);
      expect(runs[0]?.error).toContain("set ownerLogin in the account's config to skip this lookup");
      expect(runs[0]?.error).not.toContain(TOKEN);
      expect(await loginsStored(warehouse)).toEqual({});
    },
  );

  it("fails the owner's stream with a clear error when Clients.get answers without a Login", async () => {
    const scenario = await ownerScenario({ retries: 0 }, { clientsGetFailure: "malformed" });
    const { warehouse } = database;
    await scenario.run(warehouse);
    const { runs } = await ownerStream(warehouse);
    expect(runs[0]?.status).toBe("failed");
    expect(runs[0]?.error).toContain(
      `the token owner's login could not be learned from Clients.get: Clients.get answered without the token owner's Login: {"ClientId":1}`,
    );
    expect(await loginsStored(warehouse)).toEqual({});
  });
});
