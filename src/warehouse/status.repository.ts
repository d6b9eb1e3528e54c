import { sql, type Kysely } from "kysely";
import { NO_OPEN_GAPS, openGapSummaries, unreadEvents } from "./gaps.repository.js";
import type { Database } from "./warehouse.tables.js";

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

/**
 * An account whose latest listing of its clients (by run) failed: the streams shown for it are those of its
 * last complete listing. `status --json` gives it as a row beside the stream rows, with `kind: "account"`.
 */
export interface AccountStatusRow {
  kind: "account";
  source: string;
  account: string;
  /** Always null: the row is about the account, not one of its streams. */
  stream: null;
  status: "listing_failed";
  /** The run whose listing failed, and when that listing ended. */
  last_run_id: number;
  last_run_finished_at: Date;
  /** Why the listing failed (redacted, as recorded). */
  last_error: string | null;
  /** When the account's last complete listing ended; null when none has. */
  last_complete_listing_at: Date | null;
}

/**
 * Yandex.Direct agency accounts whose latest listing (the one of the newest run that listed them) did not
 * complete, in account order. A later complete listing clears the account.
 */
export async function failedListings(db: Kysely<Database>): Promise<AccountStatusRow[]> {
  const result = await sql<{
    run_id: string | number;
    account: string;
    finished_at: Date;
    error: string | null;
    last_complete_at: Date | null;
  }>`
    select l.run_id, l.account, l.finished_at, l.error,
           (select max(c.finished_at) from yandex_direct.client_listings c
             where c.account = l.account and c.complete) as last_complete_at
      from (select distinct on (account) run_id, account, finished_at, complete, error
              from yandex_direct.client_listings
             order by account, run_id desc) l
     where not l.complete
     order by l.account`.execute(db);
  return result.rows.map((r) => ({
    kind: "account",
    source: "yandex_direct",
    account: r.account,
    stream: null,
    status: "listing_failed",
    last_run_id: Number(r.run_id),
    last_run_finished_at: r.finished_at,
    last_error: r.error,
    last_complete_listing_at: r.last_complete_at,
  }));
}
