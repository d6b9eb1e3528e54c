// The Yandex.Direct simulator speaks the Live 4 JSON protocol: envelope, errors, token, locale.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../../src/simulators/yandex-direct/index.js";
import { events, getEventsLog, manualClock, post } from "./helpers.js";

const clock = manualClock("2026-03-10T12:00:00Z");
const FROM = "2026-03-09T00:00:00Z";
let sim: YandexDirectSimulator;

beforeAll(async () => {
  sim = await startYandexDirectSimulator({ clock: clock.now, historyDays: 2 });
});
afterAll(() => sim.close());

describe("envelope", () => {
  test("success is HTTP 200 JSON with a RequestId header and the log as data", async () => {
    const answer = await post(sim, {
      method: "GetEventsLog",
      token: sim.advertiser.token,
      param: { TimestampFrom: FROM, Currency: "RUB" },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(answer.headers.get("requestid")).toMatch(/^\d+$/);
    expect(answer.body?.data).toEqual(sim.events({ login: "advertiser", from: FROM }));
    expect((answer.body?.data as unknown[]).length).toBeGreaterThan(100);
  });

  test("errors are HTTP 200 with error_code, error_str and error_detail", async () => {
    const answer = await post(sim, {
      method: "GetEventsLog",
      token: "nope",
      param: { TimestampFrom: FROM, Currency: "RUB" },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(answer.body).toEqual({ error_code: 53, error_str: "Authorization error", error_detail: expect.any(String) });
  });

  test("every answer carries a new decimal RequestId, errors and transport faults too, and the simulator lists them", async () => {
    const request = {
      method: "GetEventsLog",
      token: sim.advertiser.token,
      param: { TimestampFrom: FROM, Currency: "RUB" },
    };
    const ids: Array<string | null> = [];
    const answers = [await post(sim, { ...request, token: "nope" })];
    sim.failNext(sim.advertiser.token, 502);
    answers.push(await post(sim, request));
    sim.setOptions({ faults: { serverErrorRate: 1 } });
    try {
      answers.push(await post(sim, request));
      sim.setOptions({ faults: { garbageRate: 1 } });
      answers.push(await post(sim, request));
    } finally {
      sim.setOptions({ faults: {} });
    }
    answers.push(
      await fetch(sim.endpoint).then((res) => ({
        status: res.status,
        headers: res.headers,
        text: "",
        body: undefined,
      })),
    );
    for (const answer of answers) ids.push(answer.headers.get("RequestId"));
    expect(answers.map((a) => a.status)).toEqual([200, 502, expect.any(Number), 200, 405]);
    expect(answers[2]?.status).toBeGreaterThanOrEqual(500);
    for (const id of ids) expect(id).toMatch(/^\d{10,}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(sim.requestIds().slice(-ids.length)).toEqual(ids);
  });

  test("the body token is required; Authorization and Client-Login headers are ignored", async () => {
    const param = { TimestampFrom: FROM, Currency: "RUB" };
    const answer = await post(
      sim,
      { method: "GetEventsLog", param },
      { headers: { authorization: `Bearer ${sim.advertiser.token}`, "client-login": "advertiser" } },
    );
    expect(answer.body?.error_code).toBe(53);
    expect((await getEventsLog(sim, param, "")).error_code).toBe(53);
  });

  test("a body that is not a JSON object is a parameter error", async () => {
    expect((await post(sim, "{oops")).body?.error_code).toBe(71);
    expect((await post(sim, "[1,2]")).body?.error_code).toBe(71);
  });

  test("an unknown method is error 55 by default, 509 when configured", async () => {
    const body = { method: "GetBalance", token: sim.advertiser.token, param: [1] };
    expect((await post(sim, body)).body).toMatchObject({ error_code: 55, error_str: "Operation not found" });
    sim.setOptions({ unknownMethodCode: 509 });
    try {
      expect((await post(sim, body)).body?.error_code).toBe(509);
    } finally {
      sim.setOptions({ unknownMethodCode: 55 });
    }
  });

  test("an unknown path is 404, GET on the endpoint 405", async () => {
    expect((await fetch(`${sim.url}/v5/json/`)).status).toBe(404);
    expect((await fetch(sim.endpoint)).status).toBe(405);
  });
});

describe("locale", () => {
  const param = { TimestampFrom: FROM, Currency: "RUB", Filter: { EventType: ["MoneyIn"] }, Limit: 1 };
  test.each([
    [undefined, "Funds added", "Authorization error"],
    ["en", "Funds added", "Authorization error"],
    ["ru", "Зачислены средства", "Ошибка авторизации"],
    ["uk", "Зараховано кошти", "Помилка авторизації"],
  ])("locale %s sets EventName and error_str", async (locale, eventName, errorStr) => {
    const [item] = await events(sim, param, sim.advertiser.token, locale);
    expect(item?.EventName).toBe(eventName);
    expect((await getEventsLog(sim, param, "bad", locale)).error_str).toBe(errorStr);
  });
});

describe("parameter errors", () => {
  const base = { TimestampFrom: FROM, Currency: "RUB" };
  test.each([
    ["missing Currency", { TimestampFrom: FROM }, 245],
    ["empty Currency", { ...base, Currency: "" }, 245],
    ["unknown Currency", { ...base, Currency: "GBP" }, 71],
    ["missing TimestampFrom", { Currency: "RUB" }, 71],
    ["TimestampFrom not a date", { ...base, TimestampFrom: "yesterday" }, 3],
    ["TimestampFrom on 30 February", { ...base, TimestampFrom: "2026-02-30T00:00:00Z" }, 3],
    ["TimestampTo not a string", { ...base, TimestampTo: 1234 }, 3],
    ["From after To", { ...base, TimestampTo: "2026-03-08T00:00:00Z" }, 5],
    ["Limit 0", { ...base, Limit: 0 }, 8],
    ["Limit -5", { ...base, Limit: -5 }, 8],
    ["Limit 1.5", { ...base, Limit: 1.5 }, 8],
    ["Limit abc", { ...base, Limit: "abc" }, 8],
    ["Offset -1", { ...base, Limit: 10, Offset: -1 }, 18],
    ["Offset x", { ...base, Limit: 10, Offset: "x" }, 18],
    ["Filter.CampaignIDS not an array", { ...base, Filter: { CampaignIDS: 5 } }, 9],
    ["Logins not an array", { ...base, Logins: "client-1" }, 9],
    ["unknown EventType", { ...base, Filter: { EventType: ["MoneyGone"] } }, 71],
    ["LastEventOnly Maybe", { ...base, LastEventOnly: "Maybe" }, 71],
  ])("%s → %i", async (_name, param, code) => {
    expect((await getEventsLog(sim, param)).error_code).toBe(code);
  });

  test("Limit and Offset as digit strings are accepted", async () => {
    const data = await events(sim, { ...base, Limit: "3", Offset: "2" });
    expect(data).toEqual(sim.events({ login: "advertiser", from: FROM }).slice(2, 5));
  });
});

test("the seed page's Python example, with Currency added, works as written", async () => {
  const early = await startYandexDirectSimulator({
    clock: () => Date.parse("2012-02-19T00:00:00Z"),
    historyDays: 5,
    eventsPerHour: 10,
  });
  try {
    const param = {
      TimestampFrom: "2012-02-15T23:59:59Z",
      TimestampTo: "2012-02-18T23:59:59Z",
      Filter: {
        CampaignIDS: [3193279],
        EventType: ["MoneyIn", "CampaignFinished"],
      },
      Currency: "RUB",
    };
    const data = await events(early, param);
    const truth = early
      .events({ login: "advertiser", from: param.TimestampFrom, to: param.TimestampTo })
      .filter((e) => e.CampaignID === 3193279 && (e.EventType === "MoneyIn" || e.EventType === "CampaignFinished"));
    expect(data.length).toBeGreaterThan(3);
    expect(data).toEqual(truth);
    expect(new Set(data.map((e) => e.EventType))).toEqual(new Set(["MoneyIn", "CampaignFinished"]));
  } finally {
    await early.close();
  }
});
