// The Yandex.Direct simulator's admin routes answer as the handle does; a bad request is 400, an unknown route 404.
import { describe, expect, test } from "vitest";
import { FIXED_CLOCK, getEventsLog, useSimulators } from "./helpers.js";

const start = useSimulators(FIXED_CLOCK);

describe("admin routes", () => {
  test("read routes mirror the handle: options, request ids, points, every agency client", async () => {
    const sim = await start({ clientLogins: 3, listedClients: 2 });
    const admin = async (path: string) => {
      const res = await fetch(`${sim.url}/__admin/${path}`);
      return { status: res.status, body: (await res.json()) as unknown };
    };
    await getEventsLog(sim, { TimestampFrom: "2026-03-10T11:00:00Z", Currency: "RUB" });
    expect(await admin("options")).toEqual({ status: 200, body: sim.options() });
    expect(await admin("request-ids/")).toEqual({ status: 200, body: sim.requestIds() });
    expect(sim.requestIds()).toHaveLength(1);
    expect(await admin(`points?token=${sim.agency.token}`)).toEqual({
      status: 200,
      body: sim.points(sim.agency.token),
    });
    expect(await admin("points")).toEqual({ status: 400, body: { error: "Expected the `token` query parameter" } });
    expect(await admin("agency-clients?all=1")).toEqual({ status: 200, body: sim.agencyClients({ all: true }) });
    expect((await admin("agency-clients?all=1")).body).toHaveLength(3);
    expect(await admin("events?login=agency&currency=XYZ")).toEqual({
      status: 400,
      body: { error: "Unknown currency `XYZ`" },
    });
    expect(await admin("burst")).toEqual({ status: 404, body: { error: "No admin route GET /__admin/burst" } });
  });

  test("write routes change the listing and the points; a bad body is 400", async () => {
    const sim = await start({ clientLogins: 2 });
    const admin = async (path: string, body: string) => {
      const res = await fetch(`${sim.url}/__admin/${path}`, { method: "POST", body });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const listed = await admin("agency-clients/listing", JSON.stringify({ login: "client-1", name: "Shop" }));
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ login: "client-1", name: "Shop" });
    expect(sim.agencyClients()[0]?.name).toBe("Shop");
    const badName = await admin("agency-clients/listing", JSON.stringify({ login: "client-1", name: 7 }));
    expect(badName).toEqual({ status: 400, body: { error: "Expected `name` to be a string" } });
    const badLogin = await admin("agency-clients/remove", "null");
    expect(badLogin).toEqual({ status: 400, body: { error: "Expected `login` to be a string" } });
    expect((await admin("options", "{")).status).toBe(400);

    sim.setPoints(sim.agency.token, 5);
    expect(await admin("points", "{}")).toEqual({ status: 200, body: { ok: true } });
    expect(sim.points(sim.agency.token).remaining).toBe(sim.options().pointsPerDay);
    const noToken = await admin("points", JSON.stringify({ remaining: 5 }));
    expect(noToken).toEqual({ status: 400, body: { error: "Expected `token` with `remaining`" } });
  });
});
