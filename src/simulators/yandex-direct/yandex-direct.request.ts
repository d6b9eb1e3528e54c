import type { SimulatedAccount } from "./yandex-direct.data.js";
import {
  CURRENCIES,
  EVENT_TYPES,
  type Currency,
  type EventType,
  type ResolvedBehaviourOptions,
} from "./yandex-direct.options.js";
import type { EventFilter } from "./yandex-direct.query.js";
import { ApiError } from "./yandex-direct.texts.js";
import { offsetMinutes, parseTimestamp } from "./yandex-direct.time.js";

/** A validated GetEventsLog request. */
export interface GetEventsLogRequest {
  logins: string[];
  fromMs: number;
  /** Undefined: up to the clock. */
  toMs?: number;
  lastEventOnly: boolean;
  withTextDescription: boolean;
  currency: Currency;
  filter: EventFilter;
  limit?: number;
  offset: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Integers may come as JSON numbers or digit strings (the Live 4 backend is lenient about that). */
function toInteger(value: unknown): number | null {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value.trim())) return Number(value);
  return null;
}

function yesNo(param: Json, name: string): boolean {
  const value = param[name];
  if (value === undefined || value === null) return false;
  if (value === "Yes") return true;
  if (value === "No") return false;
  throw new ApiError(71, `${name} must be Yes or No, got ${JSON.stringify(value)}`);
}

function timestamp(param: Json, name: string, naiveOffset: number): number | undefined {
  const value = param[name];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === "string" ? parseTimestamp(value, naiveOffset) : null;
  if (ms === null) throw new ApiError(3, `${name} is not an ISO 8601 timestamp: ${JSON.stringify(value)}`);
  return ms;
}

function idSet(filter: Json, name: string): Set<number> | undefined {
  const value = filter[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ApiError(9, `Filter.${name}`);
  const ids = value.map((v: unknown) => {
    const id = toInteger(v);
    if (id === null || id <= 0) throw new ApiError(71, `Filter.${name} holds a bad id: ${JSON.stringify(v)}`);
    return id;
  });
  return new Set(ids);
}

function parseFilter(value: unknown): EventFilter {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ApiError(71, "Filter must be an object");
  const filter: EventFilter = {};
  const campaignIds = idSet(value, "CampaignIDS");
  const bannerIds = idSet(value, "BannerIDS");
  const phraseIds = idSet(value, "PhraseIDS");
  const accountIds = idSet(value, "AccountIDS");
  if (campaignIds) filter.campaignIds = campaignIds;
  if (bannerIds) filter.bannerIds = bannerIds;
  if (phraseIds) filter.phraseIds = phraseIds;
  if (accountIds) filter.accountIds = accountIds;
  const types = value.EventType;
  if (types !== undefined && types !== null) {
    if (!Array.isArray(types)) throw new ApiError(9, "Filter.EventType");
    for (const t of types) {
      if (!EVENT_TYPES.includes(t as EventType)) throw new ApiError(71, `Unknown EventType ${JSON.stringify(t)}`);
    }
    filter.eventTypes = new Set(types as EventType[]);
  }
  return filter;
}

/**
 * The logs a request reads: the named client logins of an agency, or the token owner's own log. Logins are
 * compared case-insensitively. An agency may name a client whether archived or not (its history stays
 * readable); a login that is not its client now (pending or removed) gets 54, as the real API answers.
 */
function resolveLogins(
  value: unknown,
  account: SimulatedAccount,
  isAgencyClient: (login: string) => boolean,
): string[] {
  if (value === undefined || value === null) return [account.login];
  if (!Array.isArray(value)) throw new ApiError(9, "Logins");
  if (value.length === 0) return [account.login];
  const logins: string[] = [];
  for (const login of value) {
    if (typeof login !== "string") throw new ApiError(71, `Logins holds a non-string: ${JSON.stringify(login)}`);
    const name = login.toLowerCase();
    const allowed = account.role === "agency" ? isAgencyClient(name) : name === account.login;
    if (!allowed) throw new ApiError(54, `${login} is not a client of ${account.login}`);
    if (!logins.includes(name)) logins.push(name);
  }
  return logins;
}

/** Validates `param` of GetEventsLog, throwing ApiError with the code the real API would give. */
export function parseGetEventsLog(
  param: unknown,
  account: SimulatedAccount,
  o: ResolvedBehaviourOptions,
  isAgencyClient: (login: string) => boolean,
): GetEventsLogRequest {
  if (!isObject(param)) throw new ApiError(71, "param must be an object");
  const naiveOffset = o.zonelessTimestamps ? offsetMinutes(o.zoneOffset) : 0;
  const fromMs = timestamp(param, "TimestampFrom", naiveOffset);
  if (fromMs === undefined) throw new ApiError(71, "TimestampFrom is required");
  const toMs = timestamp(param, "TimestampTo", naiveOffset);
  if (toMs !== undefined && fromMs > toMs) throw new ApiError(5, "TimestampFrom is after TimestampTo");

  const currency = param.Currency;
  if (currency === undefined || currency === null || currency === "") throw new ApiError(245, "Currency is required");
  if (!CURRENCIES.includes(currency as Currency)) {
    throw new ApiError(71, `Currency must be one of ${CURRENCIES.join(", ")}, got ${JSON.stringify(currency)}`);
  }

  let limit: number | undefined;
  if (param.Limit !== undefined && param.Limit !== null) {
    const value = toInteger(param.Limit);
    if (value === null || value <= 0)
      throw new ApiError(8, `Limit must be an integer above zero, got ${JSON.stringify(param.Limit)}`);
    limit = value;
    if (o.maxLimit > 0 && limit > o.maxLimit) {
      if (o.overMaxLimit === "reject") throw new ApiError(8, `Limit must not exceed ${o.maxLimit}`);
      limit = o.maxLimit;
    }
  }
  let offset = 0;
  if (param.Offset !== undefined && param.Offset !== null) {
    const value = toInteger(param.Offset);
    if (value === null || value < 0)
      throw new ApiError(18, `Offset must be an integer ≥ 0, got ${JSON.stringify(param.Offset)}`);
    // The seed page: Offset is ignored without Limit (it is still validated).
    if (limit !== undefined) offset = value;
  }

  const request: GetEventsLogRequest = {
    logins: resolveLogins(param.Logins, account, isAgencyClient),
    fromMs,
    lastEventOnly: yesNo(param, "LastEventOnly"),
    withTextDescription: yesNo(param, "WithTextDescription"),
    currency: currency as Currency,
    filter: parseFilter(param.Filter),
    offset,
  };
  if (toMs !== undefined) request.toMs = toMs;
  if (limit !== undefined) request.limit = limit;
  return request;
}
