// Agency discovery (`logins: all`): every client the agency lists becomes a stream, exact per login; clients
// that are added, archived, restored or removed between runs follow; a listing that fails leaves every stream
// as it was; a refused token fails the account; `currency: client` reads each login in its own currency.
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/sync/event.identity.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, startYandexScenario, type YandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

/** Where the streams start: six hours before the scenario's clock at start. */
const START = Date.UTC(2026, 10, 20, 6);

const discovering = (account: Record<string, unknown> = {}) => ({
  logins: "all",
  startTime: new Date(START).toISOString(),
  retries: 2,
  ...account,
});

async function streams(warehouse: Warehouse) {
  const rows = await warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_key", "status", "cursor"])
    .where("source", "=", "yandex_direct")
    .orderBy("stream_key")
    .execute();
  return new Map(rows.map((r) => [r.stream_key, { status: r.status, cursor: r.cursor?.toISOString() ?? null }]));
}

/** Each listed login's rows equal the simulator's events in [start, cursor), and its cursor caught up. */
async function expectExact(scenario: YandexScenario, warehouse: Warehouse, logins: readonly string[]) {
  const end = new Date(Math.floor((scenario.clock.now - 60_000) / 1000) * 1000).toISOString();
  const held = await streams(warehouse);
  for (const login of logins) {
    const stream = held.get(login);
    expect(stream?.cursor, `cursor of ${login}`).toBe(end);
    const currency = scenario.sim.agencyClients({ all: true }).find((c) => c.login === login)?.currency ?? "RUB";
    const truth = scenario.sim
      .events({ login, from: START, to: Date.parse(end) - 1000, currency, locale: "en", withTextDescription: true })
      .map((e) => canonicalJson(e))
      .sort();
    const rows = await warehouse.db
      .selectFrom("yandex_direct.events")
      .select(["raw", "currency"])
      .where("login", "=", login)
      .execute();
    expect(rows.map((r) => canonicalJson(r.raw)).sort(), `rows of ${login}`).toEqual(truth);
    for (const r of rows) expect(r.currency, `currency of ${login}'s rows`).toBe(currency);
  }
}

describe("agency discovery", () => {
  it("lists 1,000 clients over several pages, syncs each exactly, and a no-op run costs the listing pages plus a request per login and a follow-up per login with events in its lookback", async () => {
    const scenario = await start({
      simulator: { clientLogins: 1000, eventsPerHour: 6, historyDays: 1, agencyClientsPageCap: 300 },
      account: discovering({ concurrency: 5 }),
    });
    const { warehouse } = database;
    const first = await scenario.run(warehouse);
    expect(first.status).toBe("succeeded");
    expect(first.streams).toHaveLength(1000);
    const listed = scenario.sim.agencyClients().map((c) => c.login);
    expect(listed).toHaveLength(1000);
    await expectExact(scenario, warehouse, listed);
    const clients = await warehouse.pool.query<{ n: number; listed: number }>(
      "select count(*) as n, count(*) filter (where listed and not archived) as listed from yandex_direct.clients",
    );
    expect(clients.rows[0]).toEqual({ n: 1000, listed: 1000 });
    const listing = await warehouse.pool.query(
      "select complete, pages, clients, units_spent, units_remaining, units_daily, error from yandex_direct.client_listings",
    );
    expect(listing.rows).toEqual([
      {
        complete: true,
        pages: 4,
        clients: 1000,
        units_spent: expect.any(Number),
        units_remaining: expect.any(Number),
        units_daily: expect.any(Number),
        error: null,
      },
    ]);
    const points = scenario.sim.points("agency-token");
    expect(listing.rows[0].units_daily).toBe(points.daily);
    expect(listing.rows[0].units_spent).toBeGreaterThan(0);

    scenario.sim.resetRequestCounts();
    const again = await scenario.run(warehouse);
    expect(again.status).toBe("succeeded");
    const counts = scenario.sim.requestCounts()["agency-token"] ?? {};
    expect(counts["AgencyClients.get"]).toBe(4);
    // The lookback (1h) before each cursor is read again: one request, and where it holds events the
    // follow-up that proves there are no more.
    const end = scenario.clock.now - 60_000;
    const withEvents = listed.filter(
      (login) =>
        scenario.sim.events({
          login,
          from: end - HOUR,
          to: end - 1000,
          currency: "RUB",
          locale: "en",
          withTextDescription: true,
        }).length > 0,
    ).length;
    expect(withEvents).toBeGreaterThan(0);
    expect(counts.GetEventsLog).toBe(1000 + withEvents);
  }, 240_000);

  it("follows clients added, archived, restored and removed between runs; their rows stay and a returning client resumes from its cursor", async () => {
    const scenario = await start({
      simulator: { clientLogins: 6, listedClients: 4 },
      account: discovering({ discovery: { pageLimit: 2 } }),
    });
    const { warehouse } = database;
    const run = async () => {
      const summary = await scenario.run(warehouse);
      expect(summary.status).toBe("succeeded");
      return summary;
    };
    await run();
    expect([...(await streams(warehouse)).keys()]).toEqual(["client-1", "client-2", "client-3", "client-4"]);

    scenario.clock.now += HOUR;
    scenario.sim.addAgencyClient("client-5");
    scenario.sim.archiveAgencyClient("client-2");
    scenario.sim.removeAgencyClient("client-3");
    await run();
    let held = await streams(warehouse);
    expect(held.get("client-5")?.status).toBe("succeeded");
    expect(held.get("client-2")?.status).toBe("retired");
    expect(held.get("client-3")?.status).toBe("retired");
    const archivedAt = held.get("client-2")?.cursor;
    await expectExact(scenario, warehouse, ["client-1", "client-4", "client-5"]);
    const kept = await warehouse.pool.query(
      "select count(*)::int as n from yandex_direct.events where login = 'client-2'",
    );
    expect(kept.rows[0].n).toBeGreaterThan(0);

    scenario.clock.now += HOUR;
    scenario.sim.restoreAgencyClient("client-2");
    const summary = await run();
    held = await streams(warehouse);
    expect(held.get("client-2")?.status).toBe("succeeded");
    expect(held.get("client-3")?.status).toBe("retired");
    const resumed = await warehouse.pool.query(
      `select sr.cursor_before from sync.stream_runs sr join sync.streams s using (stream_id)
        where s.stream_key = 'client-2' and sr.run_id = $1`,
      [summary.runId],
    );
    expect((resumed.rows[0] as { cursor_before: Date }).cursor_before.toISOString()).toBe(archivedAt);
    await expectExact(scenario, warehouse, ["client-1", "client-2", "client-4", "client-5"]);
    const clients = await warehouse.pool.query(
      "select login, archived, listed from yandex_direct.clients order by client_id",
    );
    expect(clients.rows).toEqual([
      { login: "client-1", archived: false, listed: true },
      { login: "client-2", archived: false, listed: true },
      { login: "client-3", archived: false, listed: false },
      { login: "client-4", archived: false, listed: true },
      { login: "client-5", archived: false, listed: true },
    ]);
  }, 120_000);

  it("takes only the clients its include and exclude patterns and the archived switch allow", async () => {
    const scenario = await start({
      simulator: { clientLogins: 6, archivedClients: 1 },
      account: discovering({ discovery: { include: ["CLIENT-?"], exclude: ["client-2"], archived: true } }),
    });
    const { warehouse } = database;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    expect([...(await streams(warehouse)).keys()]).toEqual([
      "client-1",
      "client-3",
      "client-4",
      "client-5",
      "client-6",
    ]);
    await expectExact(scenario, warehouse, ["client-1", "client-3", "client-4", "client-5", "client-6"]);
  }, 60_000);

  it("leaves every stream as it was when the listing fails halfway: nothing added, nothing retired, the known clients read", async () => {
    const scenario = await start({
      simulator: { clientLogins: 6, listedClients: 4 },
      account: discovering({ discovery: { pageLimit: 2 } }),
    });
    const { warehouse } = database;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    const before = await streams(warehouse);

    scenario.clock.now += HOUR;
    scenario.sim.addAgencyClient("client-5");
    scenario.sim.archiveAgencyClient("client-1");
    scenario.sim.setOptions({ agencyClientsFailAfterPages: 1, agencyClientsFailure: 1000 });
    const failed = await scenario.run(warehouse);
    expect(failed.status).toBe("partial");
    expect(failed.accounts).toEqual([
      expect.objectContaining({ source: "yandex_direct", account: "agency", streamsRead: true }),
    ]);
    expect(failed.accounts[0]?.error).toMatch(/1000/);
    const after = await streams(warehouse);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, stream] of after) expect(stream.status, key).toBe("succeeded");
    await expectExact(scenario, warehouse, ["client-1", "client-2", "client-3", "client-4"]);
    const listing = await warehouse.pool.query(
      "select complete, error from yandex_direct.client_listings where run_id = $1",
      [failed.runId],
    );
    expect(listing.rows).toEqual([{ complete: false, error: expect.stringMatching(/1000/) }]);

    scenario.sim.setOptions({ agencyClientsFailAfterPages: 0 });
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    const healed = await streams(warehouse);
    expect(healed.get("client-5")?.status).toBe("succeeded");
    expect(healed.get("client-1")?.status).toBe("retired");
  }, 120_000);

  it("fails the account, retiring nothing, when the token is refused; says clearly when it is not an agency's", async () => {
    const scenario = await start({ simulator: { clientLogins: 3 }, account: discovering() });
    const { warehouse } = database;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    scenario.sim.failAgencyClientsNext("agency-token", 53, 1);
    const refused = await scenario.run(warehouse);
    expect(refused.status).toBe("failed");
    expect(refused.accounts[0]?.error).toMatch(/53/);
    const held = await streams(warehouse);
    expect([...held.values()].map((s) => s.status)).toEqual(["failed", "failed", "failed"]);
    expect(String(refused.accounts[0]?.error)).not.toContain("agency-token");

    const advertiser = await start({
      simulator: { clientLogins: 1 },
      accountName: "not-an-agency",
      account: discovering(),
      token: "advertiser-token",
    });
    const summary = await advertiser.run(warehouse);
    expect(summary.status).toBe("failed");
    expect(summary.accounts[0]?.error).toMatch(/not an agency's token/);
  }, 60_000);

  it("reads each client in its own currency with currency: client", async () => {
    const scenario = await start({
      simulator: { clientLogins: 4, clientCurrencies: { "client-1": "USD", "client-2": "EUR", "client-3": "KZT" } },
      account: discovering({ currency: "client" }),
    });
    const { warehouse } = database;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    await expectExact(scenario, warehouse, ["client-1", "client-2", "client-3", "client-4"]);
    const currencies = await warehouse.pool.query(
      "select login, array_agg(distinct currency) as currencies from yandex_direct.events group by login order by login",
    );
    expect(currencies.rows).toEqual([
      { login: "client-1", currencies: ["USD"] },
      { login: "client-2", currencies: ["EUR"] },
      { login: "client-3", currencies: ["KZT"] },
      { login: "client-4", currencies: ["RUB"] },
    ]);
  }, 60_000);

  // Kills: reading the lookback again in the new currency (every event in it stored twice, money converted).
  it("stores nothing twice when a client's currency changes, and records the change", async () => {
    const scenario = await start({
      logins: ["client-1", "client-2"],
      simulator: { clientLogins: 2, eventsPerHour: 30, historyDays: 2 },
      account: discovering({ currency: "client" }),
    });
    const { warehouse } = database;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    const switchedAt = scenario.clock.now - 60_000;
    scenario.sim.setAgencyClientCurrency("client-1", "USD");
    scenario.clock.now += 2 * HOUR;
    expect((await scenario.run(warehouse)).status).toBe("succeeded");
    const rows = await warehouse.pool.query<{ login: string; currency: string; n: string; later: string }>(
      `select login, currency, count(*) as n, count(*) filter (where event_time >= $1) as later
         from yandex_direct.events group by login, currency order by login, currency`,
      [new Date(switchedAt)],
    );
    const truth = (login: string, from: number, to: number) =>
      scenario.sim.events({ login, from, to, currency: "RUB", locale: "en", withTextDescription: true }).length;
    const end = scenario.clock.now - 60_000;
    // client-1: RUB up to the cursor of the first run, USD after it; one row per event either way.
    const byKey = Object.fromEntries(rows.rows.map((r) => [`${r.login} ${r.currency}`, r]));
    expect(Number(byKey["client-1 RUB"]?.n)).toBe(truth("client-1", START, switchedAt - 1000));
    expect(Number(byKey["client-1 RUB"]?.later)).toBe(0);
    expect(Number(byKey["client-1 USD"]?.n)).toBe(truth("client-1", switchedAt, end - 1000));
    expect(Number(byKey["client-2 RUB"]?.n)).toBe(truth("client-2", START, end - 1000));
    const state = await warehouse.pool.query<{ state: { currency: string; currencyChanges: unknown[] } }>(
      "select state from sync.streams where stream_key = 'client-1'",
    );
    expect(state.rows[0]?.state).toMatchObject({
      currency: "USD",
      currencyChanges: [{ from: "RUB", to: "USD", at: new Date(switchedAt).toISOString() }],
    });
  }, 60_000);
});
