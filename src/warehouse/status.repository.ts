import { sql, type Kysely } from "kysely";
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
  /** Events the stream stepped past because the server would not give them; null when none. */
  unread_events: number | null;
  unread_at: Date | null;
  /** When the stream was retired (no longer configured); null while configured. */
  retired_at: Date | null;
}

/** Every stream as sync.stream_freshness describes it; retired streams only when asked for. */
export async function streamStatuses(
  db: Kysely<Database>,
  options: { includeRetired?: boolean } = {},
): Promise<StreamStatusRow[]> {
  const result = await sql<StreamStatusRow>`
    select source, account, stream, status, cursor, last_event_at, last_read_at, lag_seconds, rows_held, last_run_id,
           last_run_status, last_run_finished_at, last_success_at, last_error, completeness_gap, unread_events, unread_at,
           retired_at
      from sync.stream_freshness
     where ${options.includeRetired === true} or status <> 'retired'
     order by source, account, stream`.execute(db);
  return result.rows.map((r) => ({
    ...r,
    rows_held: Number(r.rows_held),
    lag_seconds: Number(r.lag_seconds),
    unread_events: r.unread_events === null ? null : Number(r.unread_events),
  }));
}
