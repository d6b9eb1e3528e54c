import type { EventRecord } from "./yandex-direct.data.js";
import { CURRENCIES, EVENT_TYPES, type Currency, type EventType, type Locale } from "./yandex-direct.options.js";
import { CURRENCY_RATES, EVENT_NAMES, textDescription } from "./yandex-direct.texts.js";
import { formatDate, formatTimestamp, parseTimestamp } from "./yandex-direct.time.js";

export interface EventsLogItemAttributes {
  ModerationResult?: string;
  IsEditedByModerator?: "Yes" | "No";
  MinPrice?: number;
  Rest?: number;
  Payed?: number;
  FinishDate?: string;
  OldPlace?: string;
  StopTime?: string;
  Currency?: Currency;
}

/** One GetEventsLog item as served. Absent ids and attributes are left out, never null. */
export interface EventsLogItem {
  Timestamp: string;
  EventType: EventType;
  EventName: string;
  AccountID?: number;
  CampaignID?: number;
  BannerID?: number;
  PhraseID?: number;
  TextDescription?: string;
  Attributes?: EventsLogItemAttributes;
}

/** What `addEvents` takes: an item as served (EventName/TextDescription ignored) or with a ms Timestamp. */
export type AddedEvent = Omit<EventsLogItem, "Timestamp" | "EventName" | "TextDescription" | "Attributes"> & {
  Timestamp: string | number;
  EventName?: string;
  TextDescription?: string;
  /** Money is read in `Attributes.Currency` (RUB when absent). */
  Attributes?: EventsLogItemAttributes;
};

export interface RenderContext {
  currency: Currency;
  locale: Locale;
  withTextDescription: boolean;
  zoneless: boolean;
  offsetMin: number;
}

/** Rest and Payed: converted and rounded half up to two decimals (seed page). */
function roundMoney(rub: number, currency: Currency): number {
  return Math.round((rub * 100) / CURRENCY_RATES[currency] + 1e-9) / 100;
}

/** MinPrice: converted and rounded up to the bidding step, taken here as 0.01 in every currency. */
function ceilMoney(rub: number, currency: Currency): number {
  return Math.ceil((rub * 100) / CURRENCY_RATES[currency] - 1e-9) / 100;
}

export function renderItem(r: EventRecord, ctx: RenderContext): EventsLogItem {
  const item: EventsLogItem = {
    Timestamp: formatTimestamp(r.ts, ctx.zoneless, ctx.offsetMin),
    EventType: r.type,
    EventName: EVENT_NAMES[r.type][ctx.locale],
  };
  if (r.accountId !== undefined) item.AccountID = r.accountId;
  if (r.campaignId !== undefined) item.CampaignID = r.campaignId;
  if (r.bannerId !== undefined) item.BannerID = r.bannerId;
  if (r.phraseId !== undefined) item.PhraseID = r.phraseId;
  const a: EventsLogItemAttributes = {};
  const details: string[] = [];
  if (r.moderationResult !== undefined) a.ModerationResult = r.moderationResult;
  if (r.isEditedByModerator !== undefined) a.IsEditedByModerator = r.isEditedByModerator;
  if (r.type === "BannerModerated") details.push(`${a.ModerationResult ?? ""}`);
  if (r.minPrice !== undefined) details.push(`${(a.MinPrice = ceilMoney(r.minPrice, ctx.currency)).toFixed(2)}`);
  if (r.rest !== undefined) details.push(`${(a.Rest = roundMoney(r.rest, ctx.currency)).toFixed(2)}`);
  if (r.payed !== undefined) details.push(`${(a.Payed = roundMoney(r.payed, ctx.currency)).toFixed(2)}`);
  if (r.type === "CampaignFinished") {
    details.push((a.FinishDate = r.finishDate ?? formatDate(r.ts, ctx.zoneless, ctx.offsetMin)));
  }
  if (r.oldPlace !== undefined) details.push((a.OldPlace = r.oldPlace));
  if (r.stopTime !== undefined) details.push((a.StopTime = formatTimestamp(r.stopTime, ctx.zoneless, ctx.offsetMin)));
  if (r.minPrice !== undefined || r.rest !== undefined || r.payed !== undefined) {
    a.Currency = ctx.currency;
    details.push(ctx.currency);
  }
  if (ctx.withTextDescription) item.TextDescription = textDescription(ctx.locale, r.type, item, details.join(" "));
  if (Object.keys(a).length > 0) item.Attributes = a;
  return item;
}

/** Reads an added event into base form, or throws a TypeError naming the bad field. */
export function toRecord(item: AddedEvent, naiveOffsetMin: number): EventRecord {
  if (!EVENT_TYPES.includes(item.EventType)) throw new TypeError(`Unknown EventType \`${String(item.EventType)}\``);
  const ms = typeof item.Timestamp === "number" ? item.Timestamp : parseTimestamp(item.Timestamp, naiveOffsetMin);
  if (ms === null || !Number.isFinite(ms)) throw new TypeError(`Bad Timestamp \`${String(item.Timestamp)}\``);
  const record: EventRecord = { ts: Math.floor(ms / 1000), type: item.EventType };
  for (const [field, key] of [
    ["AccountID", "accountId"],
    ["CampaignID", "campaignId"],
    ["BannerID", "bannerId"],
    ["PhraseID", "phraseId"],
  ] as const) {
    const value = item[field];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value)) throw new TypeError(`Bad ${field} \`${String(value)}\``);
    record[key] = value;
  }
  const a = item.Attributes ?? {};
  const currency = a.Currency ?? "RUB";
  if (!CURRENCIES.includes(currency)) throw new TypeError(`Unknown Currency \`${String(currency)}\``);
  const rate = CURRENCY_RATES[currency];
  if (a.MinPrice !== undefined) record.minPrice = a.MinPrice * rate;
  if (a.Rest !== undefined) record.rest = a.Rest * rate;
  if (a.Payed !== undefined) record.payed = a.Payed * rate;
  if (a.ModerationResult !== undefined) record.moderationResult = a.ModerationResult;
  if (a.IsEditedByModerator !== undefined) record.isEditedByModerator = a.IsEditedByModerator;
  if (a.FinishDate !== undefined) record.finishDate = a.FinishDate;
  if (a.OldPlace !== undefined) record.oldPlace = a.OldPlace;
  if (a.StopTime !== undefined) {
    const stop = parseTimestamp(a.StopTime, naiveOffsetMin);
    if (stop === null) throw new TypeError(`Bad StopTime \`${a.StopTime}\``);
    record.stopTime = Math.floor(stop / 1000);
  }
  return record;
}
