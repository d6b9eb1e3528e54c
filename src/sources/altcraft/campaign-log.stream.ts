/**
 * Reads one Altcraft stream (the log of one campaign) page by page from the cursor on. log_v2 has only
 * `from_time` and `limit` (no offset, no end), so paging follows the design notes:
 * - the next page asks `from_time = last time seen − 1 ms`, so it holds the whole last millisecond again
 *   whether the API treats from_time as inclusive or exclusive; occurrences are numbered per response;
 * - a page is full when it holds `limit` rows, or as many as the largest page the server has returned
 *   (a server may clamp `limit` silently); only a page that is not full ends the read;
 * - a full page whose rows all share one millisecond cannot advance: that request is repeated with a larger
 *   `limit`, and when even the largest allowed is full, the stream fails with a clear message.
 */
import type { RequestTally } from "../../http/with-retries.js";
import type { AltcraftClient } from "./altcraft.client.js";
import { latestTime } from "./campaign-log.mapper.js";

/** Below this many rows a page is never suspected of being clamped. */
const SMALLEST_CLAMP = 50;

export interface CampaignLogSettings {
  campaignId: number;
  /** `limit` of a request, rows. */
  pageLimit: number;
  /** Largest `limit` used when one millisecond holds more than a page. */
  maxPageLimit: number;
  /** Zone of times without one. */
  zone: string;
  /** Where the first run starts. */
  startTime: Date;
  /** How far before the cursor each run re-reads, ms (0: only the last millisecond). */
  lookbackMs: number;
}

/** Paging state kept in sync.streams.state between runs. */
export interface CampaignLogState {
  /** Largest page (rows) the server has returned. */
  largestPage?: number;
}

export interface CampaignLogPage {
  /** Rows of one response, as sent. */
  rows: unknown[];
  /** Latest time seen so far (the cursor once this page is stored). */
  cursor: Date | null;
  state: CampaignLogState;
  /** `total_count` of the response and the `from_time` it answered. */
  totalCount: number | undefined;
  fromTime: Date;
}

export class StuckPageError extends Error {
  override readonly name = "StuckPageError";
}

export async function* readCampaignLog(
  client: AltcraftClient,
  settings: CampaignLogSettings,
  start: { cursor: Date | null; state: CampaignLogState },
  tally: RequestTally,
  signal?: AbortSignal,
): AsyncGenerator<CampaignLogPage> {
  const state: CampaignLogState = { ...start.state };
  let cursor = start.cursor;
  let from = cursor ? cursor.getTime() - Math.max(1, settings.lookbackMs) : settings.startTime.getTime() - 1;
  let limit = settings.pageLimit;
  for (;;) {
    signal?.throwIfAborted();
    const envelope = await client.call("campaigns/log_v2", { id: settings.campaignId, from_time: new Date(from).toISOString(), limit }, tally, signal);
    const rows = Array.isArray(envelope.data) ? envelope.data : envelope.data === undefined || envelope.data === null || envelope.data === "" ? [] : [envelope.data];
    const n = rows.length;
    const full = n >= limit || (n >= SMALLEST_CLAMP && n >= (state.largestPage ?? 0));
    if (n > (state.largestPage ?? 0)) state.largestPage = n;
    const latest = latestTime(rows, settings.zone);
    const next = latest === undefined ? undefined : latest - 1;
    if (full && (next === undefined || next <= from)) {
      if (limit < settings.maxPageLimit && n >= limit) {
        limit = Math.min(settings.maxPageLimit, limit * 4);
        continue;
      }
      throw new StuckPageError(
        `campaign ${settings.campaignId}: a full page of ${n} rows all at ${latest === undefined ? "unreadable times" : new Date(latest).toISOString()} ` +
          `cannot be paged past with from_time (limit ${limit}); raise maxPageLimit above ${limit}`,
      );
    }
    if (latest !== undefined && (!cursor || latest > cursor.getTime())) cursor = new Date(latest);
    yield { rows, cursor, state: { ...state }, totalCount: envelope.total_count, fromTime: new Date(from) };
    if (!full) return;
    from = next as number;
    limit = settings.pageLimit;
  }
}
