/**
 * Table types of the warehouse, written by hand to match migrations/. Times are Date, bigint ids are
 * numbers (see warehouse.database.ts), numeric amounts are strings so no decimal is lost.
 */
import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from "kysely";

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;
/** A time of an event table: rows go in by COPY (copy.columns.ts), which takes a Date. */
type EventTime = ColumnType<Date, Date, Date>;

export type { SourceName } from "../vocabulary.js";
import type { SourceName } from "../vocabulary.js";
export type StreamStatus =
  "new" | "running" | "succeeded" | "incomplete" | "partial" | "failed" | "interrupted" | "abandoned" | "retired";
export type RunStatus = "running" | "succeeded" | "partial" | "failed" | "interrupted" | "abandoned";
export type StreamRunStatus = RunStatus | "incomplete";

export interface RunsTable {
  run_id: Generated<number>;
  command: string;
  host: string;
  pid: number;
  started_at: DefaultTimestamp;
  finished_at: Timestamp | null;
  status: ColumnType<RunStatus, RunStatus | undefined, RunStatus>;
  error: string | null;
  /**
   * Streams the run left to another eventlog-sync process (held by it, or synced by it since the run began),
   * which get no sync.stream_runs row; written when the run finishes.
   */
  streams_skipped: Generated<number>;
}

export interface StreamsTable {
  stream_id: Generated<number>;
  source: SourceName;
  account: string;
  stream_key: string;
  cursor: Timestamp | null;
  status: ColumnType<StreamStatus, StreamStatus | undefined, StreamStatus>;
  last_error: string | null;
  last_run_id: number | null;
  state: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  last_success_at: Timestamp | null;
  /** Kept from the open gaps (sync.gaps) by a trigger: their events summed, null when none or any is unknown. */
  unread_events: ColumnType<number | null, number | null | undefined, number | null>;
  /** Kept from the open gaps by a trigger: the earliest one's source time. */
  unread_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** When the stream left the configuration (status retired); null while configured. */
  retired_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** When the stream last completed a read up to what the source settles: what freshness is measured from. */
  last_read_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Rows the warehouse holds for the stream, kept by triggers on the event tables. */
  rows_held: GeneratedAlways<number>;
}

export interface StreamRunsTable {
  run_id: number;
  stream_id: number;
  started_at: DefaultTimestamp;
  finished_at: Timestamp | null;
  status: ColumnType<StreamRunStatus, StreamRunStatus | undefined, StreamRunStatus>;
  requests: Generated<number>;
  retries: Generated<number>;
  /** Batches stored, each in its own transaction. */
  batches: Generated<number>;
  events_fetched: Generated<number>;
  events_inserted: Generated<number>;
  events_duplicate: Generated<number>;
  rejects: Generated<number>;
  cursor_before: Timestamp | null;
  cursor_after: Timestamp | null;
  completeness_gap: number | null;
  error: string | null;
  unread_events: ColumnType<number | null, number | null | undefined, number | null>;
  unread_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type GapKind = "stepped" | "count";

/** Events a stream could not read, one row per place (migrations/2026-12-03T0900_gaps.ts; Glossary: gap). */
export interface GapsTable {
  gap_id: Generated<number>;
  stream_id: number;
  kind: GapKind;
  /** Source time where the gap starts. */
  at: Timestamp;
  /** Source time where it ends, when known. */
  until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** How many events it holds; null: the server does not say (unknown, never 0). */
  unread_events: number | null;
  reason: string;
  /** Runs are plain ids, not foreign keys: old runs may be deleted while their gaps stay. */
  found_run_id: number | null;
  last_run_id: number | null;
  found_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  /** Null while the gap is open. */
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  closed_run_id: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface RejectsTable {
  reject_id: Generated<number>;
  stream_id: number;
  run_id: number;
  rejected_at: DefaultTimestamp;
  reason: string;
  payload: Json;
  occurrence: number;
  reject_key: string;
  nul_replaced: Generated<boolean>;
}

export interface AltcraftCampaignsTable {
  account: string;
  campaign_id: number;
  name: string | null;
  type: string | null;
  is_active: boolean | null;
  is_completed: boolean | null;
  status: string | null;
  ui_tags: Json | null;
  groups: Json | null;
  raw: Json;
  first_seen_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface YandexDirectClientsTable {
  account: string;
  client_id: number;
  login: string;
  stream_key: string;
  name: string | null;
  currency: string | null;
  archived: boolean;
  listed: Generated<boolean>;
  first_seen_at: DefaultTimestamp;
  last_seen_at: DefaultTimestamp;
  raw: Json;
}

export interface YandexDirectClientListingsTable {
  run_id: number;
  account: string;
  started_at: Date;
  finished_at: DefaultTimestamp;
  complete: boolean;
  pages: number;
  requests: number;
  clients: number | null;
  units_spent: number | null;
  units_remaining: number | null;
  units_daily: number | null;
  error: string | null;
}

/** Columns every event table has; copy.columns.ts derives the loader's rows from these types. */
interface EventColumns {
  event_key: string;
  stream_id: number;
  account: string;
  occurrence: number;
  raw: Json;
  run_id: number;
  loaded_at: DefaultTimestamp;
  nul_replaced: Generated<boolean>;
}

export interface AltcraftCampaignLogTable extends EventColumns {
  campaign_id: number;
  time: EventTime;
  level: string | null;
  message: string | null;
  state: string | null;
  value: string | null;
  value_ms: number | null;
}

export interface YandexDirectEventsTable extends EventColumns {
  login: string;
  event_time: EventTime;
  event_type: string;
  event_name: string | null;
  campaign_id: number | null;
  banner_id: number | null;
  phrase_id: number | null;
  account_id: number | null;
  text_description: string | null;
  moderation_result: string | null;
  is_edited_by_moderator: boolean | null;
  min_price: string | null;
  rest: string | null;
  payed: string | null;
  currency: string | null;
  /** `YYYY-MM-DD` */
  finish_date: string | null;
  old_place: string | null;
  stop_time: EventTime | null;
  /** UTC day of event_time (`YYYY-MM-DD`), computed by Postgres. */
  day: GeneratedAlways<string>;
  /** Stable English name of event_type (yandex_direct.event_types.label), computed by Postgres. */
  event_label: GeneratedAlways<string | null>;
}

/** The event-type dictionary, written by its migration. */
export interface YandexDirectEventTypesTable {
  event_type: string;
  label: string;
  name_ru: string;
  meaning: string;
  attributes: Json;
}

/** Campaign runs, kept by triggers on altcraft.campaign_log in the transaction that loads the log. */
export interface AltcraftRunsTable {
  account: string;
  campaign_id: number;
  start_key: string;
  started_at: Date;
  finished_at: Date | null;
  time_spent_ms: number | null;
  warnings: number;
  errors: number;
}

/**
 * The shared request budget's sliding window (request-budget.factory.ts): one row per start a token may make in one
 * window, across every process on the warehouse.
 */
export interface RequestStartsTable {
  /** A hash of the source and the token, never the token. */
  budget_key: string;
  slot: number;
  /** The last start that took the row, by the database clock; -infinity before the first. */
  started_at: DefaultTimestamp;
}

export interface Database {
  "sync.runs": RunsTable;
  "sync.streams": StreamsTable;
  "sync.stream_runs": StreamRunsTable;
  "sync.rejects": RejectsTable;
  "sync.gaps": GapsTable;
  "altcraft.campaigns": AltcraftCampaignsTable;
  "altcraft.campaign_log": AltcraftCampaignLogTable;
  "yandex_direct.events": YandexDirectEventsTable;
  "yandex_direct.event_types": YandexDirectEventTypesTable;
  "altcraft.runs": AltcraftRunsTable;
  "yandex_direct.clients": YandexDirectClientsTable;
  "yandex_direct.client_listings": YandexDirectClientListingsTable;
  "sync.request_starts": RequestStartsTable;
}

export type Stream = Selectable<StreamsTable>;
export type NewStream = Insertable<StreamsTable>;
export type StreamUpdate = Updateable<StreamsTable>;
export type Run = Selectable<RunsTable>;
export type StreamRun = Selectable<StreamRunsTable>;
export type Gap = Selectable<GapsTable>;
export type AltcraftCampaignLogRow = Selectable<AltcraftCampaignLogTable>;
export type YandexDirectEventRow = Selectable<YandexDirectEventsTable>;
