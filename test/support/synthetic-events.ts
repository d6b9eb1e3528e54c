/** Synthetic Yandex.Direct event rows for loader tests and benchmarks. */
import { canonicalJson, eventKey } from "../../src/sync/event.identity.js";
import { numberOccurrences } from "./occurrences.js";
import type { YandexDirectEventRowInput } from "../../src/warehouse/copy.columns.js";

const TYPES = [
  "MoneyIn",
  "MoneyOut",
  "MoneyWarning",
  "BannerModerated",
  "WarnPlace",
  "WarnMinPrice",
  "LowCTR",
] as const;

/** `count` distinct events of one login, one per second from `start`, keyed as the sync would key them. */
export function syntheticEvents(
  count: number,
  options: { start?: Date; login?: string; offset?: number } = {},
): YandexDirectEventRowInput[] {
  const start = options.start?.getTime() ?? Date.UTC(2026, 0, 1);
  const login = options.login ?? "client-1";
  const offset = options.offset ?? 0;
  const raws = Array.from({ length: count }, (_, k) => {
    const i = k + offset;
    const type = TYPES[i % TYPES.length] as string;
    return {
      Timestamp: new Date(start + i * 1000).toISOString().replace(".000", ""),
      EventType: type,
      EventName: `Event ${type}`,
      CampaignID: 1000 + (i % 50),
      BannerID: 500000 + (i % 997),
      Attributes: { Payed: (i % 10000) / 100, Currency: "RUB" },
    };
  });
  return numberOccurrences(raws).map(({ record, canonical, occurrence }) =>
    toRow(record, canonical, occurrence, login),
  );
}

export function toRow(
  record: {
    Timestamp: string;
    EventType: string;
    EventName: string;
    CampaignID: number;
    BannerID: number;
    Attributes: { Payed: number; Currency: string };
  },
  canonical: string,
  occurrence: number,
  login: string,
): YandexDirectEventRowInput {
  return {
    event_key: eventKey(`yandex_direct/bench/${login}`, canonical, occurrence),
    account: "bench",
    login,
    event_time: new Date(record.Timestamp),
    event_type: record.EventType,
    event_name: record.EventName,
    campaign_id: record.CampaignID,
    banner_id: record.BannerID,
    phrase_id: null,
    account_id: null,
    text_description: null,
    moderation_result: null,
    is_edited_by_moderator: null,
    min_price: null,
    rest: null,
    payed: record.Attributes.Payed.toFixed(2),
    currency: record.Attributes.Currency,
    finish_date: null,
    old_place: null,
    stop_time: null,
    occurrence,
    raw: JSON.stringify(record),
  };
}

export { canonicalJson };
