// The Altcraft simulator's handle and admin routes tell a test exactly what it holds and what it was asked.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AltcraftSimulator } from "../../../src/simulators/altcraft/index.js";
import { call, manualClock, small, T0, TOKEN } from "./helpers.js";

const clock = manualClock();
let sim: AltcraftSimulator;
beforeAll(async () => {
  sim = await small({ clock: clock.now, tokens: [TOKEN, "second"] });
});
afterAll(() => sim.close());

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.url}/__admin/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  return { status: res.status, json: await res.json() };
}

describe("handle", () => {
  test("url, apiUrl and tokens describe the server", () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.apiUrl).toBe(`${sim.url}/api/v1.1/`);
    expect(sim.tokens).toEqual([TOKEN, "second"]);
    expect(sim.now()).toBe(T0);
  });

  test("requestCounts counts per token and method", async () => {
    sim.resetRequestCounts();
    await call(sim, "campaigns/list", { token: TOKEN });
    await call(sim, "campaigns/list/", { token: TOKEN });
    await call(sim, "campaigns/log_v2", { token: "second", id: 1 });
    await call(sim, "campaigns/list", {});
    expect(sim.requestCounts()).toEqual({
      [TOKEN]: { "campaigns/list": 2 },
      second: { "campaigns/log_v2": 1 },
      "": { "campaigns/list": 1 },
    });
  });

  test("log() takes a closed range", () => {
    const all = sim.log(1);
    const from = all[3]?.time as string;
    const to = all[10]?.time as string;
    expect(sim.log(1, { from, to })).toEqual(all.filter((r) => r.time >= from && r.time <= to));
  });

  test("bad input to the handle throws an error naming the field", () => {
    expect(() => sim.addLogRows(1, [{ time: "not a time", level: "INFO", message: "x" }])).toThrow(/`time`/);
    expect(() => sim.setOptions({ maxLimit: -1 })).toThrow(/`maxLimit`.*-1/);
    expect(() => sim.log(999_999)).toThrow(/campaign 999999/);
  });
});

describe("admin routes", () => {
  test("GET campaigns, log, requests, options and stats mirror the handle", async () => {
    expect((await admin("GET", "campaigns")).json).toEqual(sim.campaigns());
    const all = sim.log(1);
    const from = all[2]?.time as string;
    const to = all[6]?.time as string;
    expect((await admin("GET", `log?id=1&from=${from}&to=${to}`)).json).toEqual(sim.log(1, { from, to }));
    expect((await admin("GET", "requests")).json).toEqual(sim.requestCounts());
    expect((await admin("GET", "options")).json).toEqual(sim.options());
    expect((await admin("GET", "stats")).json).toEqual(sim.stats());
  });

  test("POST routes change data, switches and failures", async () => {
    const time = new Date(T0 - 1000).toISOString();
    await admin("POST", "log-rows", { id: 1, rows: [{ time, level: "ERROR", message: "via admin" }] });
    await admin("POST", "burst", { id: 1, time, count: 3 });
    expect(sim.log(1, { from: time, to: time }).map((r) => r.message)).toEqual(
      expect.arrayContaining(["via admin", "Message rejected by provider"]),
    );
    const created = (await admin("POST", "campaigns", { name: "From admin", type: "broadcast" })).json as {
      id: number;
    };
    expect(sim.campaigns().map((c) => c.name)).toContain("From admin");
    expect((await admin("POST", "campaign-state", { id: created.id, state: "completed" })).json).toMatchObject({
      status: "Completed",
    });
    expect(
      ((await admin("POST", "options", { pageOrder: "descending" })).json as { pageOrder: string }).pageOrder,
    ).toBe("descending");
    expect(sim.options().pageOrder).toBe("descending");
    sim.setOptions({ pageOrder: "ascending" });
    await admin("POST", "fail-next", { token: TOKEN, count: 1, code: 500 });
    expect((await call(sim, "campaigns/list", { token: TOKEN })).status).toBe(500);
    await admin("DELETE", "requests");
    expect(sim.requestCounts()).toEqual({});
  });

  test("bad admin requests answer 400, unknown routes 404", async () => {
    expect((await admin("POST", "options", { pageOrder: "sideways" })).status).toBe(400);
    expect((await admin("GET", "log?id=abc")).status).toBe(400);
    expect((await admin("GET", "nope")).status).toBe(404);
  });
});
