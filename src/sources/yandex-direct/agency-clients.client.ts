/**
 * Lists an agency's clients with AgencyClients.get (Yandex.Direct API v5, JSON): every page, followed by
 * `LimitedBy`, deduplicated by ClientId. The token travels in `Authorization: Bearer` and never appears in an error:
 * every text taken from a response (`error_string`, `error_detail`, a body snippet) passes the redactor first,
 * since a server may quote the request. `Client-Login` is not sent: the method lists the clients of the token's
 * agency and is refused on a client's behalf. Every call passes the account's request gate and is retried as the
 * retry policy says; a listing that cannot be read whole fails whole and returns nothing, because a partial list
 * of clients would retire the streams of the clients it missed.
 */
import { ApiError, MalformedResponseError } from "../../errors.js";
import type { YandexDirectClientOptions } from "./yandex-direct.client.js";
import { type Redactor, redactedSnippet } from "../../http/secrets.redactor.js";
import type { RequestTally } from "../../http/request.retries.js";
import { callV5, readV5Answer, type V5Answer, type V5ResultReader } from "./api-v5.client.js";
import {
  AGENCY_CLIENT_FIELDS,
  AGENCY_CLIENTS_PAGE_MAX,
  type AgencyClientsGetParams,
  agencyClientsResult,
  clientGetItem,
  type Units,
} from "./agency-clients.schema.js";

/**
 * The account side of a listing: the Live 4 client's options, so one object serves both. `endpoint` is the
 * account's (`production`, `sandbox` or a URL); the v5 URL is derived from it (yandexDirectV5Url).
 */
export type AgencyClientsOptions = YandexDirectClientOptions;

/** What to list. */
export interface AgencyClientsRequest {
  /** Archived clients too (`SelectionCriteria: {}`), or only active ones (`{"Archived": "NO"}`). */
  includeArchived: boolean;
  /** Clients per response (`Page.Limit`), 1 to 10,000. Default 10,000, the most the API serves. */
  pageLimit?: number;
}

/** One client of the agency, as listed. */
export interface AgencyClient {
  clientId: number;
  /** The chief representative's login, as listed. */
  login: string;
  /** The login in lower case, for comparing with configured logins and with GetEventsLog's. */
  loginKey: string;
  /** `ClientInfo`: the client's name. */
  name: string | null;
  /** As the API names it (`RUB`, …, or a value the docs do not list), `null` when unset. */
  currency: string | null;
  archived: boolean;
  /** The item exactly as the API sent it. */
  raw: unknown;
}

export interface AgencyClientsListing {
  /** Each client once, in the order first listed. */
  clients: AgencyClient[];
  /** Responses read. */
  pages: number;
  /** The `Units` header of the last response, `null` when it was missing or unreadable. */
  units: Units | null;
  /** Points spent by the successful responses (failed attempts are charged too, but their header is not read). */
  unitsSpent: number;
}

/** AgencyClients.get refused the token (54): the token is not an agency's, or it cannot see the agency's clients. */
export class AgencyAccessError extends Error {
  override readonly name = "AgencyAccessError";
  /** The API's redacted text and detail. */
  readonly text: string;
  readonly detail: string;
  constructor(refusal: ApiError) {
    super(
      "AgencyClients.get refused the token (54): it is not an agency's token, or it has no access to the agency's " +
        `clients: ${refusal.text}${refusal.detail ? ` (${refusal.detail})` : ""}`,
      { cause: refusal },
    );
    this.text = refusal.text;
    this.detail = refusal.detail;
  }
}

/** Pages that cannot be followed: `LimitedBy` does not move the listing forward. */
export class AgencyClientsPagingError extends Error {
  override readonly name = "AgencyClientsPagingError";
  /** The `Offset` of the response that could not be followed. */
  readonly offset: number;
  readonly limitedBy: number;
  constructor(message: string, offset: number, limitedBy: number) {
    super(message);
    this.offset = offset;
    this.limitedBy = limitedBy;
  }
}

/** One response read: the clients of the page and where the next one starts, if any. */
export interface AgencyClientsPage {
  clients: AgencyClient[];
  limitedBy: number | undefined;
}

/**
 * Reads one response: the page on success; ApiError for a v5 error body, whatever the HTTP status; HttpError for
 * an error status without one; MalformedResponseError for anything else (not JSON, no `result`, a bad item).
 */
export function parseAgencyClientsResponse(
  status: number,
  body: string,
  response: { redact: Redactor; retryAfterMs?: number | undefined },
): AgencyClientsPage {
  return readV5Answer("AgencyClients.get", { status, body }, response, readPage);
}

/** A page from the `result` of a response. */
const readPage: V5ResultReader<AgencyClientsPage> = (result, { redact, cut }) => {
  const parsed = agencyClientsResult.safeParse(result);
  if (!parsed.success) throw new MalformedResponseError("AgencyClients.get answered without a `result`", cut());
  return { clients: parsed.data.Clients.map((raw) => toAgencyClient(raw, redact)), limitedBy: parsed.data.LimitedBy };
};

function toAgencyClient(raw: unknown, redact: Redactor): AgencyClient {
  const item = clientGetItem.safeParse(raw);
  if (!item.success || item.data.ClientId == null) {
    throw new MalformedResponseError(
      "AgencyClients.get listed a client without a Login or a ClientId",
      redactedSnippet(JSON.stringify(raw) ?? "", redact),
    );
  }
  const { ClientId, Login, ClientInfo, Currency, Archived } = item.data;
  return {
    clientId: ClientId,
    login: Login,
    loginKey: Login.toLowerCase(),
    name: ClientInfo ?? null,
    currency: Currency ?? null,
    archived: Archived === "YES",
    raw,
  };
}

/**
 * Where the page after one at `offset` starts, or `undefined` after the last. `LimitedBy` is the ordinal number of
 * the last client returned, so it is normally `offset` plus the clients returned, and less than `offset + Limit`
 * when the server caps its pages. A `LimitedBy` beyond the clients returned would skip clients: the listing goes
 * on right after the last one it holds instead, and a client read twice is deduplicated.
 */
export function nextOffset(offset: number, page: AgencyClientsPage): number | undefined {
  const { limitedBy } = page;
  if (limitedBy === undefined) return undefined;
  if (page.clients.length === 0) {
    throw new AgencyClientsPagingError(
      `AgencyClients.get returned no clients at Offset ${offset} but names LimitedBy ${limitedBy}`,
      offset,
      limitedBy,
    );
  }
  if (limitedBy <= offset) {
    throw new AgencyClientsPagingError(
      `AgencyClients.get does not advance: LimitedBy ${limitedBy} at Offset ${offset}`,
      offset,
      limitedBy,
    );
  }
  return Math.min(limitedBy, offset + page.clients.length);
}

/** `Page.Limit` of the listing: the request's, or the most the API serves; an option error otherwise. */
function pageLimitOf(request: AgencyClientsRequest): number {
  const limit = request.pageLimit ?? AGENCY_CLIENTS_PAGE_MAX;
  if (!Number.isInteger(limit) || limit < 1 || limit > AGENCY_CLIENTS_PAGE_MAX) {
    throw new TypeError(
      `Expected \`pageLimit\` to be an integer from 1 to ${AGENCY_CLIENTS_PAGE_MAX}, got \`${limit}\``,
    );
  }
  return limit;
}

/**
 * Reads the page at an `Offset`: one AgencyClients.get through the account's request gate (retried as the
 * policy says), every text of the response redacted. A refusal of the token (54) is an AgencyAccessError.
 */
function agencyClientsPageReader(
  options: AgencyClientsOptions,
  request: AgencyClientsRequest & { pageLimit: number },
  tally: RequestTally,
  signal: AbortSignal | undefined,
): (offset: number) => Promise<V5Answer<AgencyClientsPage>> {
  return (offset) => {
    const params: AgencyClientsGetParams = {
      SelectionCriteria: request.includeArchived ? {} : { Archived: "NO" },
      FieldNames: [...AGENCY_CLIENT_FIELDS],
      Page: { Limit: request.pageLimit, Offset: offset },
    };
    const call = { service: "agencyclients", method: "AgencyClients.get", body: { method: "get", params } };
    return callV5(options, call, readPage, { tally, signal }).catch((err: unknown) => {
      if (err instanceof ApiError && err.source === "yandex_direct" && err.code === 54)
        throw new AgencyAccessError(err);
      throw err;
    });
  };
}

/** Every client of the token's agency, page by page. */
export async function listAgencyClients(
  options: AgencyClientsOptions,
  request: AgencyClientsRequest,
  tally: RequestTally,
  signal?: AbortSignal,
): Promise<AgencyClientsListing> {
  const pageLimit = pageLimitOf(request);
  const readAt = agencyClientsPageReader(options, { ...request, pageLimit }, tally, signal);
  const clients = new Map<number, AgencyClient>();
  let units: Units | null = null;
  let unitsSpent = 0;
  let pages = 0;
  for (let offset: number | undefined = 0; offset !== undefined;) {
    signal?.throwIfAborted();
    const answer = await readAt(offset);
    pages++;
    units = answer.units;
    unitsSpent += answer.units?.spent ?? 0;
    // Clients added or archived during the listing shift the pages: keep the first sighting of each.
    for (const client of answer.value.clients) if (!clients.has(client.clientId)) clients.set(client.clientId, client);
    offset = nextOffset(offset, answer.value);
  }
  return { clients: [...clients.values()], pages, units, unitsSpent };
}
