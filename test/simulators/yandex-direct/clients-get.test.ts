// The Yandex.Direct simulator serves API v5 Clients.get for the token's own user over real HTTP on 127.0.0.1:
// the login of each token (the advertiser's as configured), only the fields asked for, the v5 error envelope
// for an unknown token and a bad request, and the failures `clientsGetFailure` injects.
import { describe, expect, test } from "vitest";
import type { YandexDirectSimulator } from "../../../src/simulators/yandex-direct/index.js";
import { FIXED_CLOCK, useSimulators } from "./helpers.js";

const start = useSimulators(FIXED_CLOCK);

const GET = { method: "get", params: { FieldNames: ["ClientId", "Login"] } };

async function clientsGet(sim: YandexDirectSimulator, token: string, body: unknown = GET) {
  const res = await fetch(`${sim.url}/json/v5/clients`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, requestId: res.headers.get("requestid"), text, body: JSON.parse(text) as unknown };
}

describe("Clients.get", () => {
  test("names the token's own user: the configured advertiser login, the agency, a client", async () => {
    const sim = await start({ advertiserLogin: "shop-owner" });
    const own = await clientsGet(sim, sim.advertiser.token);
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ result: { Clients: [{ ClientId: expect.any(Number), Login: "shop-owner" }] } });
    expect((await clientsGet(sim, sim.agency.token)).body).toMatchObject({
      result: { Clients: [{ Login: "agency" }] },
    });
    expect((await clientsGet(sim, "client-2-token")).body).toMatchObject({
      result: { Clients: [{ Login: "client-2" }] },
    });
    // The advertiser's log is served under that login.
    expect(sim.advertiser.login).toBe("shop-owner");
    expect(sim.countEvents("shop-owner")).toBeGreaterThan(0);
    expect(sim.requestCounts()[sim.advertiser.token]).toEqual({ "Clients.get": 1 });
  });

  test("answers only the fields asked for, and 8000 without FieldNames", async () => {
    const sim = await start();
    expect(
      (await clientsGet(sim, sim.advertiser.token, { method: "get", params: { FieldNames: ["Login"] } })).body,
    ).toEqual({
      result: { Clients: [{ Login: "advertiser" }] },
    });
    const bad = await clientsGet(sim, sim.advertiser.token, { method: "get", params: {} });
    expect(bad.body).toMatchObject({ error: { error_code: 8000, request_id: expect.stringMatching(/^\d+$/) } });
  });

  test("refuses an unknown token with 53", async () => {
    const sim = await start();
    expect((await clientsGet(sim, "nobody")).body).toMatchObject({ error: { error_code: 53 } });
  });

  test.each([53, 1000] as const)(
    "answers every call with an injected %i while clientsGetFailure says so",
    async (code) => {
      const sim = await start({ clientsGetFailure: code });
      for (let i = 0; i < 2; i++) {
        const answer = await clientsGet(sim, sim.advertiser.token);
        expect(answer.body).toMatchObject({
          error: { error_code: code, error_detail: "Injected by the simulator", request_id: answer.requestId },
        });
      }
      sim.setOptions({ clientsGetFailure: null });
      expect((await clientsGet(sim, sim.advertiser.token)).body).toMatchObject({
        result: { Clients: [{ Login: "advertiser" }] },
      });
    },
  );

  test("answers a result without Login when clientsGetFailure is malformed", async () => {
    const sim = await start({ clientsGetFailure: "malformed" });
    expect((await clientsGet(sim, sim.advertiser.token)).body).toEqual({ result: { Clients: [{ ClientId: 1 }] } });
  });

  test("refuses an advertiserLogin that is not a login or is another account's", async () => {
    await expect(start({ advertiserLogin: "Not A Login" })).rejects.toThrow(/Expected `advertiserLogin` to be a login/);
    await expect(start({ advertiserLogin: "client-1" })).rejects.toThrow(/Expected `advertiserLogin`/);
  });
});
