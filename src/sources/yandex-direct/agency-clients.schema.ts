/**
 * The AgencyClients.get contract (Yandex.Direct API v5, JSON): the request, the result, the v5 error envelope and
 * the `Units` header. Read leniently where the API is known to drift (docs and WSDL list different enum values,
 * every field of a ClientGetItem "can be omitted", unset fields come back as `null`); strict only where the
 * listing cannot go on without a value.
 */
import { z } from "zod";

/** The fields a listing asks for: enough to name a client, key it and carry its currency to GetEventsLog. */
export const AGENCY_CLIENT_FIELDS = ["ClientId", "Login", "ClientInfo", "Archived", "Currency", "Type"] as const;

/** The most clients one response may hold (`Page.Limit` is "0 to 10,000"). */
export const AGENCY_CLIENTS_PAGE_MAX = 10_000;

/** AgencyClientsSelectionCriteria. `{}` selects every client of the agency, archived or not. */
export interface AgencyClientsSelectionCriteria {
  /** Clients by the login of any of their representatives (the answer names the chief representative). */
  Logins?: string[];
  Archived?: "YES" | "NO";
}

/** The `params` of AgencyClients.get, as sent. */
export interface AgencyClientsGetParams {
  SelectionCriteria: AgencyClientsSelectionCriteria;
  FieldNames: string[];
  /** `LimitedBy` of the previous response is the next `Offset`, with the same SelectionCriteria. */
  Page: { Limit: number; Offset: number };
}

/** A long that a JSON encoder may have written as a string. */
const long = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

/** Any string, `null` when unset; an enum value the docs do not list yet is still read. */
const text = z.string().nullish();

/**
 * One ClientGetItem. Only `Login` is required: without the chief representative's login a client cannot become a
 * stream, so an item without one makes the response malformed. `ClientId` is optional here and required by the
 * client, which asked for it.
 */
export const clientGetItem = z.object({
  ClientId: long.refine(Number.isSafeInteger, "ClientId is not a safe integer").nullish(),
  Login: z.string().min(1),
  ClientInfo: text,
  Archived: text,
  Currency: text,
  Type: text,
});
export type ClientGetItem = z.infer<typeof clientGetItem>;

/**
 * The `result` of a response. `Clients` is missing when nothing matched (an "empty structure"); `LimitedBy`, the
 * ordinal number of the last client returned, is present only when the response was cut by the limit. The items
 * stay unparsed here, so that one bad item is reported with its own text.
 */
export const agencyClientsResult = z.object({
  Clients: z
    .array(z.unknown())
    .nullish()
    .transform((v) => v ?? []),
  LimitedBy: long
    .refine(Number.isSafeInteger, "LimitedBy is not a safe integer")
    .nullish()
    .transform((v) => v ?? undefined),
});
export type AgencyClientsResult = z.infer<typeof agencyClientsResult>;

/**
 * The v5 error envelope, sent with HTTP 200 or with an error status alike:
 * `{"error":{"request_id","error_code","error_string","error_detail"}}`.
 */
export const v5ErrorEnvelope = z.object({
  error: z.object({
    request_id: z
      .string()
      .nullish()
      .transform((v) => v ?? ""),
    error_code: long,
    error_string: z
      .string()
      .nullish()
      .transform((v) => v ?? ""),
    error_detail: z
      .string()
      .nullish()
      .transform((v) => v ?? ""),
  }),
});

/** The points of one response (`Units: spent/remaining/daily`). */
export interface Units {
  /** Points this request cost. */
  spent: number;
  /** Points left in the current window. */
  remaining: number;
  /** The daily limit. */
  daily: number;
}

const UNITS = /^\s*(\d{1,15})\s*\/\s*(\d{1,15})\s*\/\s*(\d{1,15})\s*$/;

/**
 * Reads the `Units` header (`10/20828/64000`, spaces around the parts tolerated). Anything else — a negative, a
 * fraction, a missing part, a daily limit of 0 — is `null`: the points are reported, never relied on, so a header
 * the API changes must not fail a listing.
 */
export function parseUnits(header: string | string[] | undefined): Units | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : UNITS.exec(value);
  if (!match) return null;
  const [spent, remaining, daily] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  return daily > 0 ? { spent, remaining, daily } : null;
}
