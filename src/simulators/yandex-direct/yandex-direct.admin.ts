import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../common/loopback.server.js";
import {
  CURRENCIES,
  LOCALES,
  type AgencyClientsFault,
  type Currency,
  type InjectableCode,
  type Locale,
} from "./yandex-direct.options.js";
import type { AddedEvent } from "./yandex-direct.render.js";
import type { BurstSpec, YandexDirectSimulator } from "./yandex-direct.simulator.js";

type AdminControls = Omit<YandexDirectSimulator, "url" | "endpoint" | "agencyClientsEndpoint" | "close">;

/** One admin request as its route handler sees it: the handle, the query string and the JSON body. */
interface AdminCall {
  sim: AdminControls;
  q: URLSearchParams;
  /** Reads and parses the request body (throws on bad JSON). */
  body(): Promise<unknown>;
}

/** Answers one admin route: the value sent as HTTP 200 JSON; a throw answers 400. */
type AdminRoute = (call: AdminCall) => unknown;

/** A time query parameter: an integer is ms since the epoch, anything else an ISO timestamp. */
function time(q: URLSearchParams, name: string): string | number | undefined {
  const value = q.get(name);
  if (value === null) return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

function loginParam(q: URLSearchParams): string {
  const value = q.get("login");
  if (!value) throw new TypeError("Expected the `login` query parameter");
  return value;
}

/** The body's `login`, which must be a string. */
async function bodyLogin(call: AdminCall): Promise<string> {
  const spec = (await call.body()) as { login?: unknown } | null;
  if (typeof spec?.login !== "string") throw new TypeError("Expected `login` to be a string");
  return spec.login;
}

function accounts({ sim }: AdminCall): unknown {
  return sim.accounts.map((a) => ({ ...a, ...sim.ids(a.login) }));
}

function events({ sim, q }: AdminCall): unknown {
  const currency = q.get("currency") ?? "RUB";
  const locale = q.get("locale") ?? "en";
  if (!CURRENCIES.includes(currency as Currency)) throw new TypeError(`Unknown currency \`${currency}\``);
  if (!LOCALES.includes(locale as Locale)) throw new TypeError(`Unknown locale \`${locale}\``);
  const from = time(q, "from");
  const to = time(q, "to");
  const data = sim.events({
    login: loginParam(q),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    currency: currency as Currency,
    locale: locale as Locale,
    withTextDescription: q.get("withTextDescription") === "Yes",
  });
  return { data };
}

async function addEvents({ sim, q, body }: AdminCall): Promise<unknown> {
  const items = await body();
  if (!Array.isArray(items)) throw new TypeError("Expected a JSON array of events");
  sim.addEvents(loginParam(q), items as AddedEvent[]);
  return { added: items.length };
}

async function addBurst({ sim, q, body }: AdminCall): Promise<unknown> {
  return { event: sim.addBurst(loginParam(q), (await body()) as BurstSpec) };
}

async function setOptions({ sim, body }: AdminCall): Promise<unknown> {
  sim.setOptions((await body()) as Parameters<typeof sim.setOptions>[0]);
  return sim.options();
}

async function failNext({ sim, body }: AdminCall): Promise<unknown> {
  const spec = (await body()) as { token?: unknown; code?: unknown; count?: unknown };
  if (typeof spec.token !== "string") throw new TypeError("Expected `token` to be a string");
  sim.failNext(spec.token, spec.code as InjectableCode, typeof spec.count === "number" ? spec.count : 1);
  return { ok: true };
}

async function addAgencyClient({ sim, body }: AdminCall): Promise<unknown> {
  const spec = (await body()) as { login?: unknown } | null;
  const value = spec?.login;
  if (value !== undefined && typeof value !== "string") throw new TypeError("Expected `login` to be a string");
  return sim.addAgencyClient(value);
}

async function setAgencyClientListing({ sim, body }: AdminCall): Promise<unknown> {
  const spec = (await body()) as { login?: unknown; name?: unknown; spelling?: unknown } | null;
  if (typeof spec?.login !== "string") throw new TypeError("Expected `login` to be a string");
  for (const field of ["name", "spelling"] as const) {
    if (spec[field] !== undefined && typeof spec[field] !== "string")
      throw new TypeError(`Expected \`${field}\` to be a string`);
  }
  return sim.setAgencyClientListing(spec.login, {
    ...(typeof spec.name === "string" ? { name: spec.name } : {}),
    ...(typeof spec.spelling === "string" ? { spelling: spec.spelling } : {}),
  });
}

async function failAgencyClientsNext({ sim, body }: AdminCall): Promise<unknown> {
  const spec = (await body()) as { token?: unknown; fault?: unknown; count?: unknown };
  if (typeof spec.token !== "string") throw new TypeError("Expected `token` to be a string");
  const count = typeof spec.count === "number" ? spec.count : 1;
  sim.failAgencyClientsNext(spec.token, spec.fault as AgencyClientsFault, count);
  return { ok: true };
}

function points({ sim, q }: AdminCall): unknown {
  const token = q.get("token");
  if (!token) throw new TypeError("Expected the `token` query parameter");
  return sim.points(token);
}

async function setPoints({ sim, body }: AdminCall): Promise<unknown> {
  const spec = (await body()) as { token?: unknown; remaining?: unknown };
  if (spec.token !== undefined && typeof spec.token !== "string")
    throw new TypeError("Expected `token` to be a string");
  if (spec.remaining === undefined) sim.resetPoints(spec.token);
  else if (typeof spec.token !== "string") throw new TypeError("Expected `token` with `remaining`");
  else sim.setPoints(spec.token, spec.remaining as number);
  return spec.token === undefined ? { ok: true } : sim.points(spec.token);
}

/** `METHOD /path` (no trailing slash) → its handler. */
const ADMIN_ROUTES = new Map<string, AdminRoute>([
  ["GET /__admin/accounts", accounts],
  ["GET /__admin/events", events],
  ["GET /__admin/count", ({ sim, q }) => ({ count: sim.countEvents(q.get("login") ?? undefined) })],
  ["POST /__admin/events", addEvents],
  ["POST /__admin/burst", addBurst],
  ["GET /__admin/requests", ({ sim }) => sim.requestCounts()],
  ["GET /__admin/request-ids", ({ sim }) => sim.requestIds()],
  [
    "DELETE /__admin/requests",
    ({ sim }) => {
      sim.resetRequestCounts();
      return { ok: true };
    },
  ],
  ["GET /__admin/options", ({ sim }) => sim.options()],
  ["POST /__admin/options", setOptions],
  ["POST /__admin/fail-next", failNext],
  ["GET /__admin/stats", ({ sim }) => sim.stats()],
  ["GET /__admin/agency-clients", ({ sim, q }) => sim.agencyClients({ all: q.get("all") === "1" })],
  ["POST /__admin/agency-clients", addAgencyClient],
  ["POST /__admin/agency-clients/archive", async (call) => call.sim.archiveAgencyClient(await bodyLogin(call))],
  ["POST /__admin/agency-clients/restore", async (call) => call.sim.restoreAgencyClient(await bodyLogin(call))],
  ["POST /__admin/agency-clients/remove", async (call) => call.sim.removeAgencyClient(await bodyLogin(call))],
  ["POST /__admin/agency-clients/listing", setAgencyClientListing],
  ["POST /__admin/agency-clients/fail-next", failAgencyClientsNext],
  ["GET /__admin/points", points],
  ["POST /__admin/points", setPoints],
]);

/**
 * Admin routes: the handle over HTTP, for tools outside the process. Never counted, limited or faulted.
 *
 *   GET  /__admin/accounts                     → [{ token, login, role, clients, campaignIds, accountId }]
 *   GET  /__admin/events?login=L[&from=ISO|ms][&to=ISO|ms][&currency=RUB][&locale=en][&withTextDescription=Yes]
 *                                              → { data: [EventsLogItem…] } (ground truth, ascending, [from, to])
 *   GET  /__admin/count[?login=L]              → { count } events up to the clock
 *   POST /__admin/events?login=L   body [AddedEvent…]                       → { added }
 *   POST /__admin/burst?login=L    body { at, count, event? }                → { event }
 *   GET  /__admin/requests                     → { [token]: { [method]: n } };  DELETE resets them
 *   GET  /__admin/request-ids                  → [RequestId…] of the Live 4 answers sent, oldest first
 *   GET  /__admin/options                      → current runtime options
 *   POST /__admin/options          body { …partial runtime options }        → the options after the change
 *   POST /__admin/fail-next        body { token, code, count? }              → { ok: true }
 *   GET  /__admin/stats                        → { generatedBuckets, generatedEvents, extraEvents, packedBytes }
 *   GET  /__admin/agency-clients[?all=1]       → [AgencyClientTruth…] (listed ones; with all=1 every status)
 *   POST /__admin/agency-clients   body { login? }                          → the client added (listed, active)
 *   POST /__admin/agency-clients/archive|restore|remove  body { login }      → the client after the change
 *   POST /__admin/agency-clients/fail-next  body { token, fault, count? }    → { ok: true }
 *   POST /__admin/agency-clients/listing  body { login, name?, spelling? }   → the client after the change
 *   GET  /__admin/points?token=T               → { spent, remaining, daily }
 *   POST /__admin/points           body { token?, remaining? }  → sets what `token` has left, or resets (all)
 * A bad request gets HTTP 400 `{ "error": "…" }`.
 */
export async function handleAdmin(sim: AdminControls, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = `${req.method ?? "GET"} ${url.pathname.replace(/\/$/, "")}`;
  const send = (status: number, value: unknown): void => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(value));
  };
  const handler = ADMIN_ROUTES.get(route);
  try {
    if (!handler) return send(404, { error: `No admin route ${route}` });
    const call: AdminCall = {
      sim,
      q: url.searchParams,
      body: async () => JSON.parse(await readBody(req)) as unknown,
    };
    return send(200, await handler(call));
  } catch (err) {
    return send(400, { error: err instanceof Error ? err.message : String(err) });
  }
}
