// The Yandex.Direct simulator serves API v5 AgencyClients.get: paging, switches, errors, points and clients
// that come and go, over real HTTP on 127.0.0.1.
import { describe, expect, test } from "vitest";
import { type YandexDirectSimulator } from "../../../src/simulators/yandex-direct/index.js";
import { FIXED_CLOCK, getEventsLog, useSimulators } from "./helpers.js";

const start = useSimulators(FIXED_CLOCK);

interface V5Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown> | undefined;
  /** `result`, or undefined on an error body. */
  result: { Clients?: Array<Record<string, unknown>>; LimitedBy?: number } | undefined;
  /** `error`, or undefined on a result body. */
  error: { request_id: string; error_code: number; error_string: string; error_detail: string } | undefined;
}

interface CallOptions {
  token?: string | null;
  language?: string;
  path?: string;
}

async function call(sim: YandexDirectSimulator, body: unknown, options: CallOptions = {}): Promise<V5Answer> {
  const token = options.token === undefined ? sim.agency.token : options.token;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.language) headers["accept-language"] = options.language;
  const res = await fetch(options.path ? `${sim.url}${options.path}` : sim.agencyClientsEndpoint, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: parsed,
    result: parsed?.result as V5Answer["result"],
    error: parsed?.error as V5Answer["error"],
  };
}

function get(
  criteria: Record<string, unknown> = {},
  fields: string[] = ["ClientId", "Login"],
  page?: { Limit?: number; Offset?: number },
): unknown {
  return {
    method: "get",
    params: { SelectionCriteria: criteria, FieldNames: fields, ...(page ? { Page: page } : {}) },
  };
}

/** Follows LimitedBy to the end; returns every page's result. */
async function listAll(sim: YandexDirectSimulator, limit: number, criteria: Record<string, unknown> = {}) {
  const pages: NonNullable<V5Answer["result"]>[] = [];
  let offset = 0;
  for (;;) {
    const answer = await call(sim, get(criteria, ["ClientId", "Login"], { Limit: limit, Offset: offset }));
    if (!answer.result) throw new Error(`error body: ${answer.text}`);
    pages.push(answer.result);
    if (answer.result.LimitedBy === undefined) return pages;
    offset = answer.result.LimitedBy;
  }
}

const logins = (result: V5Answer["result"]) => (result?.Clients ?? []).map((c) => c.Login);

describe("AgencyClients.get paging", () => {
  test("1,000 clients read with Limit 300 come in four pages, LimitedBy at 300, 600, 900, ordered by ClientId", async () => {
    const sim = await start({ clientLogins: 1000, eventsPerHour: 0 });
    const pages = await listAll(sim, 300);
    expect(pages.map((p) => p.Clients?.length)).toEqual([300, 300, 300, 100]);
    expect(pages.map((p) => p.LimitedBy)).toEqual([300, 600, 900, undefined]);
    const ids = pages.flatMap((p) => (p.Clients ?? []).map((c) => c.ClientId as number));
    expect(ids).toEqual(sim.agencyClients().map((c) => c.clientId));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(sim.requestCounts()[sim.agency.token]).toEqual({ "AgencyClients.get": 4 });
  });

  test("Limit defaults to 10,000 and Offset to 0; a page that holds the rest has no LimitedBy", async () => {
    const sim = await start({ clientLogins: 5 });
    const all = await call(sim, get());
    expect(logins(all.result)).toEqual(["client-1", "client-2", "client-3", "client-4", "client-5"]);
    expect(all.result).not.toHaveProperty("LimitedBy");
    const exact = await call(sim, get({}, ["Login"], { Limit: 5 }));
    expect(exact.result).not.toHaveProperty("LimitedBy");
    const tail = await call(sim, get({}, ["Login"], { Limit: 2, Offset: 3 }));
    expect(logins(tail.result)).toEqual(["client-4", "client-5"]);
    expect(tail.result).not.toHaveProperty("LimitedBy");
  });

  test("the v501 path serves the same listing", async () => {
    const sim = await start({ clientLogins: 2 });
    const answer = await call(sim, get(), { path: "/json/v501/agencyclients" });
    expect(logins(answer.result)).toEqual(["client-1", "client-2"]);
  });

  test("agencyClientsPageCap cuts every page whatever Limit asks, LimitedBy still right", async () => {
    const sim = await start({ clientLogins: 1000, eventsPerHour: 0, agencyClientsPageCap: 250 });
    const first = await call(sim, get({}, ["Login"], { Limit: 300 }));
    expect(first.result?.Clients).toHaveLength(250);
    expect(first.result?.LimitedBy).toBe(250);
    const pages = await listAll(sim, 300);
    expect(pages.map((p) => p.Clients?.length)).toEqual([250, 250, 250, 250]);
    expect(pages.map((p) => p.LimitedBy)).toEqual([250, 500, 750, undefined]);
    // Changed at runtime over the admin route.
    const res = await fetch(`${sim.url}/__admin/options`, {
      method: "POST",
      body: JSON.stringify({ agencyClientsPageCap: 0 }),
    });
    expect(res.status).toBe(200);
    expect((await call(sim, get({}, ["Login"], { Limit: 300 }))).result?.Clients).toHaveLength(300);
  });

  test("agencyClientsOmitEmptyClients leaves the Clients key out of an empty result", async () => {
    const sim = await start({ clientLogins: 3 });
    const empty = await call(sim, get({ Archived: "YES" }));
    expect(empty.result).toEqual({ Clients: [] });
    sim.setOptions({ agencyClientsOmitEmptyClients: true });
    expect((await call(sim, get({ Archived: "YES" }))).result).toEqual({});
    expect((await call(sim, get({}, ["Login"], { Offset: 10 }))).result).toEqual({});
    expect((await call(sim, get())).result?.Clients).toHaveLength(3);
  });
});

describe("AgencyClients.get selection", () => {
  test("Archived YES, NO and absent select archived, active and all clients", async () => {
    const sim = await start({ clientLogins: 5, archivedClients: 2 });
    const fields = ["Login", "Archived"];
    expect((await call(sim, get({ Archived: "YES" }, fields))).result?.Clients).toEqual([
      { Login: "client-4", Archived: "YES" },
      { Login: "client-5", Archived: "YES" },
    ]);
    expect(logins((await call(sim, get({ Archived: "NO" }, fields))).result)).toEqual([
      "client-1",
      "client-2",
      "client-3",
    ]);
    expect((await call(sim, get({}, fields))).result?.Clients).toHaveLength(5);
  });

  test("Logins selects by login, case-insensitively, and ignores logins that are not clients", async () => {
    const sim = await start({ clientLogins: 4 });
    const answer = await call(sim, get({ Logins: ["CLIENT-3", "client-1", "stranger"] }, ["Login"]));
    expect(logins(answer.result)).toEqual(["client-1", "client-3"]);
  });

  test("only the requested FieldNames come back, unsupported ones as null", async () => {
    const sim = await start({ clientLogins: 2, clientCurrencies: { "client-2": "EUR" } });
    const narrow = await call(sim, get({}, ["Login", "Phone"]));
    expect(narrow.result?.Clients).toEqual([
      { Login: "client-1", Phone: null },
      { Login: "client-2", Phone: null },
    ]);
    const wide = await call(
      sim,
      get({}, ["ClientId", "Login", "ClientInfo", "Archived", "Currency", "Type", "CreatedAt", "Representatives"]),
    );
    const [first, second] = wide.result?.Clients ?? [];
    const truth = sim.agencyClients();
    expect(first).toEqual({
      ClientId: truth[0]?.clientId,
      Login: "client-1",
      ClientInfo: truth[0]?.name,
      Archived: "NO",
      Currency: "RUB",
      Type: "SUBCLIENT",
      CreatedAt: truth[0]?.createdAt,
      Representatives: [{ Login: "client-1", Email: "client-1@example.com", Role: "CHIEF" }],
    });
    expect(second?.Currency).toBe("EUR");
    expect(first?.CreatedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(String(first?.CreatedAt) < "2026-03-09").toBe(true);
    expect(typeof first?.ClientInfo).toBe("string");
  });

  test("clientCurrencies mixed gives a seeded mix, the same on every start", async () => {
    const a = await start({ clientLogins: 40, clientCurrencies: "mixed", seed: 5 });
    const b = await start({ clientLogins: 40, clientCurrencies: "mixed", seed: 5 });
    const currencies = (await call(a, get({}, ["Currency"]))).result?.Clients?.map((c) => c.Currency);
    expect(new Set(currencies).size).toBeGreaterThan(2);
    expect((await call(b, get({}, ["Currency"]))).result?.Clients?.map((c) => c.Currency)).toEqual(currencies);
    expect(a.agencyClients().map((c) => c.currency)).toEqual(currencies);
  });
});

describe("AgencyClients.get errors", () => {
  test.each([
    ["no SelectionCriteria", { method: "get", params: { FieldNames: ["Login"] } }, 8000],
    ["no FieldNames", { method: "get", params: { SelectionCriteria: {} } }, 8000],
    ["an unknown field", get({}, ["Login", "Nickname"]), 8000],
    ["a bad Archived", get({ Archived: "MAYBE" }), 8000],
    ["no params", { method: "get" }, 8000],
    ["a body that is not JSON", "{not json", 8000],
    ["Limit above 10,000 (refused, not clamped)", get({}, ["Login"], { Limit: 10_001 }), 4001],
    ["Limit 0", get({}, ["Login"], { Limit: 0 }), 4001],
    ["a negative Offset", get({}, ["Login"], { Offset: -1 }), 4001],
    ["another method", { method: "add", params: {} }, 55],
  ])("%s gets %i in the v5 error form with HTTP 200", async (_what, body, code) => {
    const sim = await start();
    const answer = await call(sim, body);
    expect(answer.status).toBe(200);
    expect(answer.error?.error_code).toBe(code);
    expect(answer.body).not.toHaveProperty("result");
    expect(answer.error?.request_id).toBe(answer.headers.get("RequestId"));
    expect(answer.error?.error_detail).not.toBe("");
  });

  test("no token and an unknown token get 53; the advertiser's and a client's own token get 54", async () => {
    const sim = await start();
    const none = await call(sim, get(), { token: null });
    const unknown = await call(sim, get(), { token: "nobody" });
    expect([none.error?.error_code, unknown.error?.error_code]).toEqual([53, 53]);
    expect(unknown.error?.error_string).toBe("Authorization error");
    expect(unknown.headers.get("Units")).toBeNull();
    const advertiser = await call(sim, get(), { token: sim.advertiser.token });
    const client = await call(sim, get(), { token: "client-1-token" });
    expect([advertiser.error?.error_code, client.error?.error_code]).toEqual([54, 54]);
    expect(advertiser.error?.error_string).toBe("No rights");
    expect(advertiser.error?.error_detail).toContain("not an agency");
    expect(advertiser.headers.get("Units-Used-Login")).toBe("advertiser");
  });

  test("agencyClientsHttpErrors sends errors with a 4xx/5xx status and the same body", async () => {
    const sim = await start({ agencyClientsHttpErrors: true });
    expect((await call(sim, get(), { token: "nobody" })).status).toBe(401);
    const denied = await call(sim, get(), { token: sim.advertiser.token });
    expect(denied.status).toBe(403);
    expect(denied.error?.error_code).toBe(54);
    expect((await call(sim, { method: "get", params: {} })).status).toBe(400);
    expect((await call(sim, get())).status).toBe(200);
  });

  test("Accept-Language ru answers error texts in Russian; other languages in English", async () => {
    const sim = await start();
    const ru = await call(sim, get(), { token: "nobody", language: "ru" });
    expect(ru.error?.error_string).toBe("Ошибка авторизации");
    expect(ru.error?.error_detail).toBe("Неизвестный или просроченный OAuth-токен");
    const denied = await call(sim, get(), { token: sim.advertiser.token, language: "ru-RU,ru;q=0.9" });
    expect(denied.error?.error_string).toBe("Нет прав");
    const tr = await call(sim, get(), { token: "nobody", language: "tr" });
    expect(tr.error?.error_string).toBe("Authorization error");
  });

  test("the per-token concurrency limit is shared with GetEventsLog: 506", async () => {
    const sim = await start({ latencyMs: 300, concurrentRequests: 2 });
    const param = { TimestampFrom: "2026-03-10T11:00:00Z", Currency: "RUB" };
    const held = [getEventsLog(sim, param, sim.agency.token), getEventsLog(sim, param, sim.agency.token)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const limited = await call(sim, get());
    expect(limited.error?.error_code).toBe(506);
    expect(limited.error?.error_string).toBe("Exceeded limit on number of connections");
    expect((await Promise.all(held)).map((b) => Array.isArray(b.data))).toEqual([true, true]);
    expect((await call(sim, get())).result?.Clients).toHaveLength(3);
  });

  test("when the points left do not cover the call it gets 152, and costs nothing", async () => {
    const sim = await start({ clientLogins: 10 });
    sim.setPoints(sim.agency.token, 19);
    const short = await call(sim, get());
    expect(short.error?.error_code).toBe(152);
    expect(short.error?.error_string).toBe("Not enough units");
    expect(short.headers.get("Units")).toBe("0/19/32000");
    // Ten clients cost 20; five cost 15, which fits.
    expect((await call(sim, get({}, ["Login"], { Limit: 5 }))).headers.get("Units")).toBe("15/4/32000");
    sim.resetPoints(sim.agency.token);
    expect(sim.points(sim.agency.token)).toEqual({ spent: 0, remaining: 32_000, daily: 32_000 });
  });

  test("injected faults: one-shot 52/1000/53/152, and a listing that breaks after its first page", async () => {
    const sim = await start({ clientLogins: 30 });
    const token = sim.agency.token;
    sim.failAgencyClientsNext(token, 52);
    sim.failAgencyClientsNext(token, 1000);
    sim.failAgencyClientsNext(token, 152);
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await call(sim, get())).error?.error_code ?? "ok");
    expect(codes).toEqual([52, 1000, 152, "ok"]);

    sim.setOptions({ agencyClientsFailAfterPages: 1 });
    expect((await call(sim, get({}, ["Login"], { Limit: 10 }))).result?.LimitedBy).toBe(10);
    const second = await call(sim, get({}, ["Login"], { Limit: 10, Offset: 10 }));
    expect(second.error?.error_code).toBe(1000);

    sim.setOptions({ agencyClientsFailure: "http500" });
    const broken = await call(sim, get({}, ["Login"], { Limit: 10, Offset: 10 }));
    expect(broken.status).toBe(500);
    expect(broken.body).toBeUndefined();

    sim.setOptions({ agencyClientsFailure: 53, agencyClientsFailAfterPages: 2 });
    expect((await call(sim, get({}, ["Login"], { Limit: 10, Offset: 10 }))).result?.Clients).toHaveLength(10);
    expect((await call(sim, get({}, ["Login"], { Limit: 10, Offset: 20 }))).error?.error_code).toBe(53);

    // Over the admin route too.
    const res = await fetch(`${sim.url}/__admin/agency-clients/fail-next`, {
      method: "POST",
      body: JSON.stringify({ token, fault: "http500" }),
    });
    expect(res.status).toBe(200);
    expect((await call(sim, get({}, ["Login"], { Limit: 10 }))).status).toBe(500);
    expect(() => sim.failAgencyClientsNext(token, 418 as never)).toThrow("`fault`");
  });
});

describe("AgencyClients.get points", () => {
  test("Units reports spent/remaining/daily, 10 per call plus 1 per client, going down call by call", async () => {
    const sim = await start({ clientLogins: 7, pointsPerDay: 64_000 });
    const units: Array<string | null> = [];
    for (const limit of [7, 3, 1]) {
      const answer = await call(sim, get({}, ["Login"], { Limit: limit }));
      expect(answer.headers.get("Units-Used-Login")).toBe("agency");
      expect(answer.headers.get("RequestId")).toMatch(/^\d+$/);
      units.push(answer.headers.get("Units"));
    }
    expect(units).toEqual(["17/63983/64000", "13/63970/64000", "11/63959/64000"]);
    expect(sim.points(sim.agency.token)).toEqual({ spent: 41, remaining: 63_959, daily: 64_000 });
    const res = await fetch(`${sim.url}/__admin/points`, {
      method: "POST",
      body: JSON.stringify({ token: sim.agency.token, remaining: 100 }),
    });
    expect(await res.json()).toEqual({ spent: 63_900, remaining: 100, daily: 64_000 });
    expect((await call(sim, get())).headers.get("Units")).toBe("17/83/64000");
  });
});

describe("agency clients that come and go", () => {
  test("add, archive, restore and remove change the listing between calls; GetEventsLog follows", async () => {
    const sim = await start({ clientLogins: 5, listedClients: 3 });
    const param = { TimestampFrom: "2026-03-09T12:00:00Z", Currency: "RUB" };
    const readLog = (login: string) => getEventsLog(sim, { ...param, Logins: [login] }, sim.agency.token);
    expect(logins((await call(sim, get())).result)).toEqual(["client-1", "client-2", "client-3"]);
    // A pending login has a log but is not the agency's client yet.
    expect((await readLog("client-4")).error_code).toBe(54);
    expect(sim.agencyClients({ all: true }).map((c) => c.status)).toEqual([
      "active",
      "active",
      "active",
      "pending",
      "pending",
    ]);

    expect(sim.addAgencyClient().login).toBe("client-4");
    expect(logins((await call(sim, get())).result)).toEqual(["client-1", "client-2", "client-3", "client-4"]);
    expect(Array.isArray((await readLog("client-4")).data)).toBe(true);
    expect(sim.agency.clients).toEqual(["client-1", "client-2", "client-3", "client-4"]);

    sim.archiveAgencyClient("client-1");
    const archived = await call(sim, get({ Archived: "YES" }, ["Login", "Archived"]));
    expect(archived.result?.Clients).toEqual([{ Login: "client-1", Archived: "YES" }]);
    // An archived client's history stays readable, whatever the login's case.
    const history = await readLog("CLIENT-1");
    expect(history.data).toEqual(sim.events({ login: "client-1", from: param.TimestampFrom }));
    sim.restoreAgencyClient("client-1");
    expect((await call(sim, get({ Archived: "YES" }))).result?.Clients).toEqual([]);

    const removed = sim.removeAgencyClient("client-2");
    expect(removed).toMatchObject({ login: "client-2", listed: false, status: "removed" });
    expect(logins((await call(sim, get())).result)).toEqual(["client-1", "client-3", "client-4"]);
    expect((await readLog("client-2")).error_code).toBe(54);
    expect(sim.countEvents("client-2")).toBeGreaterThan(0);

    // Coming back keeps its ClientId.
    const idBefore = removed.clientId;
    expect(sim.addAgencyClient("client-2").clientId).toBe(idBefore);
    expect(() => sim.addAgencyClient("client-2")).toThrow("already");
    expect(() => sim.archiveAgencyClient("client-5")).toThrow("pending");
    expect(() => sim.removeAgencyClient("nobody")).toThrow("Unknown agency client `nobody`");
  });

  test("a new login gets a ClientId after the others, a token and a log GetEventsLog serves", async () => {
    const sim = await start({ clientLogins: 2 });
    const added = sim.addAgencyClient("New-Shop");
    expect(added).toMatchObject({ login: "new-shop", listed: true, archived: false, currency: "RUB" });
    expect(added.createdAt).toBe("2026-03-10");
    const listing = await call(sim, get({}, ["ClientId", "Login"]));
    expect(listing.result?.Clients?.at(-1)).toEqual({ ClientId: added.clientId, Login: "new-shop" });
    expect(added.clientId).toBeGreaterThan(sim.agencyClients()[1]?.clientId ?? Infinity);
    const param = { TimestampFrom: "2026-03-09T12:00:00Z", Currency: "RUB", Logins: ["new-shop"] };
    const log = await getEventsLog(sim, param, sim.agency.token);
    expect(Array.isArray(log.data)).toBe(true);
    expect((log.data as unknown[]).length).toBeGreaterThan(0);
    expect(log.data).toEqual(sim.events({ login: "new-shop", from: param.TimestampFrom }));
    expect(sim.accounts.find((a) => a.login === "new-shop")?.token).toBe("new-shop-token");
    expect(Array.isArray((await getEventsLog(sim, { ...param, Logins: undefined }, "new-shop-token")).data)).toBe(true);
    expect(() => sim.addAgencyClient("agency")).toThrow("`login`");
  });

  test("the admin routes add, archive, restore, remove and list clients", async () => {
    const sim = await start({ clientLogins: 3, listedClients: 2 });
    const admin = async (path: string, body?: unknown) => {
      const res = await fetch(`${sim.url}/__admin/${path}`, {
        method: body === undefined ? "GET" : "POST",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect((await admin("agency-clients", {})).body.login).toBe("client-3");
    expect((await admin("agency-clients/archive", { login: "client-1" })).body.archived).toBe(true);
    expect((await admin("agency-clients/restore", { login: "client-1" })).body.archived).toBe(false);
    expect((await admin("agency-clients/remove", { login: "client-2" })).body.status).toBe("removed");
    const listed = (await admin("agency-clients")).body as unknown as Array<{ login: string }>;
    expect(listed.map((c) => c.login)).toEqual(["client-1", "client-3"]);
    expect(logins((await call(sim, get())).result)).toEqual(["client-1", "client-3"]);
    const bad = await admin("agency-clients/archive", { login: "client-2" });
    expect(bad.status).toBe(400);
  });

  test("AgencyClients.get calls are counted apart from GetEventsLog", async () => {
    const sim = await start();
    await call(sim, get());
    await call(sim, { method: "delete" });
    await getEventsLog(sim, { TimestampFrom: "2026-03-10T11:00:00Z", Currency: "RUB" }, sim.agency.token);
    await call(sim, get(), { token: null });
    expect(sim.requestCounts()).toEqual({
      [sim.agency.token]: { "AgencyClients.get": 1, "AgencyClients.delete": 1, GetEventsLog: 1 },
      "(none)": { "AgencyClients.get": 1 },
    });
  });
});
