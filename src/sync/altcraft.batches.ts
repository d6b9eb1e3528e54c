/**
 * What an Altcraft job makes of each page the reader hands it (docs/architecture.md, Glossary: row, event key,
 * batch): its rows and rejects, whether it only re-reads what the batch before holds, and what total_count
 * says once the read is over. Pure: the job wires them.
 */
import type { CampaignLogPage } from "../sources/altcraft/campaign-log.stream.js";
import { type CampaignLogEntry, mapLogRow } from "../sources/altcraft/campaign-log.mapper.js";
import type { CampaignLogRowInput } from "../warehouse/copy.columns.js";
import type { RejectedRecord } from "../warehouse/batch.loader.js";
import { type EventKeyText, keyRecord, OccurrenceCounter } from "./event.identity.js";
import type { Redactor } from "../http/secrets.redactor.js";
import { type Assert, rejectedRecord, type SameColumns } from "./row.rejection.js";
import type { StreamBatch, StreamFinish } from "./run-stream.engine.js";

/** Columns of a row that come from the stream and the event's identity, not from the mapper. */
type IdentityColumns = "event_key" | "account" | "campaign_id" | "occurrence" | "raw";

/** Compile-time check: the mapper gives exactly the table's other columns, each of a type the row takes. */
export type MapperCoversCampaignLogRow = Assert<
  SameColumns<CampaignLogEntry, Omit<CampaignLogRowInput, IdentityColumns>>
>;

/**
 * The one place an Altcraft campaign-log row is made: every column named, one fixed shape for all rows.
 * `raw` is the row's canonical JSON text, which is also its identity.
 */
export function logRow(
  e: CampaignLogEntry,
  key: string,
  account: string,
  campaignId: number,
  occurrence: number,
  raw: string,
): CampaignLogRowInput {
  return {
    event_key: key,
    account,
    campaign_id: campaignId,
    time: e.time,
    level: e.level,
    message: e.message,
    state: e.state,
    value: e.value,
    value_ms: e.value_ms,
    occurrence,
    raw,
  };
}

/** The rows of one page, numbered over every row of the response (rejects included). */
export interface PageRows {
  events: CampaignLogRowInput[];
  rejects: RejectedRecord[];
  /** The page's latest run marker (a start or end row), for whether the log has ended. */
  marker?: { time: number; state: string };
  /** A row after the cursor the read began at. */
  newRows: boolean;
}

export function pageRows(
  page: Pick<CampaignLogPage, "rows" | "times">,
  stream: {
    keyPrefix: string;
    account: string;
    campaignId: number;
    zone: string;
    startMs: number;
    cursorBefore: number;
    /** The account's redactor: a reject's reason and record quote text from the server. */
    redact: Redactor;
  },
): PageRows {
  const out: PageRows = { events: [], rejects: [], newRows: false };
  const occurrences = new OccurrenceCounter();
  const keyed: EventKeyText = { json: "", key: "" };
  for (let i = 0; i < page.rows.length; i++) {
    const record = page.rows[i];
    // The key for occurrence 0 tells identical rows apart as their text would.
    keyRecord(record, undefined, stream.keyPrefix, 0, keyed);
    const occurrence = occurrences.next(keyed.key);
    const mapped = mapLogRow(record, stream.zone, page.times[i]);
    if (!mapped.ok) {
      out.rejects.push(rejectedRecord(mapped.reason, record, stream.redact));
      continue;
    }
    const at = mapped.entry.time.getTime();
    if (at < stream.startMs) continue;
    if (mapped.entry.state && at >= (out.marker?.time ?? Number.NEGATIVE_INFINITY))
      out.marker = { time: at, state: mapped.entry.state };
    if (at > stream.cursorBefore) out.newRows = true;
    if (occurrence > 0) keyRecord(record, undefined, stream.keyPrefix, occurrence, keyed);
    out.events.push(logRow(mapped.entry, keyed.key, stream.account, stream.campaignId, occurrence, keyed.json));
  }
  return out;
}

/** One page as a batch; a gap re-found within the lookback is the same gap (its count replaced, never added). */
export function pageBatch(page: CampaignLogPage, rows: PageRows, campaignId: number): StreamBatch<CampaignLogRowInput> {
  const unread = page.unread;
  return {
    events: rows.events,
    rejects: rows.rejects,
    ...(page.cursor ? { cursor: page.cursor } : {}),
    state: { ...page.state },
    fetched: page.rows.length,
    ...(unread ? { gaps: [{ ...unread, reason: `campaign ${campaignId}: ${unread.reason}` }] } : {}),
    ...(page.covered ? { covered: page.covered } : {}),
  };
}

/**
 * Whether a batch only re-reads what the one held before it holds (a follow-up that gave the last millisecond
 * again and nothing new): then it is not stored on its own, only its state and counters travel on.
 */
export function onlyRereads(
  held: StreamBatch<CampaignLogRowInput>,
  heldKeys: ReadonlySet<string>,
  next: StreamBatch<CampaignLogRowInput>,
): boolean {
  return (
    !next.gaps &&
    next.rejects.length === 0 &&
    next.events.every((e) => heldKeys.has(e.event_key)) &&
    next.cursor?.getTime() === held.cursor?.getTime()
  );
}

/** The source time two batches hold whole together. */
export function widen(a: { from: Date; to: Date } | undefined, b: { from: Date; to: Date }): { from: Date; to: Date } {
  if (!a) return b;
  return {
    from: a.from.getTime() <= b.from.getTime() ? a.from : b.from,
    to: a.to.getTime() >= b.to.getTime() ? a.to : b.to,
  };
}

/**
 * What total_count says after a read. It counts either every row of the campaign (rows before the start time
 * included, which are not read: it cannot tell) or the rows from from_time on (inclusive or not): the gap
 * under the reading that fits best is reported, 0 when one fits exactly. Not yet known what it counts, rows
 * are missing only when every reading says so; a count gap is closed only by a reading known to count from
 * from_time on.
 */
export function countCheck(
  last: { totalCount: number; fromTime: Date; reading: "filtered" | "all" | undefined },
  rows: { all: number; atOrAfter: number; after: number },
  campaignId: number,
): StreamFinish {
  const filtered = [last.totalCount - rows.atOrAfter, last.totalCount - rows.after];
  const all = last.totalCount - rows.all;
  const readings = last.reading === "filtered" ? filtered : last.reading === "all" ? [all] : [...filtered, all];
  const completenessGap = readings.reduce((best, gap) => (Math.abs(gap) < Math.abs(best) ? gap : best));
  if (last.reading === "all") return { completenessGap };
  const fewest = Math.min(...readings);
  if (fewest <= 0) return last.reading === "filtered" ? { completenessGap, countGap: null } : { completenessGap };
  const reason =
    `campaign ${campaignId}: campaigns/log_v2 reports ${last.totalCount} rows (total_count) from ${last.fromTime.toISOString()}, ` +
    `${fewest} more than the warehouse holds`;
  return { completenessGap, countGap: { at: last.fromTime, unread: fewest, reason } };
}
