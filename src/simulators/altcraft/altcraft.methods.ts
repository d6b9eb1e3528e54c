/**
 * The three API methods, as pure functions of (parameters, the campaign book, the clock, the switches).
 * Parameter problems throw `ApiFailure` (error 400); unknown campaigns 404; campaigns outside a token's rights 403.
 */
import type { Random } from "../common/seeded.random.js";
import type { Campaign, CampaignBook } from "./altcraft.campaigns.js";
import { type Envelope, type Params, parseTimestamp, SUCCESS_TEXT } from "./altcraft.codec.js";
import type { LogRow } from "./altcraft.log-store.js";
import type { AltcraftMethod, AltcraftTokenGrant, ResolvedOptions } from "./altcraft.options.js";

/** An API error answered in the envelope: `error` is the documented code. */
export class ApiFailure extends Error {
  readonly code: number;
  constructor(code: number, text: string) {
    super(text);
    this.code = code;
  }
}

export const ERROR_TEXTS: Record<number, string> = {
  400: "Incorrect request",
  401: "API token required",
  402: "Tariff limit reached",
  403: "No access rights",
  404: "Not found",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
};

export function errorText(code: number, detail?: string): string {
  const base = ERROR_TEXTS[code] ?? `Error ${code}`;
  return detail ? `${base}: ${detail}` : base;
}

const badRequest = (detail: string): ApiFailure => new ApiFailure(400, errorText(400, detail));

export interface MethodContext {
  params: Params;
  book: CampaignBook;
  now: number;
  options: ResolvedOptions;
  grant: AltcraftTokenGrant;
  lateRandom: Random;
}

function intParam(params: Params, name: string, min: number): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === "") return undefined;
  const value = typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw badRequest(`\`${name}\` must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function boolParam(params: Params, name: string): boolean | undefined {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (raw === true || raw === "true" || raw === 1 || raw === "1") return true;
  if (raw === false || raw === "false" || raw === 0 || raw === "0") return false;
  throw badRequest(`\`${name}\` must be a boolean, got ${JSON.stringify(raw)}`);
}

function limitParam(ctx: MethodContext): number {
  const limit = intParam(ctx.params, "limit", 1) ?? 1000;
  const max = ctx.options.maxLimit;
  if (max > 0 && limit > max) {
    if (ctx.options.overMaxLimit === "reject") throw badRequest(`\`limit\` must be ≤ ${max}, got ${limit}`);
    return max;
  }
  return limit;
}

function mayRead(grant: AltcraftTokenGrant, id: number): boolean {
  return grant.campaignIds === undefined || grant.campaignIds.includes(id);
}

function campaignParam(ctx: MethodContext): Campaign {
  const id = intParam(ctx.params, "id", 0);
  if (id === undefined) throw badRequest("`id` is required");
  if (!mayRead(ctx.grant, id)) throw new ApiFailure(403, errorText(403, `token may not read campaign ${id}`));
  const campaign = ctx.book.get(id, ctx.now);
  if (!campaign) throw new ApiFailure(404, errorText(404, `campaign ${id} does not exist`));
  return campaign;
}

function success(data: unknown, extra: Partial<Envelope> = {}): Envelope {
  return { data, error: 0, error_text: SUCCESS_TEXT, ...extra };
}

function list(ctx: MethodContext): Envelope {
  const fromId = intParam(ctx.params, "from_id", 0) ?? 1;
  const limit = limitParam(ctx);
  const type = ctx.params["type"];
  if (type !== undefined && typeof type !== "string") throw badRequest("`type` must be a string");
  const isActive = boolParam(ctx.params, "is_active");
  // An unknown `type` matches nothing (an empty page), as a filter would; it is not an error.
  const matching = ctx.book
    .visible(ctx.now)
    .filter((c) => mayRead(ctx.grant, c.id))
    .map((c) => ctx.book.view(c, ctx.now))
    .filter(
      (c) =>
        (type === undefined || type === "" || c.type === type) && (isActive === undefined || c.is_active === isActive),
    );
  const page = matching.filter((c) => c.id >= fromId).slice(0, limit);
  const last = page[page.length - 1];
  const data = page.map((c) => ({
    id: c.id,
    name: c.name,
    type: c.type,
    is_active: c.is_active,
    subid: c.subid,
    for_confirm: c.for_confirm,
    ui_tags: c.ui_tags,
    groups: c.groups,
  }));
  return success(data, { next_from_id: last ? last.id + 1 : fromId, total_count: matching.length });
}

function getStatus(ctx: MethodContext): Envelope {
  const view = ctx.book.view(campaignParam(ctx), ctx.now);
  return success({ is_active: view.is_active, is_completed: view.is_completed, status: view.status });
}

function logV2(ctx: MethodContext): Envelope {
  const campaign = campaignParam(ctx);
  const rawFrom = ctx.params["from_time"];
  let from: number | undefined;
  if (rawFrom !== undefined && rawFrom !== null && rawFrom !== "") {
    from = typeof rawFrom === "string" ? (parseTimestamp(rawFrom) ?? undefined) : undefined;
    if (from === undefined) throw badRequest(`\`from_time\` must be an RFC 3339 time, got ${JSON.stringify(rawFrom)}`);
  }
  const limit = limitParam(ctx);
  const o = ctx.options;
  const log = campaign.log;
  const hi = log.upperBound(ctx.now);
  const lo = from === undefined ? 0 : Math.min(hi, o.fromTimeInclusive ? log.lowerBound(from) : log.upperBound(from));
  const newest = from === undefined && o.unfilteredPage === "newest";
  const start = newest ? Math.max(lo, hi - limit) : lo;
  const end = newest ? hi : Math.min(hi, lo + limit);
  const rows: LogRow[] = [];
  for (let i = start; i < end; i++) rows.push(log.row(i, o.naiveTimestamps));
  if (o.pageOrder === "descending") rows.reverse();
  const envelope = success(rows, { total_count: o.totalCount === "all" ? hi : hi - lo });
  // A late row lands after the answer, so a client paging forward has usually passed its time already.
  if (ctx.lateRandom.chance(o.lateRowRate)) ctx.book.addLateRow(campaign, ctx.now, ctx.lateRandom, o.lateRowMaxAgeMs);
  return envelope;
}

export const METHODS: Record<AltcraftMethod, (ctx: MethodContext) => Envelope> = {
  "campaigns/list": list,
  "campaigns/get_status": getStatus,
  "campaigns/log_v2": logV2,
};
