// The Altcraft simulator answers the documented API errors (400, 401, 402, 403, 404) and injected failures.
import { afterEach, describe, expect, test } from "vitest";
import type { AltcraftSimulator } from "../../../src/simulators/altcraft/index.js";
import { call, small, TOKEN } from "./helpers.js";

let sim: AltcraftSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
const start = async (options: Parameters<typeof small>[0] = {}): Promise<AltcraftSimulator> => {
  sim = await small(options);
  return sim;
};

describe("API errors", () => {
  test.each([
    ["a non-integer id", { id: "abc" }],
    ["a fractional id", { id: 1.5 }],
    ["a missing id", {}],
    ["an invalid from_time", { id: 1, from_time: "yesterday" }],
    ["an impossible from_time", { id: 1, from_time: "2024-02-30T00:00:00Z" }],
    ["a zero limit", { id: 1, limit: 0 }],
    ["an unknown format", { id: 1, format: "csv" }],
  ])("%s answers 400", async (_name, body) => {
    const s = await start();
    const r = await call(s, "campaigns/log_v2", { token: TOKEN, ...body });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ data: null, error: 400 });
    expect(r.body.error_text).toMatch(/^Incorrect request/);
  });

  test("a body that is not JSON answers 400", async () => {
    const s = await start();
    const res = await fetch(`${s.apiUrl}campaigns/log_v2`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
  });

  test("a missing or unknown token answers 401", async () => {
    const s = await start();
    const missing = await call(s, "campaigns/list", {});
    const unknown = await call(s, "campaigns/list", { token: "wrong" });
    expect([missing.status, missing.body.error, unknown.status, unknown.body.error]).toEqual([401, 401, 401, 401]);
  });

  test("calls past the tariff limit answer 402", async () => {
    const s = await start({ tariffLimit: 2 });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await call(s, "campaigns/list", { token: TOKEN })).body.error);
    expect(codes).toEqual([0, 0, 402, 402]);
    s.resetRequestCounts();
    expect((await call(s, "campaigns/list", { token: TOKEN })).body.error).toBe(0);
  });

  test("a token without rights for the method or the campaign answers 403", async () => {
    const s = await start({ tokens: [TOKEN, { token: "narrow", methods: ["campaigns/log_v2"], campaignIds: [1] }] });
    expect((await call(s, "campaigns/list", { token: "narrow" })).status).toBe(403);
    const other = s.campaigns()[1]?.id ?? 0;
    expect((await call(s, "campaigns/log_v2", { token: "narrow", id: other })).body.error).toBe(403);
    expect((await call(s, "campaigns/log_v2", { token: "narrow", id: 1 })).body.error).toBe(0);
  });

  test("an unknown campaign answers 404", async () => {
    const s = await start();
    const r = await call(s, "campaigns/get_status", { token: TOKEN, id: 999_999 });
    expect([r.status, r.body.error]).toEqual([404, 404]);
  });

  test("with httpStatusMirrorsError off, API errors come with HTTP 200", async () => {
    const s = await start({ httpStatusMirrorsError: false });
    const r = await call(s, "campaigns/get_status", { token: TOKEN, id: 999_999 });
    expect([r.status, r.body.error]).toEqual([200, 404]);
    s.setOptions({ httpStatusMirrorsError: true });
    expect((await call(s, "campaigns/get_status", { token: "x", id: 1 })).status).toBe(401);
  });

  test("failNext fails the next N requests of one token with the given code", async () => {
    const s = await start({ tokens: [TOKEN, "other"] });
    s.failNext(TOKEN, 2, 402);
    s.failNext(TOKEN, 1, 503);
    const other = await call(s, "campaigns/list", { token: "other" });
    const mine: Array<[number, number]> = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(s, "campaigns/list", { token: TOKEN });
      mine.push([r.status, r.body.error]);
    }
    expect(other.body.error).toBe(0);
    expect(mine).toEqual([
      [402, 402],
      [402, 402],
      [503, 503],
      [200, 0],
    ]);
  });
});

describe("rate limits", () => {
  test("requests over the per-second limit answer HTTP 429 with Retry-After", async () => {
    const s = await start({ requestsPerSecond: 2, retryAfterSeconds: 3 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await call(s, "campaigns/list", { token: TOKEN }));
    expect(results.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(results[2]?.body.error).toBe(429);
    expect(results[2]?.headers.get("retry-after")).toBe("3");
  });

  test("requests over the concurrency limit answer HTTP 429, even with httpStatusMirrorsError off", async () => {
    const s = await start({ concurrentRequests: 2, latencyMs: 150, httpStatusMirrorsError: false });
    const results = await Promise.all([0, 1, 2].map(() => call(s, "campaigns/list", { token: TOKEN })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    expect(results.find((r) => r.status === 429)?.headers.get("retry-after")).toBe("1");
    expect((await call(s, "campaigns/list", { token: TOKEN })).status).toBe(200);
  });
});

describe("transport faults", () => {
  const raw = (s: AltcraftSimulator, signal?: AbortSignal) =>
    fetch(`${s.apiUrl}campaigns/list`, {
      method: "POST",
      body: JSON.stringify({ token: TOKEN }),
      signal: signal ?? null,
    });

  test("serverErrorRate answers 5xx without an API body", async () => {
    const s = await start({ faults: { serverErrorRate: 1 } });
    const res = await raw(s);
    expect([500, 502, 503]).toContain(res.status);
    s.setOptions({ faults: {} });
    expect((await raw(s)).status).toBe(200);
  });

  test("hangRate holds the request past the client's timeout", async () => {
    const s = await start({ faults: { hangRate: 1, hangMs: 2_000 } });
    await expect(raw(s, AbortSignal.timeout(100))).rejects.toThrow();
  });

  test("truncateRate cuts the body in half", async () => {
    const s = await start({ faults: { truncateRate: 1 } });
    const text = await (await raw(s)).text();
    expect(() => JSON.parse(text) as unknown).toThrow();
    expect(text.startsWith('{"data":[')).toBe(true);
  });

  test("garbageRate answers HTTP 200 with a body that is not JSON", async () => {
    const s = await start({ faults: { garbageRate: 1 } });
    const res = await raw(s);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  test("htmlRate answers an HTML error page", async () => {
    const s = await start({ faults: { htmlRate: 1 } });
    const res = await raw(s);
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
  });
});
