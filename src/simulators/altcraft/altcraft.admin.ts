/**
 * Admin routes: the handle's ground truth and controls over HTTP, for tools outside the test process.
 * No token: the server listens on loopback only. Bodies and answers are JSON; a bad request answers
 * HTTP 400 `{"error": "<message>"}`, an unknown route 404.
 *
 *   GET  /__admin/campaigns                       → handle.campaigns()
 *   POST /__admin/campaigns        {name?, type?, createdAt?, …}  → handle.addCampaign(body)
 *   POST /__admin/campaign-state   {id, state}    → handle.setCampaignState(id, state)   (active|inactive|completed)
 *   GET  /__admin/log?id=&from=&to=               → handle.log(id, {from, to})  (from/to RFC 3339 or ms, both optional)
 *   POST /__admin/log-rows         {id, rows: [{time, level, message, state?, value?}]} → handle.addLogRows
 *   POST /__admin/burst            {id, time, count, level?, message?, state?, value?}  → handle.addBurst
 *   GET  /__admin/requests                        → handle.requestCounts()
 *   DELETE /__admin/requests                      → handle.resetRequestCounts()
 *   GET  /__admin/options                         → handle.options()
 *   POST /__admin/options          {…switches}    → handle.setOptions(body)
 *   POST /__admin/fail-next        {token, count, code} → handle.failNext(token, count, code)
 *   GET  /__admin/stats                           → handle.stats()
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../common/loopback.server.js";
import type { CampaignState } from "./altcraft.campaigns.js";
import type { AltcraftRuntimeOptions } from "./altcraft.options.js";
import type { AltcraftSimulator, BurstInput, LogRowInput, NewCampaignInput, TimeInput } from "./altcraft.simulator.js";

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body ?? null));
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === "") return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TypeError("Expected a JSON object body");
  }
  return parsed as Record<string, unknown>;
}

function campaignId(raw: unknown): number {
  const id = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof id !== "number" || !Number.isInteger(id))
    throw new TypeError(`Expected \`id\` to be an integer, got \`${String(raw)}\``);
  return id;
}

function timeParam(raw: string | null): TimeInput | undefined {
  if (raw === null || raw === "") return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

type Route = (handle: AltcraftSimulator, url: URL, req: IncomingMessage) => Promise<unknown>;

const ROUTES: Record<string, Route> = {
  "GET /__admin/campaigns": async (h) => h.campaigns(),
  "POST /__admin/campaigns": async (h, _u, req) => h.addCampaign((await jsonBody(req)) as NewCampaignInput),
  "POST /__admin/campaign-state": async (h, _u, req) => {
    const body = await jsonBody(req);
    return h.setCampaignState(campaignId(body["id"]), body["state"] as CampaignState);
  },
  "GET /__admin/log": async (h, url) =>
    h.log(campaignId(url.searchParams.get("id")), {
      from: timeParam(url.searchParams.get("from")),
      to: timeParam(url.searchParams.get("to")),
    }),
  "POST /__admin/log-rows": async (h, _u, req) => {
    const body = await jsonBody(req);
    if (!Array.isArray(body["rows"])) throw new TypeError("Expected `rows` to be an array");
    h.addLogRows(campaignId(body["id"]), body["rows"] as LogRowInput[]);
    return { ok: true };
  },
  "POST /__admin/burst": async (h, _u, req) => {
    const body = await jsonBody(req);
    h.addBurst(campaignId(body["id"]), body as unknown as BurstInput);
    return { ok: true };
  },
  "GET /__admin/requests": async (h) => h.requestCounts(),
  "DELETE /__admin/requests": async (h) => {
    h.resetRequestCounts();
    return { ok: true };
  },
  "GET /__admin/options": async (h) => h.options(),
  "POST /__admin/options": async (h, _u, req) => {
    h.setOptions((await jsonBody(req)) as AltcraftRuntimeOptions);
    return h.options();
  },
  "POST /__admin/fail-next": async (h, _u, req) => {
    const body = await jsonBody(req);
    if (typeof body["token"] !== "string") throw new TypeError("Expected `token` to be a string");
    h.failNext(body["token"], Number(body["count"] ?? 1), Number(body["code"]));
    return { ok: true };
  },
  "GET /__admin/stats": async (h) => h.stats(),
};

export async function handleAdmin(
  handle: AltcraftSimulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, "");
  const route = ROUTES[`${req.method ?? "GET"} ${path}`];
  if (!route) {
    reply(res, 404, { error: `no admin route ${req.method ?? "GET"} ${path}` });
    return;
  }
  try {
    reply(res, 200, await route(handle, url, req));
  } catch (err) {
    reply(res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
}
