/**
 * The GetEventsLog contract (API Live 4): request parameters and the response envelope. Items are checked
 * one by one by the mapper, so one bad record goes to the rejects instead of failing the page.
 */
import { z } from "zod";

import type { Currency, EventType } from "../../vocabulary.js";

export interface EventsLogFilter {
  CampaignIDS?: number[];
  BannerIDS?: number[];
  PhraseIDS?: number[];
  AccountIDS?: number[];
  EventType?: EventType[];
}

/** GetEventsLogRequest, as sent. Timestamps are ISO 8601 with an explicit `Z`. */
export interface GetEventsLogParams {
  TimestampFrom: string;
  TimestampTo?: string;
  LastEventOnly?: "Yes" | "No";
  WithTextDescription?: "Yes" | "No";
  Currency: Currency;
  Logins?: string[];
  Filter?: EventsLogFilter;
  Limit?: number;
  Offset?: number;
}

/** Error: a flat object with `error_code` (HTTP status still 200). */
export const errorEnvelope = z.object({
  error_code: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
  error_str: z.string().optional().default(""),
  error_detail: z
    .string()
    .nullish()
    .transform((v) => v ?? ""),
});
