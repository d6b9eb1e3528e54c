import { detail, V5Error } from "./yandex-direct.v5-errors.js";

/** The API's ceiling on objects per `get` page, and `Limit`'s default. */
export const MAX_PAGE_LIMIT = 10_000;

/** Every `AgencyClientFieldEnum` value the docs and the v501 WSDL name (api-agency-clients.md §3). */
export const AGENCY_CLIENT_FIELDS = [
  "AccountQuality",
  "Archived",
  "ClientId",
  "ClientInfo",
  "CountryId",
  "CreatedAt",
  "Currency",
  "Grants",
  "Bonuses",
  "Login",
  "Notification",
  "OverdraftSumAvailable",
  "Phone",
  "Representatives",
  "Restrictions",
  "Settings",
  "Type",
  "VatRate",
  "ForbiddenPlatform",
  "AvailableCampaignTypes",
  "AvailableAdGroupTypes",
] as const;
export type AgencyClientField = (typeof AGENCY_CLIENT_FIELDS)[number];

/** A validated AgencyClients.get request. */
export interface AgencyClientsRequest {
  /** Lower-case logins to select; undefined selects every client. */
  logins?: ReadonlySet<string>;
  /** undefined: archived and active clients alike. */
  archived?: boolean;
  fields: readonly AgencyClientField[];
  limit: number;
  offset: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const invalid = (en: string, ru: string): V5Error => new V5Error(8000, detail(en, ru));

function pageNumber(page: Json, name: "Limit" | "Offset", min: number, max: number, fallback: number): number {
  const value = page[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    // Limit above 10,000 is refused rather than clamped, so a client that asks for more learns it at once.
    throw new V5Error(
      4001,
      detail(
        `Page.${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
        `Page.${name} должен быть целым числом от ${min} до ${max}, получено ${JSON.stringify(value)}`,
      ),
    );
  }
  return value;
}

function parseCriteria(value: unknown): Pick<AgencyClientsRequest, "logins" | "archived"> {
  if (value === undefined || value === null) {
    throw invalid("SelectionCriteria is required", "Не указан обязательный параметр SelectionCriteria");
  }
  if (!isObject(value)) throw invalid("SelectionCriteria must be an object", "SelectionCriteria должен быть объектом");
  const out: Pick<AgencyClientsRequest, "logins" | "archived"> = {};
  const archived = value.Archived;
  if (archived !== undefined && archived !== null) {
    if (archived !== "YES" && archived !== "NO") {
      throw invalid(
        `SelectionCriteria.Archived must be YES or NO, got ${JSON.stringify(archived)}`,
        `SelectionCriteria.Archived должен быть YES или NO, получено ${JSON.stringify(archived)}`,
      );
    }
    out.archived = archived === "YES";
  }
  const logins = value.Logins;
  if (logins !== undefined && logins !== null) {
    if (!Array.isArray(logins) || logins.length > MAX_PAGE_LIMIT || logins.some((l) => typeof l !== "string")) {
      throw invalid(
        `SelectionCriteria.Logins must be an array of at most ${MAX_PAGE_LIMIT} strings`,
        `SelectionCriteria.Logins должен быть массивом не более чем из ${MAX_PAGE_LIMIT} строк`,
      );
    }
    out.logins = new Set((logins as string[]).map((l) => l.toLowerCase()));
  }
  return out;
}

function parseFields(value: unknown): AgencyClientField[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid("FieldNames is required: a non-empty array", "Не указан обязательный параметр FieldNames");
  }
  const fields: AgencyClientField[] = [];
  for (const name of value) {
    if (!AGENCY_CLIENT_FIELDS.includes(name as AgencyClientField)) {
      throw invalid(
        `FieldNames holds an unknown field ${JSON.stringify(name)}`,
        `FieldNames содержит неизвестное поле ${JSON.stringify(name)}`,
      );
    }
    // A field named twice is returned once, in the order first asked.
    if (!fields.includes(name as AgencyClientField)) fields.push(name as AgencyClientField);
  }
  return fields;
}

/**
 * Validates an AgencyClients request body (`{"method":"get","params":{…}}`), throwing the V5Error the
 * simulator answers: 55 for another method, 8000 for a malformed body, 4001 for a bad page.
 */
export function parseAgencyClientsGet(body: unknown): AgencyClientsRequest {
  if (!isObject(body)) throw invalid("The request body is not a JSON object", "Тело запроса не является объектом JSON");
  if (body.method !== "get") {
    throw new V5Error(55, detail(`Method ${JSON.stringify(body.method)} is not supported by AgencyClients`));
  }
  const params = body.params;
  if (!isObject(params)) throw invalid("params must be an object", "params должен быть объектом");
  const page = params.Page ?? {};
  if (!isObject(page)) throw invalid("Page must be an object", "Page должен быть объектом");
  return {
    ...parseCriteria(params.SelectionCriteria),
    fields: parseFields(params.FieldNames),
    limit: pageNumber(page, "Limit", 1, MAX_PAGE_LIMIT, MAX_PAGE_LIMIT),
    offset: pageNumber(page, "Offset", 0, Number.MAX_SAFE_INTEGER, 0),
  };
}
