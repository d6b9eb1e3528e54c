/**
 * What the loader needs to know of each event table: its columns with their Postgres types, in the order
 * rows are streamed. stream_id, run_id and loaded_at are filled by the loader, not by the caller.
 */
export type ColumnKind = "uuid" | "text" | "integer" | "bigint" | "double" | "numeric" | "boolean" | "timestamptz" | "date" | "jsonb";

export interface EventColumn<Row> {
  name: keyof Row & string;
  kind: ColumnKind;
  nullable: boolean;
}

export interface EventTable<Row> {
  /** Schema-qualified name, e.g. `yandex_direct.events`. */
  name: "altcraft.campaign_log" | "yandex_direct.events";
  columns: ReadonlyArray<EventColumn<Row>>;
}

export interface CampaignLogRowInput {
  event_key: string;
  account: string;
  campaign_id: number;
  time: Date;
  level: string | null;
  message: string | null;
  state: string | null;
  value: string | null;
  value_ms: number | null;
  occurrence: number;
  raw: unknown;
}

export interface YandexDirectEventRowInput {
  event_key: string;
  account: string;
  login: string;
  event_time: Date;
  event_type: string;
  event_name: string | null;
  campaign_id: number | null;
  banner_id: number | null;
  phrase_id: number | null;
  account_id: number | null;
  text_description: string | null;
  moderation_result: string | null;
  is_edited_by_moderator: boolean | null;
  /** Decimal amounts as strings (or numbers), never rounded through floats by the loader. */
  min_price: string | number | null;
  rest: string | number | null;
  payed: string | number | null;
  currency: string | null;
  /** `YYYY-MM-DD` */
  finish_date: string | null;
  old_place: string | null;
  stop_time: Date | null;
  occurrence: number;
  raw: unknown;
}

const col = <Row>(name: keyof Row & string, kind: ColumnKind, nullable = true): EventColumn<Row> => ({ name, kind, nullable });

export const campaignLogTable: EventTable<CampaignLogRowInput> = {
  name: "altcraft.campaign_log",
  columns: [
    col("event_key", "uuid", false),
    col("account", "text", false),
    col("campaign_id", "bigint", false),
    col("time", "timestamptz", false),
    col("level", "text"),
    col("message", "text"),
    col("state", "text"),
    col("value", "text"),
    col("value_ms", "double"),
    col("occurrence", "integer", false),
    col("raw", "jsonb", false),
  ],
};

export const yandexDirectEventsTable: EventTable<YandexDirectEventRowInput> = {
  name: "yandex_direct.events",
  columns: [
    col("event_key", "uuid", false),
    col("account", "text", false),
    col("login", "text", false),
    col("event_time", "timestamptz", false),
    col("event_type", "text", false),
    col("event_name", "text"),
    col("campaign_id", "bigint"),
    col("banner_id", "bigint"),
    col("phrase_id", "bigint"),
    col("account_id", "bigint"),
    col("text_description", "text"),
    col("moderation_result", "text"),
    col("is_edited_by_moderator", "boolean"),
    col("min_price", "numeric"),
    col("rest", "numeric"),
    col("payed", "numeric"),
    col("currency", "text"),
    col("finish_date", "date"),
    col("old_place", "text"),
    col("stop_time", "timestamptz"),
    col("occurrence", "integer", false),
    col("raw", "jsonb", false),
  ],
};
