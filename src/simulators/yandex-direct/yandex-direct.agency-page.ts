import type { AgencyClient } from "./yandex-direct.agency-clients.js";
import type { AgencyClientField, AgencyClientsRequest } from "./yandex-direct.agency-request.js";

/** One `ClientGetItem`: exactly the requested fields, unset ones `null` (best-practice/get). */
export type ClientGetItem = Partial<Record<AgencyClientField, unknown>>;

export interface AgencyClientsPage {
  /** The `result` object of the response. */
  result: { Clients?: ClientGetItem[]; LimitedBy?: number };
  /** Clients returned (what the per-client price counts). */
  count: number;
}

/** Russia: every generated client is registered there. */
const COUNTRY_ID = 225;

function fieldValue(client: AgencyClient, field: AgencyClientField): unknown {
  switch (field) {
    case "ClientId":
      return client.clientId;
    case "Login":
      return client.spelling;
    case "ClientInfo":
      return client.name;
    case "Archived":
      return client.status === "archived" ? "YES" : "NO";
    case "Currency":
      return client.currency;
    case "Type":
      return "SUBCLIENT";
    case "CreatedAt":
      return client.createdAt;
    case "CountryId":
      return COUNTRY_ID;
    case "Representatives":
      return [{ Login: client.spelling, Email: `${client.login}@example.com`, Role: "CHIEF" }];
    default:
      return null;
  }
}

function render(client: AgencyClient, fields: readonly AgencyClientField[]): ClientGetItem {
  return Object.fromEntries(fields.map((f) => [f, fieldValue(client, f)]));
}

/** The clients a request selects, in ClientId order: every criterion narrows (SQL `IN`, joined by AND). */
export function selectClients(listed: readonly AgencyClient[], request: AgencyClientsRequest): AgencyClient[] {
  return listed.filter(
    (c) =>
      (request.logins === undefined || request.logins.has(c.login)) &&
      (request.archived === undefined || (c.status === "archived") === request.archived),
  );
}

/**
 * Cuts one page out of the selection. The page holds at most `Limit` clients, and at most `pageCap` when
 * that is above 0 (the server's own cap, applied silently); `LimitedBy` = Offset + clients returned, the
 * ordinal of the last one, is present only when clients remain after the page.
 */
export function buildPage(
  selected: readonly AgencyClient[],
  request: AgencyClientsRequest,
  options: { pageCap: number; omitEmptyClients: boolean },
): AgencyClientsPage {
  const size = options.pageCap > 0 ? Math.min(request.limit, options.pageCap) : request.limit;
  const page = selected.slice(request.offset, request.offset + size);
  const result: AgencyClientsPage["result"] = {};
  if (page.length > 0 || !options.omitEmptyClients) result.Clients = page.map((c) => render(c, request.fields));
  if (request.offset + page.length < selected.length) result.LimitedBy = request.offset + page.length;
  return { result, count: page.length };
}

/** The 1-based number of the page a request reads, as a listing that follows `LimitedBy` would number it. */
export function pageNumberOf(request: AgencyClientsRequest, pageCap: number): number {
  const size = pageCap > 0 ? Math.min(request.limit, pageCap) : request.limit;
  return Math.floor(request.offset / size) + 1;
}
