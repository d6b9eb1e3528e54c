/**
 * Reads one Altcraft stream (the log of one campaign) page by page from the cursor on. log_v2 has only
 * `from_time` and `limit` (no offset, no end), so paging goes (docs/architecture.md, Glossary: page, capacity, zone
 * guard):
 * - the next page asks `from_time = last time seen − 1 ms`, so it holds the whole last millisecond again
 *   whether the API treats from_time as inclusive or exclusive; occurrences are numbered per response.
 * - "This is all there is" needs evidence (page-capacity.ts): an empty page; a page smaller than the
 *   capacity (the most rows the server delivered in one response, proven within `capacityMemoryMs`, and
 *   re-proven by repeating its request when older); or a `total_count` no larger than the page (every
 *   reading of it then says nothing else is there). Once total_count is known to count the rows from
 *   from_time on, one above the page proves the page was cut short, whatever the capacity says. Any other
 *   page is followed by the next one, and the next one bringing nothing beyond the last millisecond is
 *   itself small enough to be settled.
 * - Guards, since a time read in the wrong zone silently skips rows: every row must lie within
 *   [from_time − 1 s, now + 1 min], and each follow-up page must reach back to the previous page's last
 *   millisecond; otherwise the stream fails, naming the likely cause. (Not across runs: a log may lose old
 *   rows, and the first page of a run starts `lookback` back anyway.)
 * - A page whose rows all share one millisecond cannot advance. When it is full, the request is repeated
 *   with a larger `limit` (up to `maxPageLimit`). When that is not enough, or the server returns fewer rows
 *   than asked without evidence that they are all, the millisecond is recorded as a gap and the read steps
 *   past it (`from_time` = that millisecond, then one millisecond later if the server counts from_time as
 *   inclusive) so the rest of the log is still read. Whether rows of it were really lost is decided at the
 *   end from `total_count`.
 */
import type { RequestTally } from "../../http/with-retries.js";
import { parseTimestamp } from "../../time/timestamp.js";
import { type Capacity, CapacityMemory, type UnreadRecords } from "../page-capacity.js";
import type { AltcraftClient } from "./altcraft.client.js";

/**
 * How far before from_time a row may lie before its time is taken to be read in the wrong zone: none can
 * (log_v2 filters on from_time), but a server may round from_time down to its second.
 */
const BEFORE_FROM_TOLERANCE_MS = 1_000;
/** How far after now a row may lie (clocks of two machines differ a little). */
const AFTER_NOW_TOLERANCE_MS = 60_000;

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
  /** How long a proven capacity is relied on before it is proven again, ms. */
  capacityMemoryMs: number;
}

/** A request that delivered the capacity: repeated to re-prove it. */
export interface LogProbe {
  from: number;
  limit: number;
}

/** Paging state kept in sync.streams.state between runs (null clears a key). */
export interface CampaignLogState {
  capacity?: Capacity<LogProbe> | null;
  /**
   * What `total_count` counts, once two pages of one read showed it: the rows from `from_time` on
   * (`filtered`: it fell by the rows between the two from_times) or every row of the campaign (`all`).
   */
  totalCountReading?: "filtered" | "all";
}

export interface CampaignLogPage {
  /** Rows of one response, as sent. */
  rows: unknown[];
  /**
   * Each row's time as read here, ms since the epoch (undefined: unreadable), so the mapper does not parse it again.
   */
  times: (number | undefined)[];
  /** Latest time seen so far (the cursor once this page is stored). */
  cursor: Date | null;
  state: CampaignLogState;
  /** `total_count` of the response and the `from_time` it answered. */
  totalCount: number | undefined;
  fromTime: Date;
  /** Rows of a millisecond stepped past just before this page. */
  unread?: UnreadRecords;
}

export class StuckPageError extends Error {
  override readonly name = "StuckPageError";
}

/** A row outside [from_time, now]: its time is most likely read in the wrong zone. */
export class RowOutOfRangeError extends Error {
  override readonly name = "RowOutOfRangeError";
}

/** A follow-up page that does not reach back to the previous page's last millisecond: the server skipped rows. */
export class SkippedRowsError extends Error {
  override readonly name = "SkippedRowsError";
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function* readCampaignLog(
  client: AltcraftClient,
  settings: CampaignLogSettings,
  start: { cursor: Date | null; state: CampaignLogState; now: Date },
  tally: RequestTally,
  signal?: AbortSignal,
  /** Wall clock for the age of a proven capacity, ms. */
  clock: () => number = Date.now,
): AsyncGenerator<CampaignLogPage> {
  const capacity = new CapacityMemory<LogProbe>(start.state.capacity, settings.capacityMemoryMs, clock);
  let reading = start.state.totalCountReading;
  /** The previous response: its from_time, total_count and row times, to learn what total_count counts. */
  let before: { from: number; totalCount: number | undefined; times: (number | undefined)[] } | undefined;
  const now = start.now.getTime();
  let cursor = start.cursor;
  let from = cursor ? cursor.getTime() - Math.max(1, settings.lookbackMs) : settings.startTime.getTime() - 1;
  let limit = settings.pageLimit;
  /** Latest time of the previous page of this read: the next page must reach back to it. */
  let previousLatest: number | undefined;
  /** A millisecond being stepped past: its rows read, and the total_count of the page that held them. */
  let stepping: { at: number; read: number; totalCount: number | undefined; reason: string; full: boolean } | undefined;
  let unread: UnreadRecords | undefined;

  const call = async (fromMs: number, lim: number) => {
    signal?.throwIfAborted();
    const envelope = await client.call(
      "campaigns/log_v2",
      { id: settings.campaignId, from_time: iso(fromMs), limit: lim },
      tally,
      signal,
    );
    const data = envelope.data;
    const rows = Array.isArray(data) ? data : data === undefined || data === null || data === "" ? [] : [data];
    return { rows, totalCount: envelope.total_count };
  };

  for (;;) {
    const { rows, totalCount } = await call(from, limit);
    const n = rows.length;
    const times = rows.map((row) => timeOf(row, settings.zone));
    let latest: number | undefined;
    let earliest: number | undefined;
    for (let i = 0; i < times.length; i++) {
      const at = times[i];
      if (at === undefined) continue;
      if (at < from - BEFORE_FROM_TOLERANCE_MS || at > now + AFTER_NOW_TOLERANCE_MS) {
        const text = client.redact(String((rows[i] as { time?: unknown }).time));
        throw new RowOutOfRangeError(
          `campaign ${settings.campaignId}: campaigns/log_v2 returned a row at ${text} for from_time ${iso(from)} (now ${iso(now)}): ` +
            `if the API writes times without a zone, set the account's timestampZone (now ${settings.zone})`,
        );
      }
      if (latest === undefined || at > latest) latest = at;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    if (
      previousLatest !== undefined &&
      stepping === undefined &&
      (earliest === undefined || earliest > previousLatest)
    ) {
      throw new SkippedRowsError(
        `campaign ${settings.campaignId}: campaigns/log_v2 from_time ${iso(from)} answered ` +
          `${earliest === undefined ? "no row" : `from ${iso(earliest)} on`}, past the previous page's last row at ${iso(previousLatest)}: ` +
          `the server skipped rows; if the API writes times without a zone, set the account's timestampZone (now ${settings.zone})`,
      );
    }
    if (stepping !== undefined) {
      // from_time = the stuck millisecond gave it again: the server counts from_time as inclusive.
      if (latest !== undefined && latest <= stepping.at && from === stepping.at) {
        from = stepping.at + 1;
        continue;
      }
      unread = unreadOf(stepping, totalCount, reading);
      stepping = undefined;
    }
    if (latest !== undefined && (!cursor || latest > cursor.getTime())) cursor = new Date(latest);

    if (before?.totalCount !== undefined && totalCount !== undefined && from > before.from) {
      const between = before.times.filter((at) => at !== undefined && at > before!.from && at < from).length;
      if (between > 0) reading = totalCount < before.totalCount ? "filtered" : "all";
    }
    before = { from, totalCount, times };
    // Counting the rows from from_time on, a total_count above the page says the page was cut short,
    // whatever the capacity says: the server's cap went down.
    const cutShort = n > 0 && n < limit && reading === "filtered" && totalCount !== undefined && totalCount > n;
    if (cutShort) capacity.cutShortAt(n, { from, limit });
    let settled = !cutShort && n < limit && ((totalCount !== undefined && totalCount <= n) || capacity.settles(n));
    const probe = settled || cutShort || n >= limit ? undefined : capacity.probeFor(n);
    if (probe) {
      capacity.reproved((await call(probe.from, probe.limit)).rows.length);
      settled = capacity.settles(n);
    }
    if (!cutShort) capacity.delivered(n, { from, limit });
    const page: CampaignLogPage = {
      rows,
      times,
      cursor,
      state: { capacity: capacity.snapshot(), ...(reading ? { totalCountReading: reading } : {}) },
      totalCount,
      fromTime: new Date(from),
      ...(unread ? { unread } : {}),
    };
    unread = undefined;
    if (settled) {
      if (reading === undefined && totalCount !== undefined && totalCount > n) {
        // The read is over, yet total_count is larger than the page: either it counts every row, or rows are
        // missing. A from_time a day ahead answers which: no row lies there, so only "every row" counts any.
        const ahead = await call(now + 86_400_000, 1);
        if (ahead.totalCount !== undefined) page.state.totalCountReading = ahead.totalCount > 0 ? "all" : "filtered";
      }
      yield page;
      return;
    }
    if (latest !== undefined && latest - 1 > from) {
      yield page;
      previousLatest = latest;
      from = latest - 1;
      limit = settings.pageLimit;
      continue;
    }
    // Every row at one millisecond, and nothing shows it is all of it.
    if (n >= limit && limit < settings.maxPageLimit) {
      limit = Math.min(settings.maxPageLimit, limit * 4);
      continue;
    }
    if (latest === undefined) {
      throw new StuckPageError(
        `campaign ${settings.campaignId}: a page of ${n} rows without a readable time cannot be paged past with from_time`,
      );
    }
    const full = n >= limit;
    stepping = {
      at: latest,
      // Every row of the page lies in [from_time, the millisecond]: exactly what total_count falls by.
      read: n,
      totalCount,
      full,
      reason: full
        ? `${iso(latest)} holds more rows than the largest page (limit ${limit}; raise maxPageLimit to read them)`
        : `the server gave ${n} rows of ${iso(latest)} to limit ${limit}, fewer than asked, and will not page inside one millisecond`,
    };
    yield page;
    previousLatest = undefined;
    from = latest;
    limit = settings.pageLimit;
  }
}

/**
 * How many rows of a stepped-past millisecond were not read. total_count (from_time on) falls across the
 * millisecond by the rows it holds, so those not read are that fall minus the rows read. A total_count that
 * does not fall counts every row of the campaign and cannot say; a full page at the largest limit always
 * leaves rows behind.
 */
function unreadOf(
  stepped: { at: number; read: number; totalCount: number | undefined; reason: string; full: boolean },
  totalCountAfter: number | undefined,
  reading: "filtered" | "all" | undefined,
): UnreadRecords | undefined {
  const at = new Date(stepped.at);
  if (
    stepped.totalCount === undefined ||
    totalCountAfter === undefined ||
    reading === "all" ||
    stepped.totalCount === totalCountAfter
  ) {
    return { at, unread: null, reason: stepped.reason };
  }
  const missing = stepped.totalCount - totalCountAfter - stepped.read;
  if (missing > 0) return { at, unread: missing, reason: stepped.reason };
  return stepped.full ? { at, unread: null, reason: stepped.reason } : undefined;
}

function timeOf(row: unknown, zone: string): number | undefined {
  const text = (row as { time?: unknown } | null)?.time;
  return typeof text === "string" ? parseTimestamp(text, zone)?.getTime() : undefined;
}
