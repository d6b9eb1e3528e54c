import { sql, type Kysely } from "kysely";
import { NO_OPEN_GAPS, openGapSummaries, unreadEvents } from "./gaps.repository.js";
import type { Database } from "./tables.js";

export interface StreamStatusRow {
  source: string;
  account: string;
  stream: string;
  status: string;
  cursor: Date | null;
  /** Source time of the newest event held; null when none. */
  last_event_at: Date | null;
  /** When the stream last completed a read; null before the first. */
  last_read_at: Date | null;
  /** Seconds since last_read_at (before the first complete read: since the stream was first seen). */
  lag_seconds: number;
  rows_held: number;
  last_run_id: number | null;
  last_run_status: string | null;
  last_run_finished_at: Date | null;
  last_success_at: Date | null;
  last_error: string | null;
  completeness_gap: number | null;
  /**
   * Events of the stream's open gaps (events the server would not give), summed; null when it has none, or
   * when any of them is of unknown size (see unread_known and unknown_gaps).
   */
  unread_events: number | null;
  /** Source time of the earliest open gap; null when none. */
  unread_at: Date | null;
  /** Events of the open gaps whose size is known, summed (0 when none). */
  unread_known: number;
  /** Open gaps, of known size or not. */
  open_gaps: number;
  /** Open gaps whose size the server did not say. */
  unknown_gaps: number;
  /** When the stream was retired (no longer configured); null while configured. */
  retired_at: Date | null;
}

/** Every stream as sync.stream_freshness describes it, its open gaps summed; retired streams only when asked for. */
export async function streamStatuses(
  db: Kysely<Database>,
  options: { includeRetired?: boolean } = {},
): Promise<StreamStatusRow[]> {
  const result = await sql<
    Omit<StreamStatusRow, "unread_known" | "open_gaps" | "unknown_gaps"> & { stream_id: number }
  >`
    select stream_id, source, account, stream, status, cursor, last_event_at, last_read_at, lag_seconds, rows_held,
           last_run_id, last_run_status, last_run_finished_at, last_success_at, last_error, completeness_gap,
           unread_events, unread_at, retired_at
      from sync.stream_freshness
     where ${options.includeRetired === true} or status <> 'retired'
     order by source, account, stream`.execute(db);
  const gaps = await openGapSummaries(
    db,
    result.rows.map((r) => Number(r.stream_id)),
  );
  return result.rows.map(({ stream_id, ...r }) => {
    const open = gaps.get(Number(stream_id)) ?? NO_OPEN_GAPS;
    return {
      ...r,
      rows_held: Number(r.rows_held),
      lag_seconds: Number(r.lag_seconds),
      unread_events: unreadEvents(open),
      unread_at: open.unreadAt,
      unread_known: open.unreadKnown,
      open_gaps: open.openGaps,
      unknown_gaps: open.unknownGaps,
    };
  });
}
