import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../common/http-server.js";
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
export async function handleAdmin(
  sim: Omit<YandexDirectSimulator, "url" | "endpoint" | "agencyClientsEndpoint" | "close">,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = `${req.method ?? "GET"} ${url.pathname.replace(/\/$/, "")}`;
  const q = url.searchParams;
  const send = (status: number, value: unknown): void => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(value));
  };
  const time = (name: string): string | number | undefined => {
    const value = q.get(name);
    if (value === null) return undefined;
    return /^-?\d+$/.test(value) ? Number(value) : value;
  };
  const login = (): string => {
    const value = q.get("login");
    if (!value) throw new TypeError("Expected the `login` query parameter");
    return value;
  };
  const body = async (): Promise<unknown> => JSON.parse(await readBody(req)) as unknown;
  try {
    switch (route) {
      case "GET /__admin/accounts":
        return send(
          200,
          sim.accounts.map((a) => ({ ...a, ...sim.ids(a.login) })),
        );
      case "GET /__admin/events": {
        const currency = q.get("currency") ?? "RUB";
        const locale = q.get("locale") ?? "en";
        if (!CURRENCIES.includes(currency as Currency)) throw new TypeError(`Unknown currency \`${currency}\``);
        if (!LOCALES.includes(locale as Locale)) throw new TypeError(`Unknown locale \`${locale}\``);
        const from = time("from");
        const to = time("to");
        const data = sim.events({
          login: login(),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          currency: currency as Currency,
          locale: locale as Locale,
          withTextDescription: q.get("withTextDescription") === "Yes",
        });
        return send(200, { data });
      }
      case "GET /__admin/count": {
        const value = q.get("login");
        return send(200, { count: sim.countEvents(value ?? undefined) });
      }
      case "POST /__admin/events": {
        const items = await body();
        if (!Array.isArray(items)) throw new TypeError("Expected a JSON array of events");
        sim.addEvents(login(), items as AddedEvent[]);
        return send(200, { added: items.length });
      }
      case "POST /__admin/burst":
        return send(200, { event: sim.addBurst(login(), (await body()) as BurstSpec) });
      case "GET /__admin/requests":
        return send(200, sim.requestCounts());
      case "GET /__admin/request-ids":
        return send(200, sim.requestIds());
      case "DELETE /__admin/requests":
        sim.resetRequestCounts();
        return send(200, { ok: true });
      case "GET /__admin/options":
        return send(200, sim.options());
      case "POST /__admin/options":
        sim.setOptions((await body()) as Parameters<typeof sim.setOptions>[0]);
        return send(200, sim.options());
      case "POST /__admin/fail-next": {
        const spec = (await body()) as { token?: unknown; code?: unknown; count?: unknown };
        if (typeof spec.token !== "string") throw new TypeError("Expected `token` to be a string");
        sim.failNext(spec.token, spec.code as InjectableCode, typeof spec.count === "number" ? spec.count : 1);
        return send(200, { ok: true });
      }
      case "GET /__admin/stats":
        return send(200, sim.stats());
      case "GET /__admin/agency-clients":
        return send(200, sim.agencyClients({ all: q.get("all") === "1" }));
      case "POST /__admin/agency-clients": {
        const spec = (await body()) as { login?: unknown } | null;
        const value = spec?.login;
        if (value !== undefined && typeof value !== "string") throw new TypeError("Expected `login` to be a string");
        return send(200, sim.addAgencyClient(value));
      }
      case "POST /__admin/agency-clients/archive":
      case "POST /__admin/agency-clients/restore":
      case "POST /__admin/agency-clients/remove": {
        const spec = (await body()) as { login?: unknown } | null;
        if (typeof spec?.login !== "string") throw new TypeError("Expected `login` to be a string");
        const change = route.slice(route.lastIndexOf("/") + 1);
        if (change === "archive") return send(200, sim.archiveAgencyClient(spec.login));
        if (change === "restore") return send(200, sim.restoreAgencyClient(spec.login));
        return send(200, sim.removeAgencyClient(spec.login));
      }
      case "POST /__admin/agency-clients/listing": {
        const spec = (await body()) as { login?: unknown; name?: unknown; spelling?: unknown } | null;
        if (typeof spec?.login !== "string") throw new TypeError("Expected `login` to be a string");
        for (const field of ["name", "spelling"] as const) {
          if (spec[field] !== undefined && typeof spec[field] !== "string")
            throw new TypeError(`Expected \`${field}\` to be a string`);
        }
        return send(
          200,
          sim.setAgencyClientListing(spec.login, {
            ...(typeof spec.name === "string" ? { name: spec.name } : {}),
            ...(typeof spec.spelling === "string" ? { spelling: spec.spelling } : {}),
          }),
        );
      }
      case "POST /__admin/agency-clients/fail-next": {
        const spec = (await body()) as { token?: unknown; fault?: unknown; count?: unknown };
        if (typeof spec.token !== "string") throw new TypeError("Expected `token` to be a string");
        const count = typeof spec.count === "number" ? spec.count : 1;
        sim.failAgencyClientsNext(spec.token, spec.fault as AgencyClientsFault, count);
        return send(200, { ok: true });
      }
      case "GET /__admin/points": {
        const token = q.get("token");
        if (!token) throw new TypeError("Expected the `token` query parameter");
        return send(200, sim.points(token));
      }
      case "POST /__admin/points": {
        const spec = (await body()) as { token?: unknown; remaining?: unknown };
        if (spec.token !== undefined && typeof spec.token !== "string")
          throw new TypeError("Expected `token` to be a string");
        if (spec.remaining === undefined) sim.resetPoints(spec.token);
        else if (typeof spec.token !== "string") throw new TypeError("Expected `token` with `remaining`");
        else sim.setPoints(spec.token, spec.remaining as number);
        return send(200, spec.token === undefined ? { ok: true } : sim.points(spec.token));
      }
      default:
        return send(404, { error: `No admin route ${route}` });
    }
  } catch (err) {
    return send(400, { error: err instanceof Error ? err.message : String(err) });
  }
}
