// Yandex.Direct rows as analysts meet them: the requested currency on every row, so money_movements gives
// one row per login, campaign, day and currency; the token owner's rows under the owner's real login.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { startYandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import { runSync } from "../../src/sync/run-sync.engine.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { DAY, startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);

describe("Yandex.Direct rows for analysts", () => {
  it("carry the requested currency on every row: MoneyIn and MoneyOut of one campaign and day give one money_movements row", async () => {
    const scenario = await start({ logins: ["client-1"] });
    const day = Math.floor((scenario.clock.now - 3 * DAY) / DAY) * DAY;
    const at = (h: number) => new Date(day + h * 3_600_000).toISOString().replace(".000", "");
    scenario.sim.addEvents("client-1", [
      { Timestamp: at(9), EventType: "MoneyIn", CampaignID: 7770001, Attributes: { Payed: 1500.5, Currency: "RUB" } },
      { Timestamp: at(15), EventType: "MoneyWarning", CampaignID: 7770001, Attributes: { Rest: 120 } },
      { Timestamp: at(18), EventType: "MoneyOut", CampaignID: 7770001, Attributes: { Rest: 0 } },
      { Timestamp: at(19), EventType: "LowCTR", CampaignID: 7770001, BannerID: 1, PhraseID: 2 },
    ]);
    expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
    await scenario.expectGroundTruth(database.warehouse);

    const { pool } = database.warehouse;
    const other = await pool.query(
      "select event_type, currency from yandex_direct.events where currency is distinct from 'RUB'",
    );
    expect(other.rows).toEqual([]);
    const rows = await pool.query(
      `select login, campaign_id, day::text as day, currency, money_in::text as money_in, money_in_count::int as money_in_count,
              last_rest::text as last_rest, money_warnings::int as money_warnings, money_outs::int as money_outs
         from yandex_direct.money_movements where campaign_id = 7770001`,
    );
    expect(rows.rows).toEqual([
      {
        login: "client-1",
        campaign_id: 7770001,
        day: new Date(day).toISOString().slice(0, 10),
        currency: "RUB",
        money_in: "1500.5",
        money_in_count: 1,
        last_rest: "0",
        money_warnings: 1,
        money_outs: 1,
      },
    ]);
    // Across the whole history: never two rows for one login, campaign (or shared account) and day.
    const split = await pool.query(
      `select login, campaign_id, account_id, day from yandex_direct.money_movements group by 1, 2, 3, 4 having count(*) > 1`,
    );
    expect(split.rows).toEqual([]);
    const labels = await pool.query("select distinct event_type, event_label from yandex_direct.events order by 1");
    expect(labels.rows.length).toBeGreaterThan(3);
    for (const r of labels.rows as Array<{ event_type: string; event_label: string | null }>)
      expect(r.event_label, r.event_type).toMatch(/^[A-Z][a-z]/);
  });

  it("store the token owner's events under the configured ownerLogin, in the owner's stream", async () => {
    const now = Date.UTC(2026, 10, 20, 12);
    const sim = await startYandexDirectSimulator({
      seed: 11,
      clientLogins: 1,
      historyDays: 3,
      eventsPerHour: 4,
      clock: () => now,
    });
    try {
      const startTime = now - 2 * DAY;
      const config = parseConfig(
        {
          sources: {
            yandex_direct: {
              accounts: [
                {
                  name: "own",
                  token: "${T}",
                  endpoint: sim.endpoint,
                  currency: "RUB",
                  ownerLogin: sim.advertiser.login,
                  startTime: new Date(startTime).toISOString(),
                  settleLag: "60s",
                },
              ],
            },
          },
        },
        { T: sim.advertiser.token },
      );
      const summary = await runSync({
        warehouse: database.warehouse,
        config,
        log: createLogger({ level: "silent" }),
        signal: new AbortController().signal,
        command: "test",
        now: () => new Date(now),
      });
      expect(summary.status).toBe("succeeded");
      expect(summary.streams.map((s) => s.identity.streamKey)).toEqual(["(owner)"]);
      const stored = await database.warehouse.db
        .selectFrom("yandex_direct.events")
        .select(["login", "raw"])
        .where("account", "=", "own")
        .execute();
      expect(new Set(stored.map((r) => r.login))).toEqual(new Set([sim.advertiser.login]));
      const cursor = (
        await database.warehouse.db
          .selectFrom("sync.streams")
          .select("cursor")
          .where("account", "=", "own")
          .executeTakeFirstOrThrow()
      ).cursor as Date;
      // Caught up: the cursor reached the end of what can be read (now minus the settle lag).
      expect(cursor.toISOString()).toBe(new Date(now - 60_000).toISOString());
      const truth = sim.events({
        login: sim.advertiser.login,
        from: startTime,
        to: cursor.getTime() - 1000,
        currency: "RUB",
        locale: "en",
        withTextDescription: true,
      });
      expect(truth.length).toBeGreaterThan(50);
      expect(stored.map((r) => canonicalJson(r.raw)).sort()).toEqual(truth.map((e) => canonicalJson(e)).sort());
    } finally {
      await sim.close();
    }
  });

  it("refuse an ownerLogin next to logins, and an ownerLogin another account reads as a client login", () => {
    const account = (extra: Record<string, unknown>) => ({
      token: "${T}",
      endpoint: "http://127.0.0.1:9/live/v4/json/",
      currency: "RUB",
      ...extra,
    });
    expect(() =>
      parseConfig(
        { sources: { yandex_direct: { accounts: [account({ name: "a", logins: ["c-1"], ownerLogin: "me" })] } } },
        { T: "t" },
      ),
    ).toThrow(/accounts\[0\]\.ownerLogin: names the token owner's stream, which is read only when logins is not set/);
    expect(() =>
      parseConfig(
        {
          sources: {
            yandex_direct: {
              accounts: [
                account({ name: "a", logins: ["Client-1"] }),
                account({ name: "b", token: "${U}", ownerLogin: "client-1" }),
              ],
            },
          },
        },
        { T: "t", U: "u" },
      ),
    ).toThrow(
      /accounts\[1\]\.ownerLogin: login client-1 at .* is also sources\.yandex_direct\.accounts\[0\]\.logins\[0\]/,
    );
  });
});
