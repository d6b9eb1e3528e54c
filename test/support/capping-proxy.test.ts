// The capping proxy plays a server that answers a prefix of the matching records, of a length it picks per
// response: real requests through it to both simulators on a fixed clock, compared with the simulators' own answers.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import {
  byteCap,
  type CapPolicy,
  type CappingProxy,
  type CappingProxyOptions,
  dipFor,
  fixedCap,
  offsetCap,
  randomCap,
  schedule,
  startCappingProxy,
} from "./capping-proxy.js";

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

const proxies: CappingProxy[] = [];
async function proxy(options: CappingProxyOptions): Promise<CappingProxy> {
  const started = await startCappingProxy(options);
  proxies.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
});

const request = (index: number, offset = 0) => ({ index, offset, limit: undefined, params: {} });

describe("policies", () => {
  test("schedule, dipFor and offsetCap pick caps by response index and offset", () => {
    const scheduled = schedule([3, 1], fixedCap(9));
    expect([0, 1, 2, 3].map((i) => scheduled(request(i), []))).toEqual([3, 1, 9, 9]);
    const dip = dipFor({ from: 2, responses: 2, cap: 1, otherwise: 50 });
    expect([0, 1, 2, 3, 4].map((i) => dip(request(i), []))).toEqual([50, 50, 1, 1, 50]);
    const byOffset = offsetCap(20, 5);
    expect([byOffset(request(0, 0), []), byOffset(request(0, 10), [])]).toEqual([20, 5]);
  });

  test("randomCap is deterministic per seed and response index, within [min, max]", () => {
    const caps = (policy: CapPolicy) => Array.from({ length: 200 }, (_, i) => policy(request(i), []));
    const first = caps(randomCap(42, 3, 7));
    expect(caps(randomCap(42, 3, 7))).toEqual(first);
    expect(new Set(first)).toEqual(new Set([3, 4, 5, 6, 7]));
    expect(caps(randomCap(43, 3, 7))).not.toEqual(first);
  });

  test("byteCap keeps at least one record, and otherwise the longest prefix within its bytes", () => {
    const records = [{ a: "x".repeat(10) }, { a: "y".repeat(10) }, { a: "z".repeat(10) }];
    const one = JSON.stringify(records.slice(0, 1)).length;
    const two = JSON.stringify(records.slice(0, 2)).length;
    expect(byteCap(1)(request(0), records)).toBe(1);
    expect(byteCap(two - 1)(request(0), records)).toBe(1);
    expect(byteCap(two)(request(0), records)).toBe(2);
    expect(byteCap(one)(request(0), [])).toBe(0);
  });

  test("bad arguments are named", () => {
    expect(() => fixedCap(0)).toThrow("Expected `n` to be an integer ≥ 1, got `0`");
    expect(() => randomCap(1, 5, 2)).toThrow("Expected `max` to be ≥ `min` (5), got `2`");
    expect(() => schedule([2, 1.5], fixedCap(1))).toThrow("`caps[1]`");
  });
});

describe("Yandex.Direct", () => {
  const FROM = "2026-03-09T00:00:00Z";
  let sim: YandexDirectSimulator;
  const param = (extra: Record<string, unknown> = {}) => ({ TimestampFrom: FROM, Currency: "RUB", ...extra });
  const body = (p: Record<string, unknown>) => ({ method: "GetEventsLog", token: sim.advertiser.token, param: p });
  const data = (answer: Answer) => answer.body.data as unknown[];

  beforeAll(async () => {
    sim = await startYandexDirectSimulator({ clock: () => Date.parse("2026-03-10T12:00:00Z"), historyDays: 2 });
  });
  afterAll(() => sim.close());

  test("a fixed cap passes a prefix of the upstream answer, keeping content-type and RequestId", async () => {
    const p = await proxy({ upstream: sim.endpoint, source: "yandex_direct", policy: fixedCap(7) });
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/live\/v4\/json\/$/);
    const upstream = data(await postJson(sim.endpoint, body(param({ Limit: 50 }))));
    expect(upstream).toHaveLength(50);
    const answer = await postJson(p.url, body(param({ Limit: 50 })));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(answer.headers.get("requestid")).toMatch(/^\d+$/);
    expect(Object.keys(answer.body)).toEqual(["data"]);
    expect(data(answer)).toEqual(upstream.slice(0, 7));
    // A short upstream answer is passed whole.
    expect(data(await postJson(p.url, body(param({ Limit: 3 }))))).toEqual(upstream.slice(0, 3));
    expect(p.requests).toBe(2);
    expect(p.responses).toEqual([
      {
        index: 0,
        method: "GetEventsLog",
        params: param({ Limit: 50 }),
        offset: 0,
        limit: 50,
        upstreamRecords: 50,
        passedRecords: 7,
      },
      {
        index: 1,
        method: "GetEventsLog",
        params: param({ Limit: 3 }),
        offset: 0,
        limit: 3,
        upstreamRecords: 3,
        passedRecords: 3,
      },
    ]);
  });

  test("a byte cap never exceeds its bytes, unless one record alone does", async () => {
    const p = await proxy({ upstream: sim.endpoint, source: "yandex_direct", policy: byteCap(1) });
    const upstream = data(await postJson(sim.endpoint, body(param({ Limit: 200 }))));
    for (const bytes of [1, 300, 1_000, 4_000, 20_000]) {
      p.setPolicy(byteCap(bytes));
      const passed = data(await postJson(p.url, body(param({ Limit: 200 }))));
      expect(passed).toEqual(upstream.slice(0, passed.length));
      const size = Buffer.byteLength(JSON.stringify(passed));
      if (passed.length > 1) expect(size).toBeLessThanOrEqual(bytes);
      else expect(passed).toHaveLength(1);
      // Longest: one more record would not fit.
      if (passed.length < upstream.length)
        expect(Buffer.byteLength(JSON.stringify(upstream.slice(0, passed.length + 1)))).toBeGreaterThan(bytes);
    }
    expect(p.responses.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
  });

  test("offsetCap applies its second cap only to requests with an Offset", async () => {
    const p = await proxy({ upstream: sim.endpoint, source: "yandex_direct", policy: offsetCap(20, 5) });
    const upstream = data(await postJson(sim.endpoint, body(param({ Limit: 100 }))));
    expect(data(await postJson(p.url, body(param({ Limit: 100 }))))).toEqual(upstream.slice(0, 20));
    expect(data(await postJson(p.url, body(param({ Limit: 100, Offset: 0 }))))).toEqual(upstream.slice(0, 20));
    expect(data(await postJson(p.url, body(param({ Limit: 100, Offset: 10 }))))).toEqual(upstream.slice(10, 15));
    expect(p.responses.map((r) => [r.offset, r.passedRecords])).toEqual([
      [0, 20],
      [0, 20],
      [10, 5],
    ]);
  });

  test("ignoreOffset answers an Offset request with the first page", async () => {
    const p = await proxy({
      upstream: sim.endpoint,
      source: "yandex_direct",
      policy: () => Number.POSITIVE_INFINITY,
      ignoreOffset: true,
    });
    const first = data(await postJson(sim.endpoint, body(param({ Limit: 10 }))));
    const fourth = data(await postJson(sim.endpoint, body(param({ Limit: 10, Offset: 30 }))));
    expect(fourth).not.toEqual(first);
    expect(data(await postJson(p.url, body(param({ Limit: 10, Offset: 30 }))))).toEqual(first);
    expect(p.responses[0]).toMatchObject({ offset: 30, limit: 10, upstreamRecords: 10, passedRecords: 10 });
  });

  test("errors, other methods and API v5 pass through unchanged", async () => {
    const p = await proxy({ upstream: sim.endpoint, source: "yandex_direct", policy: fixedCap(1), ignoreOffset: true });
    const badToken = { method: "GetEventsLog", token: "nope", param: param() };
    expect((await postJson(p.url, badToken)).text).toBe((await postJson(sim.endpoint, badToken)).text);
    const otherMethod = { method: "GetBalance", token: sim.advertiser.token, param: [1] };
    expect((await postJson(p.url, otherMethod)).text).toBe((await postJson(sim.endpoint, otherMethod)).text);
    const v5 = {
      method: "get",
      params: { SelectionCriteria: {}, FieldNames: ["Login"], Page: { Limit: 2, Offset: 1 } },
    };
    const auth = { authorization: `Bearer ${sim.agency.token}` };
    const direct = await postJson(sim.agencyClientsEndpoint, v5, auth);
    const proxied = await postJson(`${new URL(p.url).origin}/json/v5/agencyclients`, v5, auth);
    expect(proxied.status).toBe(direct.status);
    expect(proxied.body).toEqual(direct.body);
    expect((proxied.body.result as { Clients: unknown[] }).Clients).toHaveLength(2);
    expect(p.requests).toBe(3);
    expect(p.responses).toEqual([]);
  });

  test("setPolicy changes the cap from the next response; a policy that throws is a 500", async () => {
    const p = await proxy({ upstream: sim.endpoint, source: "yandex_direct", policy: fixedCap(4) });
    expect(data(await postJson(p.url, body(param({ Limit: 30 }))))).toHaveLength(4);
    p.setPolicy(dipFor({ from: 1, responses: 1, cap: 2, otherwise: 9 }));
    expect(data(await postJson(p.url, body(param({ Limit: 30 }))))).toHaveLength(2);
    expect(data(await postJson(p.url, body(param({ Limit: 30 }))))).toHaveLength(9);
    p.setPolicy(() => Number.NaN);
    const res = await fetch(p.url, { method: "POST", body: JSON.stringify(body(param({ Limit: 30 }))) });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("Expected the cap policy to return a number");
  });
});

describe("Altcraft", () => {
  const TOKEN = "test-token";
  let sim: AltcraftSimulator;
  const log = (p: CappingProxy | AltcraftSimulator, extra: Record<string, unknown> = {}) =>
    postJson(`${p.url}/api/v1.1/campaigns/log_v2`, { token: TOKEN, id: 1, limit: 20, ...extra });

  beforeAll(async () => {
    sim = await startAltcraftSimulator({
      clock: () => Date.parse("2024-04-02T18:00:00.000Z"),
      tokens: [TOKEN],
      campaigns: 3,
      historyDays: 1,
      runsPerDay: 4,
      rowsPerRun: 12,
      completedShare: 0,
      inactiveShare: 0,
    });
  });
  afterAll(() => sim.close());

  test("a fixed cap passes a prefix of log_v2 and the upstream total_count by default", async () => {
    const p = await proxy({ upstream: sim.url, source: "altcraft", policy: fixedCap(6) });
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const upstream = await log(sim);
    expect(upstream.body.data).toHaveLength(20);
    const answer = await log(p);
    expect(answer.headers.get("content-type")).toMatch(/application\/json/);
    expect(answer.body).toEqual({ ...upstream.body, data: (upstream.body.data as unknown[]).slice(0, 6) });
    expect(p.responses).toEqual([
      {
        index: 0,
        method: "campaigns/log_v2",
        params: { token: TOKEN, id: 1, limit: 20 },
        offset: 0,
        limit: 20,
        upstreamRecords: 20,
        passedRecords: 6,
      },
    ]);
  });

  test("totalCount response and missing rewrite total_count", async () => {
    const response = await proxy({
      upstream: sim.url,
      source: "altcraft",
      policy: fixedCap(5),
      totalCount: "response",
    });
    const missing = await proxy({ upstream: sim.url, source: "altcraft", policy: fixedCap(5), totalCount: "missing" });
    expect((await log(sim)).body.total_count).toBeGreaterThan(20);
    expect((await log(response)).body.total_count).toBe(5);
    const answer = await log(missing);
    expect(answer.body).not.toHaveProperty("total_count");
    expect(answer.body.data).toHaveLength(5);
  });

  test("with pageOrder descending the prefix is taken in the order the simulator sent", async () => {
    const p = await proxy({ upstream: sim.url, source: "altcraft", policy: fixedCap(3) });
    sim.setOptions({ pageOrder: "descending" });
    try {
      const upstream = (await log(sim)).body.data as unknown[];
      expect((await log(p)).body.data).toEqual(upstream.slice(0, 3));
    } finally {
      sim.setOptions({ pageOrder: "ascending" });
    }
  });

  test("XML, other methods and error envelopes pass through unchanged", async () => {
    const p = await proxy({ upstream: sim.url, source: "altcraft", policy: fixedCap(1), totalCount: "missing" });
    const xml = async (base: string) => {
      const res = await fetch(`${base}/api/v1.1/campaigns/log_v2`, {
        method: "POST",
        headers: { "content-type": "application/xml" },
        body: `<xml><token>${TOKEN}</token><id>1</id><limit>5</limit></xml>`,
      });
      return { type: res.headers.get("content-type"), text: await res.text() };
    };
    const direct = await xml(sim.url);
    expect(direct.text.match(/<data>/g)).toHaveLength(5);
    expect(await xml(p.url)).toEqual(direct);
    const list = (base: AltcraftSimulator | CappingProxy) =>
      postJson(`${base.url}/api/v1.1/campaigns/list`, { token: TOKEN, limit: 10 });
    expect((await list(p)).text).toBe((await list(sim)).text);
    const denied = await log(p, { token: "nope" });
    expect(denied.status).toBe(401);
    expect(denied.text).toBe((await log(sim, { token: "nope" })).text);
    expect(p.requests).toBe(3);
    expect(p.responses).toEqual([]);
  });

  test("options for the other source are refused by name", async () => {
    await expect(
      startCappingProxy({ upstream: sim.url, source: "altcraft", policy: fixedCap(1), ignoreOffset: true }),
    ).rejects.toThrow("`ignoreOffset` is for Yandex.Direct only");
  });
});
