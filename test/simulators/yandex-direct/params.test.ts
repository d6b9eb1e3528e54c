// The Yandex.Direct simulator honours every GetEventsLog parameter: event types, currency, descriptions, filters.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  CURRENCIES,
  CURRENCY_RATES,
  EVENT_TYPES,
  startYandexDirectSimulator,
  type YandexDirectSimulator,
} from "../../../src/simulators/yandex-direct/index.js";
import { events, getEventsLog, manualClock, post } from "./helpers.js";

const clock = manualClock("2026-03-10T12:00:00Z");
const FROM = "2026-03-08T12:00:00Z";
const base = { TimestampFrom: FROM, Currency: "RUB" };
let sim: YandexDirectSimulator;

beforeAll(async () => {
  sim = await startYandexDirectSimulator({ clock: clock.now, historyDays: 3, eventsPerHour: 10, clientLogins: 2 });
});
afterAll(() => sim.close());

test("every EventType is generated with the ids and Attributes the seed page gives it", () => {
  const all = sim.events({ login: "advertiser" });
  const byType = new Map(EVENT_TYPES.map((t) => [t, all.filter((e) => e.EventType === t)]));
  for (const [type, items] of byType) expect(items.length, type).toBeGreaterThan(0);
  for (const e of byType.get("BannerModerated") ?? []) {
    expect(e).toMatchObject({ CampaignID: expect.any(Number), BannerID: expect.any(Number) });
    expect(["Accepted", "Declined"]).toContain(e.Attributes?.ModerationResult);
    expect(["Yes", "No"]).toContain(e.Attributes?.IsEditedByModerator);
  }
  for (const e of byType.get("CampaignFinished") ?? []) expect(e.Attributes?.FinishDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  for (const e of byType.get("LowCTR") ?? []) expect(e.PhraseID).toEqual(expect.any(Number));
  for (const e of byType.get("WarnMinPrice") ?? []) {
    expect(e.Attributes).toEqual({ MinPrice: expect.any(Number), Currency: "RUB" });
    expect(e.PhraseID).toEqual(expect.any(Number));
  }
  for (const e of byType.get("MoneyWarning") ?? [])
    expect(e.Attributes).toEqual({ Rest: expect.any(Number), Currency: "RUB" });
  for (const e of byType.get("MoneyIn") ?? [])
    expect(e.Attributes).toEqual({ Payed: expect.any(Number), Currency: "RUB" });
  for (const e of byType.get("PausedByDayBudget") ?? [])
    expect(e.Attributes?.StopTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  for (const e of byType.get("WarnPlace") ?? []) expect(e.Attributes?.OldPlace).toEqual(expect.any(String));
  const money = [...(byType.get("MoneyIn") ?? []), ...(byType.get("MoneyOut") ?? [])];
  expect(money.some((e) => e.AccountID !== undefined && e.CampaignID === undefined)).toBe(true);
  expect(money.some((e) => e.CampaignID !== undefined && e.AccountID === undefined)).toBe(true);
  for (const e of all) expect(e.Timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
});

test.each(CURRENCIES)("Currency %s converts money at the fixed rate, two decimals", async (currency) => {
  const rub = sim.events({ login: "advertiser", from: FROM });
  const data = await events(sim, { ...base, Currency: currency });
  expect(data.length).toBe(rub.length);
  const rate = CURRENCY_RATES[currency];
  data.forEach((item, i) => {
    const attrs = item.Attributes as Record<string, unknown> | undefined;
    const rubAttrs = rub[i]?.Attributes;
    if (rubAttrs?.Payed !== undefined)
      expect(attrs?.Payed).toBe(Math.round((rubAttrs.Payed * 100) / rate + 1e-9) / 100);
    if (rubAttrs?.Rest !== undefined) expect(attrs?.Rest).toBe(Math.round((rubAttrs.Rest * 100) / rate + 1e-9) / 100);
    if (rubAttrs?.MinPrice !== undefined) {
      expect(attrs?.MinPrice).toBe(Math.ceil((rubAttrs.MinPrice * 100) / rate - 1e-9) / 100);
    }
    if (rubAttrs?.Currency) expect(attrs?.Currency).toBe(currency);
    for (const key of ["Payed", "Rest", "MinPrice"]) {
      const value = attrs?.[key];
      if (typeof value === "number") expect(Math.abs(value * 100 - Math.round(value * 100))).toBeLessThan(1e-6);
    }
  });
  expect(data).toEqual(sim.events({ login: "advertiser", from: FROM, currency }));
});

test("WithTextDescription Yes adds TextDescription; No or absent leaves it out", async () => {
  const withText = await events(sim, { ...base, WithTextDescription: "Yes", Limit: 20 });
  expect(withText.every((e) => typeof e.TextDescription === "string" && e.TextDescription.length > 0)).toBe(true);
  const ru = await events(sim, { ...base, WithTextDescription: "Yes", Limit: 20 }, sim.advertiser.token, "ru");
  expect(ru[0]?.TextDescription).not.toBe(withText[0]?.TextDescription);
  for (const param of [{ ...base, WithTextDescription: "No" }, base]) {
    const data = await events(sim, { ...param, Limit: 20 });
    expect(data.some((e) => "TextDescription" in e)).toBe(false);
  }
});

test("LastEventOnly Yes returns only the latest entry of each EventType", async () => {
  const all = sim.events({ login: "advertiser", from: FROM });
  const data = await events(sim, { ...base, LastEventOnly: "Yes" });
  expect(data).toHaveLength(EVENT_TYPES.length);
  for (const item of data) {
    const sameType = all.filter((e) => e.EventType === item.EventType);
    expect(item).toEqual(sameType[sameType.length - 1]);
  }
  expect(await events(sim, { ...base, LastEventOnly: "No" })).toEqual(all);
});

describe("Filter", () => {
  const all = () => sim.events({ login: "advertiser", from: FROM });
  test("CampaignIDS", async () => {
    const id = sim.ids("advertiser").campaignIds[1] as number;
    const data = await events(sim, { ...base, Filter: { CampaignIDS: [id] } });
    expect(data.length).toBeGreaterThan(0);
    expect(data).toEqual(all().filter((e) => e.CampaignID === id));
  });
  test("BannerIDS", async () => {
    const id = all().find((e) => e.BannerID !== undefined)?.BannerID as number;
    const data = await events(sim, { ...base, Filter: { BannerIDS: [id] } });
    expect(data.length).toBeGreaterThan(0);
    expect(data).toEqual(all().filter((e) => e.BannerID === id));
  });
  test("PhraseIDS", async () => {
    const id = all().find((e) => e.PhraseID !== undefined)?.PhraseID as number;
    const data = await events(sim, { ...base, Filter: { PhraseIDS: [id] } });
    expect(data.length).toBeGreaterThan(0);
    expect(data).toEqual(all().filter((e) => e.PhraseID === id));
  });
  test("AccountIDS", async () => {
    const id = sim.ids("advertiser").accountId;
    const data = await events(sim, { ...base, Filter: { AccountIDS: [id] } });
    expect(data.length).toBeGreaterThan(0);
    expect(data).toEqual(all().filter((e) => e.AccountID === id));
  });
  test("EventType, combined with CampaignIDS", async () => {
    const id = sim.ids("advertiser").campaignIds[0] as number;
    const data = await events(sim, { ...base, Filter: { EventType: ["WarnPlace", "LowCTR"], CampaignIDS: [id] } });
    expect(data.length).toBeGreaterThan(0);
    expect(data).toEqual(
      all().filter((e) => e.CampaignID === id && (e.EventType === "WarnPlace" || e.EventType === "LowCTR")),
    );
  });
});

describe("Limit and Offset", () => {
  test("pages of Limit at increasing Offset add up to the whole period", async () => {
    const all = sim.events({ login: "advertiser", from: FROM });
    const pages: unknown[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await events(sim, { ...base, Limit: 100, Offset: offset });
      pages.push(...page);
      if (page.length < 100) break;
    }
    expect(pages).toEqual(all);
  });
  test("without Limit every event is returned and Offset is ignored", async () => {
    const all = sim.events({ login: "advertiser", from: FROM });
    expect(all.length).toBeGreaterThan(200);
    expect(await events(sim, { ...base, Offset: 50 })).toEqual(all);
  });
  test("Offset past the end gives an empty page", async () => {
    expect(await events(sim, { ...base, Limit: 10, Offset: 1_000_000 })).toEqual([]);
  });
  // The simulator counts the whole hours before an Offset instead of reading them. Kills: an hour cut by the
  // bounds counted whole; hours counted after a cut hour's events were read; the page cut from the wrong place.
  test.each(["ascending", "descending"] as const)(
    "a page at any Offset is that part of the one answer, bounds inside hours, two logs, %s",
    async (order) => {
      const own = await startYandexDirectSimulator({
        clock: clock.now,
        historyDays: 2,
        eventsPerHour: 6,
        clientLogins: 2,
      });
      try {
        own.setOptions({ order });
        own.addEvents("client-2", [{ Timestamp: "2026-03-09T05:20:00Z", EventType: "LowCTR", CampaignID: 7 }]);
        const param = {
          ...base,
          TimestampFrom: "2026-03-08T12:30:00Z",
          TimestampTo: "2026-03-09T18:15:00Z",
          Logins: ["client-1", "client-2"],
        };
        const all = await events(own, param, own.agency.token);
        expect(all.length).toBeGreaterThan(200);
        for (let offset = 0; offset <= all.length; offset++) {
          const page = await events(own, { ...param, Limit: 13, Offset: offset }, own.agency.token);
          expect(page, `Offset ${offset}`).toEqual(all.slice(offset, offset + 13));
        }
      } finally {
        await own.close();
      }
    },
  );
  test("an answer is compact JSON, the same text however many items it holds", async () => {
    for (const limit of [1, 127, 128, 129, 300]) {
      const answer = await post(sim, {
        method: "GetEventsLog",
        token: sim.advertiser.token,
        param: { ...base, Limit: limit },
      });
      expect(answer.text).toBe(JSON.stringify(answer.body));
      expect((answer.body?.data as unknown[]).length).toBe(limit);
    }
    const empty = await post(sim, {
      method: "GetEventsLog",
      token: sim.advertiser.token,
      param: { ...base, Limit: 5, Offset: 1_000_000 },
    });
    expect(empty.text).toBe('{"data":[]}');
  });
});

describe("Logins", () => {
  test("an agency reads a client's log by naming the login", async () => {
    const data = await events(sim, { ...base, Logins: ["client-2"] }, sim.agency.token);
    expect(data.length).toBeGreaterThan(0);
    expect(data).toEqual(sim.events({ login: "client-2", from: FROM }));
  });
  test("several logins are merged by Timestamp", async () => {
    const data = await events(sim, { ...base, Logins: ["client-1", "client-2"] }, sim.agency.token);
    const one = sim.events({ login: "client-1", from: FROM });
    const two = sim.events({ login: "client-2", from: FROM });
    expect(data).toHaveLength(one.length + two.length);
    expect(data.map((e) => e.Timestamp)).toEqual([...one, ...two].map((e) => e.Timestamp).sort());
  });
  test("without Logins the token owner's own log is read", async () => {
    expect(await events(sim, base, sim.agency.token)).toEqual(sim.events({ login: "agency", from: FROM }));
    expect(await events(sim, base, "client-1-token")).toEqual(sim.events({ login: "client-1", from: FROM }));
    expect(await events(sim, base)).toEqual(sim.events({ login: "advertiser", from: FROM }));
    expect(sim.events({ login: "agency", from: FROM })).not.toEqual(sim.events({ login: "advertiser", from: FROM }));
  });
  test("a login that is not a client of the agency is error 54", async () => {
    expect((await getEventsLog(sim, { ...base, Logins: ["advertiser"] }, sim.agency.token)).error_code).toBe(54);
    expect((await getEventsLog(sim, { ...base, Logins: ["client-1", "stranger"] }, sim.agency.token)).error_code).toBe(
      54,
    );
    expect((await getEventsLog(sim, { ...base, Logins: ["client-1"] }, sim.advertiser.token)).error_code).toBe(54);
  });
  test("the accounts list every token with its login", () => {
    expect(sim.accounts.map((a) => [a.token, a.login, a.role])).toEqual([
      ["advertiser-token", "advertiser", "advertiser"],
      ["agency-token", "agency", "agency"],
      ["client-1-token", "client-1", "client"],
      ["client-2-token", "client-2", "client"],
    ]);
    expect(sim.agency.clients).toEqual(["client-1", "client-2"]);
  });
});
