/**
 * The rows the loader streams into each event table with COPY, and their column lists. The table types in
 * warehouse.tables.ts are the one definition of each row: a row is every column of its table except those the loader
 * or Postgres fills (stream_id, run_id, nul_replaced, loaded_at), with the column's insert type. Each table's
 * COPY columns are written once below as an object keyed by exactly those columns, so a column added to a
 * table type and not here (or the other way round), a nullable flag that disagrees with the type, or a kind
 * that cannot hold the type, is a compile error. Columns Postgres computes (GeneratedAlways) are left out.
 */
import type { InsertType } from "kysely";
import type { AltcraftCampaignLogTable, YandexDirectEventsTable } from "./warehouse.tables.js";

export type ColumnKind =
  "uuid" | "text" | "integer" | "bigint" | "double" | "numeric" | "boolean" | "timestamptz" | "date" | "jsonb";

/**
 * Columns of an event table the caller does not give: the loader fills stream_id, run_id and nul_replaced, Postgres
 * loaded_at.
 */
type FilledByLoader = "stream_id" | "run_id" | "nul_replaced" | "loaded_at";

/**
 * The row a caller hands the loader for an event table. `raw` is the record's JSON text. Columns Postgres
 * computes (GeneratedAlways, whose insert type is never) are not part of it.
 */
export type EventRowOf<Table> = {
  [K in Exclude<keyof Table, FilledByLoader> as [InsertType<Table[K]>] extends [never] ? never : K]: InsertType<
    Table[K]
  >;
};

export type CampaignLogRowInput = EventRowOf<AltcraftCampaignLogTable>;
export type YandexDirectEventRowInput = EventRowOf<YandexDirectEventsTable>;

/**
 * The kinds that can hold a value of type `T` (a string may be a uuid, text, a decimal, a date, digits or JSON text).
 */
type KindsFor<T> = [T] extends [Date]
  ? "timestamptz"
  : [T] extends [boolean]
    ? "boolean"
    : [T] extends [number]
      ? "integer" | "bigint" | "double"
      : [T] extends [string]
        ? "uuid" | "text" | "numeric" | "date" | "bigint" | "jsonb"
        : never;

/** One entry per column of the row, nothing else; `nullable` must say what the type says. */
export type ColumnSpecs<Row> = {
  readonly [K in keyof Row]-?: {
    readonly kind: KindsFor<NonNullable<Row[K]>>;
    readonly nullable: null extends Row[K] ? true : false;
  };
};

export interface EventColumn<Row> {
  name: keyof Row & string;
  kind: ColumnKind;
  nullable: boolean;
}

export interface EventTable<Row> {
  /** Schema-qualified name, e.g. `yandex_direct.events`. */
  name: "altcraft.campaign_log" | "yandex_direct.events";
  /** In the order each row's values are streamed. */
  columns: ReadonlyArray<EventColumn<Row>>;
}

function eventTable<Row>(name: EventTable<Row>["name"], specs: ColumnSpecs<Row>): EventTable<Row> {
  const columns = Object.entries(specs as Record<string, { kind: ColumnKind; nullable: boolean }>).map(
    ([column, spec]) => ({
      name: column as keyof Row & string,
      kind: spec.kind,
      nullable: spec.nullable,
    }),
  );
  return { name, columns };
}

const required = <K extends ColumnKind>(kind: K) => ({ kind, nullable: false }) as const;
const nullable = <K extends ColumnKind>(kind: K) => ({ kind, nullable: true }) as const;

export const campaignLogTable: EventTable<CampaignLogRowInput> = eventTable<CampaignLogRowInput>(
  "altcraft.campaign_log",
  {
    event_key: required("uuid"),
    account: required("text"),
    campaign_id: required("bigint"),
    time: required("timestamptz"),
    level: nullable("text"),
    message: nullable("text"),
    state: nullable("text"),
    value: nullable("text"),
    value_ms: nullable("double"),
    occurrence: required("integer"),
    raw: required("jsonb"),
  },
);

export const yandexDirectEventsTable: EventTable<YandexDirectEventRowInput> = eventTable<YandexDirectEventRowInput>(
  "yandex_direct.events",
  {
    event_key: required("uuid"),
    account: required("text"),
    login: required("text"),
    event_time: required("timestamptz"),
    event_type: required("text"),
    event_name: nullable("text"),
    campaign_id: nullable("bigint"),
    banner_id: nullable("bigint"),
    phrase_id: nullable("bigint"),
    account_id: nullable("bigint"),
    text_description: nullable("text"),
    moderation_result: nullable("text"),
    is_edited_by_moderator: nullable("boolean"),
    min_price: nullable("numeric"),
    rest: nullable("numeric"),
    payed: nullable("numeric"),
    currency: nullable("text"),
    finish_date: nullable("date"),
    old_place: nullable("text"),
    stop_time: nullable("timestamptz"),
    occurrence: required("integer"),
    raw: required("jsonb"),
  },
);
