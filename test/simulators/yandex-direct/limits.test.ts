// The Yandex.Direct simulator enforces the API's limits (concurrency, rate, daily calls, points) and injected errors.
import { describe, expect, test } from "vitest";
import { type YandexDirectSimulator } from "../../../src/simulators/yandex-direct/index.js";
import { until } from "../../support/until.js";
import { events, FIXED_CLOCK, getEventsLog, manualClock, post, useSimulators } from "./helpers.js";

const start = useSimulators(FIXED_CLOCK);

const param = { TimestampFrom: "2026-03-10T11:00:00Z", Currency: "RUB" };
const codes = (bodies: Array<Record<string, unknown>>) =>
  bodies.map((b) => (Array.isArray(b.data) ? "ok" : b.error_code));

describe("limits", () => {
  test("a sixth simultaneous request of one token gets 506; other tokens are not affected", async () => {
    const sim = await start({ latencyMs: 200 });
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => getEventsLog(sim, param)),
      getEventsLog(sim, param, sim.agency.token),
    ]);
    expect(codes(answers).sort()).toEqual([506, "ok", "ok", "ok", "ok", "ok", "ok"].sort());
    expect(codes(answers)[6]).toBe("ok");
    expect(answers.find((a) => a.error_code === 506)?.error_str).toBe("Exceeded limit on number of connections");
    expect(codes(await Promise.all([getEventsLog(sim, param)]))).toEqual(["ok"]);
  });

  test("the concurrency cap is configurable", async () => {
    const sim = await start({ latencyMs: 150, concurrentRequests: 2 });
    const answers = await Promise.all(Array.from({ length: 4 }, () => getEventsLog(sim, param)));
    expect(codes(answers).filter((c) => c === 506)).toHaveLength(2);
  });

  test("requests over the per-second rate get 506", async () => {
    const sim = await start({ requestsPerSecond: 2 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await getEventsLog(sim, param));
    expect(codes(answers)).toEqual(["ok", "ok", 506]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(codes([await getEventsLog(sim, param)])).toEqual(["ok"]);
  });

  test("after the daily number of calls a token gets 56 until the next UTC day", async () => {
    const clock = manualClock("2026-03-10T22:00:00Z");
    const sim = await start({ clock: clock.now, dailyCallLimit: 3 });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await getEventsLog(sim, param));
    expect(codes(answers)).toEqual(["ok", "ok", "ok", 56]);
    expect(codes([await getEventsLog(sim, param, sim.agency.token)])).toEqual(["ok"]);
    clock.set("2026-03-11T00:00:01Z");
    expect(codes([await getEventsLog(sim, param)])).toEqual(["ok"]);
  });

  test("when the day's points are spent the call gets 152", async () => {
    const sim = await start({ pointsPerCall: 10, pointsPerDay: 25 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await getEventsLog(sim, param));
    expect(codes(answers)).toEqual(["ok", "ok", 152]);
    sim.setOptions({ pointsPerDay: 1000 });
    expect(codes([await getEventsLog(sim, param)])).toEqual(["ok"]);
  });
});

describe("latency", () => {
  // latencyMs is the time from a request's arrival to its answer, the answer's building included: built first, it
  // holds the log as it stood on arrival. Kills the mutation "the answer built after the wait" (latency + building).
  test("an answer is built as its request arrives and sent latencyMs later: events added meanwhile are not in it", async () => {
    const sim = await start({ latencyMs: 400, eventsPerHour: 0 });
    const logins = { Logins: ["client-1"], TimestampFrom: "2026-03-10T00:00:00Z", Currency: "RUB" };
    const waiting = events(sim, logins, sim.agency.token);
    await until("the request to arrive", () => sim.requestCounts()[sim.agency.token]?.GetEventsLog === 1, {
      everyMs: 2,
    });
    sim.addEvents("client-1", [{ Timestamp: "2026-03-10T10:00:00Z", EventType: "LowCTR", CampaignID: 1, BannerID: 2 }]);
    expect(await waiting).toEqual([]);
    expect(await events(sim, logins, sim.agency.token)).toHaveLength(1);
  });
});

describe("injected errors", () => {
  test.each([52, 500, 503, 504] as const)(
    "failNext(token, %i, 2) fails the next two requests of that token only",
    async (code) => {
      const sim = await start();
      sim.failNext(sim.advertiser.token, code, 2);
      const other = await getEventsLog(sim, param, sim.agency.token);
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push(await post(sim, { method: "GetEventsLog", token: sim.advertiser.token, param }));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(codes(answers.map((a) => a.body ?? {}))).toEqual([code, code, "ok"]);
      expect(answers[0]?.body?.error_str).toEqual(expect.any(String));
      expect(codes([other])).toEqual(["ok"]);
    },
  );

  test("failNext with 502 answers HTTP 502 without an API body", async () => {
    const sim = await start();
    sim.failNext(sim.advertiser.token, 502);
    const answer = await post(sim, { method: "GetEventsLog", token: sim.advertiser.token, param });
    expect(answer.status).toBe(502);
    expect(answer.body).toBeUndefined();
    expect(codes([await getEventsLog(sim, param)])).toEqual(["ok"]);
  });

  test("apiErrorRates inject codes by share", async () => {
    const sim = await start({ apiErrorRates: { 503: 1 } });
    expect(codes([await getEventsLog(sim, param)])).toEqual([503]);
    sim.setOptions({ apiErrorRates: { 500: 0.5, 502: 0.5 } });
    const statuses = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const a = await post(sim, { method: "GetEventsLog", token: sim.advertiser.token, param });
      statuses.add(a.status === 502 ? "502" : String(a.body?.error_code));
    }
    expect(statuses).toEqual(new Set(["500", "502"]));
  });
});

describe("transport faults", () => {
  const call = (sim: YandexDirectSimulator, signal?: AbortSignal) =>
    post(sim, { method: "GetEventsLog", token: sim.advertiser.token, param }, signal ? { signal } : {});

  test("server errors answer 5xx without an API body", async () => {
    const sim = await start({ faults: { serverErrorRate: 1 } });
    const answer = await call(sim);
    expect([500, 502, 503]).toContain(answer.status);
    expect(answer.body).toBeUndefined();
  });
  test("hangs outlast the client's timeout", async () => {
    const sim = await start({ faults: { hangRate: 1, hangMs: 300 } });
    await expect(call(sim, AbortSignal.timeout(100))).rejects.toThrow();
  });
  test("truncated bodies are not valid JSON", async () => {
    const sim = await start({ faults: { truncateRate: 1 } });
    const answer = await call(sim);
    expect(answer.status).toBe(200);
    expect(answer.body).toBeUndefined();
    expect(answer.text.startsWith('{"data":[')).toBe(true);
  });
  test("garbage bodies are not JSON at all", async () => {
    const sim = await start({ faults: { garbageRate: 1 } });
    const answer = await call(sim);
    expect(answer.status).toBe(200);
    expect(answer.body).toBeUndefined();
  });
  test("HTML error pages come with HTTP 502", async () => {
    const sim = await start({ faults: { htmlRate: 1 } });
    const answer = await call(sim);
    expect(answer.status).toBe(502);
    expect(answer.headers.get("content-type")).toMatch(/text\/html/);
  });
  test("faults can be switched off at runtime", async () => {
    const sim = await start({ faults: { garbageRate: 1 } });
    sim.setOptions({ faults: {} });
    expect(codes([await getEventsLog(sim, param)])).toEqual(["ok"]);
  });
});

describe("ground truth and admin routes", () => {
  test("requestCounts counts per token and method, including failures", async () => {
    const sim = await start();
    await getEventsLog(sim, param);
    await getEventsLog(sim, param);
    await post(sim, { method: "PingAPI", token: "stranger" });
    await post(sim, "not json");
    expect(sim.requestCounts()).toEqual({
      "advertiser-token": { GetEventsLog: 2 },
      stranger: { PingAPI: 1 },
      "(none)": { "(none)": 1 },
    });
    const res = await fetch(`${sim.url}/__admin/requests`);
    expect(await res.json()).toEqual(sim.requestCounts());
    await fetch(`${sim.url}/__admin/requests`, { method: "DELETE" });
    expect(sim.requestCounts()).toEqual({});
  });

  test("admin routes mirror the handle", async () => {
    const sim = await start();
    const json = async (path: string, init?: RequestInit) =>
      (await fetch(`${sim.url}${path}`, init)).json() as Promise<unknown>;
    const accounts = (await json("/__admin/accounts")) as Array<Record<string, unknown>>;
    expect(accounts.map((a) => a.token)).toEqual(sim.accounts.map((a) => a.token));
    expect(accounts[0]?.campaignIds).toEqual(sim.ids("advertiser").campaignIds);
    const from = "2026-03-10T06:00:00Z";
    const to = "2026-03-10T09:00:00Z";
    expect(
      await json(`/__admin/events?login=client-2&from=${from}&to=${to}&currency=USD&locale=ru&withTextDescription=Yes`),
    ).toEqual({
      data: sim.events({ login: "client-2", from, to, currency: "USD", locale: "ru", withTextDescription: true }),
    });
    expect(await json("/__admin/count?login=agency")).toEqual({ count: sim.countEvents("agency") });
    const added = await json("/__admin/events?login=agency", {
      method: "POST",
      body: JSON.stringify([{ Timestamp: "2026-03-10T11:59:59Z", EventType: "MoneyOut", AccountID: 9 }]),
    });
    expect(added).toEqual({ added: 1 });
    expect(sim.events({ login: "agency", from: "2026-03-10T11:59:59Z" }).at(-1)).toMatchObject({
      EventType: "MoneyOut",
      AccountID: 9,
    });
    await json("/__admin/burst?login=agency", {
      method: "POST",
      body: JSON.stringify({ at: "2026-03-10T11:00:00Z", count: 3 }),
    });
    expect(sim.stats().extraEvents).toBe(4);
    expect(await json("/__admin/stats")).toEqual(sim.stats());
    await json("/__admin/fail-next", {
      method: "POST",
      body: JSON.stringify({ token: sim.advertiser.token, code: 504 }),
    });
    expect(codes([await getEventsLog(sim, param), await getEventsLog(sim, param)])).toEqual([504, "ok"]);
    const bad = await fetch(`${sim.url}/__admin/fail-next`, {
      method: "POST",
      body: JSON.stringify({ token: "x", code: 418 }),
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${sim.url}/__admin/events`)).status).toBe(400);
    expect((await fetch(`${sim.url}/__admin/nothing`)).status).toBe(404);
  });
});
