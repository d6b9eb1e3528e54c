/**
 * One GetEventsLog item → the typed columns of yandex_direct.events, or the reason it cannot be stored.
 * Unknown fields are not an error: the raw record keeps them. A missing Timestamp or EventType, or a
 * known field with a value of the wrong type, rejects the record (it goes to sync.rejects with its payload).
 */
import { parseTimestamp } from "../../time/time.timestamp.js";

export interface YandexDirectEvent {
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
  min_price: string | null;
  rest: string | null;
  payed: string | null;
  currency: string | null;
  finish_date: string | null;
  old_place: string | null;
  stop_time: Date | null;
}

export type Mapped = { ok: true; event: YandexDirectEvent } | { ok: false; reason: string };

class Reject extends Error {}

function describe(value: unknown): string {
  return typeof value === "string"
    ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
    : (JSON.stringify(value) ?? String(value));
}

function fail(field: string, expected: string, value: unknown): never {
  throw new Reject(`${field}: expected ${expected}, got ${describe(value)}`);
}

const absent = (v: unknown) => v === undefined || v === null;

function text(field: string, value: unknown): string | null {
  if (absent(value)) return null;
  if (typeof value === "string") return value;
  return fail(field, "a string", value);
}

function id(field: string, value: unknown): number | null {
  if (absent(value)) return null;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^\d{1,15}$/.test(value)) return Number(value);
  return fail(field, "an integer id", value);
}

function money(field: string, value: unknown): string | null {
  if (absent(value)) return null;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return value;
  return fail(field, "a number", value);
}

function yesNo(field: string, value: unknown): boolean | null {
  if (absent(value)) return null;
  if (value === "Yes" || value === true) return true;
  if (value === "No" || value === false) return false;
  return fail(field, "Yes or No", value);
}

function date(field: string, value: unknown): string | null {
  if (absent(value)) return null;
  if (typeof value === "string") {
    const m = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(value);
    if (m?.[1] && !Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`))) return m[1];
  }
  return fail(field, "a date YYYY-MM-DD", value);
}

function time(field: string, value: unknown, zone: string): Date | null {
  if (absent(value)) return null;
  const parsed = typeof value === "string" ? parseTimestamp(value, zone) : undefined;
  return parsed ?? fail(field, "an ISO 8601 timestamp", value);
}

function record(field: string, value: unknown): Record<string, unknown> | null {
  if (absent(value)) return null;
  if (typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  return fail(field, "an object", value);
}

const NO_ATTRIBUTES: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * An event's row as the mapper makes it: the mapped columns, and the columns of its stream and identity
 * (`event_key`, `occurrence`, `raw`) which the caller fills in once the event is identified. One object per event,
 * in one fixed shape.
 */
export interface YandexDirectEventRow extends YandexDirectEvent {
  event_key: string;
  account: string;
  login: string;
  occurrence: number;
  raw: string;
}

/**
 * Maps one item straight into its row; a string is the reason it cannot be stored. `zone` reads timestamps that
 * come without a zone. `currency` is the currency the events were requested in: every row carries it, so money of
 * all types adds up in one currency, and an item whose own `Attributes.Currency` says otherwise is rejected.
 * `timestampMs` is the item's Timestamp when the reader has already read it (ms since the epoch), so it is not
 * parsed twice. `stream` gives the row's account and login.
 */
export function mapEventRow(
  item: unknown,
  zone: string,
  currency: string,
  timestampMs: number | undefined,
  stream: { account: string; login: string },
): YandexDirectEventRow | string {
  try {
    const r = record("record", item);
    if (!r) return fail("record", "an object", item);
    if (absent(r.Timestamp)) return fail("Timestamp", "an ISO 8601 timestamp", r.Timestamp);
    const eventTime =
      timestampMs !== undefined && Number.isFinite(timestampMs)
        ? new Date(timestampMs)
        : (time("Timestamp", r.Timestamp, zone) as Date);
    if (typeof r.EventType !== "string" || r.EventType === "") return fail("EventType", "an event type", r.EventType);
    const a = record("Attributes", r.Attributes) ?? NO_ATTRIBUTES;
    const stated = text("Attributes.Currency", a.Currency);
    if (stated !== null && stated !== currency)
      fail("Attributes.Currency", `${currency} (the currency requested)`, stated);
    return {
      event_key: "",
      account: stream.account,
      login: stream.login,
      event_time: eventTime,
      event_type: r.EventType,
      event_name: text("EventName", r.EventName),
      campaign_id: id("CampaignID", r.CampaignID),
      banner_id: id("BannerID", r.BannerID),
      phrase_id: id("PhraseID", r.PhraseID),
      account_id: id("AccountID", r.AccountID),
      text_description: text("TextDescription", r.TextDescription),
      moderation_result: text("Attributes.ModerationResult", a.ModerationResult),
      is_edited_by_moderator: yesNo("Attributes.IsEditedByModerator", a.IsEditedByModerator),
      min_price: money("Attributes.MinPrice", a.MinPrice),
      rest: money("Attributes.Rest", a.Rest),
      payed: money("Attributes.Payed", a.Payed),
      currency,
      finish_date: date("Attributes.FinishDate", a.FinishDate),
      old_place: oldPlace(a.OldPlace),
      stop_time: time("Attributes.StopTime", a.StopTime, zone),
      occurrence: 0,
      raw: "",
    };
  } catch (err) {
    if (err instanceof Reject) return err.message;
    throw err;
  }
}

function oldPlace(value: unknown): string | null {
  if (absent(value)) return null;
  return typeof value === "number" ? String(value) : text("Attributes.OldPlace", value);
}

/** Maps one item to its typed columns alone (mapEventRow without the stream and identity columns). */
export function mapEvent(item: unknown, zone: string, currency: string, timestampMs?: number): Mapped {
  const row = mapEventRow(item, zone, currency, timestampMs, { account: "", login: "" });
  if (typeof row === "string") return { ok: false, reason: row };
  const { event_key: _key, account: _account, login: _login, occurrence: _occurrence, raw: _raw, ...event } = row;
  return { ok: true, event };
}

/**
 * Fields of an item that do not identify the event: descriptions in the requested locale, so changing the
 * locale must not make old events look new. Every other field, known or not, is part of the identity.
 */
export const DESCRIPTION_FIELDS: ReadonlySet<string> = new Set(["EventName", "TextDescription"]);
