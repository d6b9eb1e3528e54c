// Proves event keys stay byte-identical: known records are pinned to the keys the product has always given them.
import { describe, expect, it } from "vitest";
import { DESCRIPTION_FIELDS } from "../../src/sources/yandex-direct/events.mapper.js";
import {
  canonicalJson,
  eventKey,
  type EventKeyText,
  keyRecord,
  OccurrenceCounter,
  streamIdentity,
} from "../../src/sync/event.identity.js";
import { snapshotOf, windowRows } from "../../src/sync/yandex-direct.jobs.js";
import { numberOccurrences } from "../support/occurrences.js";

/** GetEventsLog items: descriptions, key order, number forms, naive times, nesting, unicode, a NUL, identical twins. */
export const YANDEX_RECORDS: unknown[] = [
  {
    EventType: "MoneyIn",
    Timestamp: "2026-01-01T00:00:00Z",
    AccountID: 123,
    Attributes: { Payed: 100.5, Currency: "RUB" },
    EventName: "Payment",
    TextDescription: "Money in",
  },
  {
    EventType: "MoneyIn",
    Timestamp: "2026-01-01T00:00:00Z",
    AccountID: 123,
    Attributes: { Payed: 100.5, Currency: "RUB" },
    EventName: "Зачисление",
    TextDescription: "x",
  },
  {
    Timestamp: "2026-01-01T00:00:00Z",
    EventType: "MoneyIn",
    Attributes: { Currency: "RUB", Payed: 1.5 },
    AccountID: 123,
  },
  {
    EventType: "BannerModerated",
    Timestamp: "2026-01-01T03:00:00+03:00",
    CampaignID: 3194280,
    BannerID: "9000001",
    Attributes: { ModerationResult: "Accepted", IsEditedByModerator: "No" },
  },
  {
    EventType: "WarnPlace",
    Timestamp: "2026-01-01 03:00:01",
    CampaignID: 1,
    PhraseID: 2,
    Attributes: { OldPlace: 3, StopTime: "2026-01-01T05:00:00" },
    Extra: { nested: [1, { b: 2, a: -0 }], s: 'Кампания "x"\n\u0000' },
  },
  { EventType: "LowCTR", Timestamp: "2026-01-01T00:00:02Z", CampaignID: 5, Unknown: null, Big: 1e21, Small: 1.5e-7 },
  {
    EventType: "MoneyIn",
    Timestamp: "2026-01-01T00:00:00Z",
    AccountID: 123,
    Attributes: { Payed: 100.5, Currency: "RUB" },
  },
];

export const YANDEX_KEYS = [
  "40b7aec0-8b78-644a-8671-63831d4b4d55",
  "7e016750-fd6b-af9e-1274-cd2d2b0b9103",
  "83acee4a-8e46-e704-953a-1a36e0bee5c1",
  "a60d052e-1fd8-21d4-9634-ddaa500e3f39",
  "4fcd77bf-3f37-e530-7319-0ed7021b64eb",
  "6aa8c389-6752-2b79-b21d-3deaf9671cde",
  "3cc74147-a700-b34a-70ae-3c11649a1088",
];

/** campaigns/log_v2 rows: identical twins, key order, a naive time, nesting. */
export const ALTCRAFT_ROWS: unknown[] = [
  { time: "2026-01-01T00:00:00.123Z", level: "info", message: "start", state: "start" },
  { time: "2026-01-01T00:00:00.123Z", level: "info", message: "start", state: "start" },
  { message: "Total time spent", value: "138.351985ms", time: "2026-01-01T00:00:00.124Z", level: "info" },
  {
    time: "2026-01-01T03:00:00",
    level: "warn",
    message: "naive ✓",
    value: "2.5s",
    extra: { z: 1, a: [true, false, null] },
  },
];

export const ALTCRAFT_KEYS = [
  "482b777a-6231-eed9-0aac-f1f2feadcf9b",
  "24742863-ea7d-4ed2-185d-be592bc2a80f",
  "b2531812-4bbb-daaa-a39e-59740a446b1d",
  "8e8d9720-f5f5-71d4-58d8-95b23ecbef72",
];

describe("event keys of known records", () => {
  it("Yandex.Direct: yandex_direct/agency/client-1", () => {
    const prefix = streamIdentity("yandex_direct", "agency", "client-1");
    const keys = numberOccurrences(YANDEX_RECORDS, (r) => canonicalJson(r, DESCRIPTION_FIELDS)).map((n) =>
      eventKey(prefix, n.canonical, n.occurrence),
    );
    expect(keys).toEqual(YANDEX_KEYS);
  });

  it("Yandex.Direct rows as the sync builds them: the same keys, raw the record's own JSON value", () => {
    const stream = {
      keyPrefix: streamIdentity("yandex_direct", "agency", "client-1"),
      account: "agency",
      login: "client-1",
      zone: "UTC",
      redact: (text: string) => text,
      currency: "RUB",
    };
    const { events, rejects } = windowRows(
      snapshotOf(
        YANDEX_RECORDS,
        YANDEX_RECORDS.map(() => Number.NaN),
        stream,
      ),
      stream,
    );
    expect(rejects).toEqual([]);
    expect(events.map((e) => e.event_key)).toEqual(YANDEX_KEYS);
    expect(events.map((e) => e.occurrence)).toEqual([0, 1, 0, 0, 0, 0, 2]);
    // The same JSON value the raw column held when it was written with JSON.stringify.
    expect(events.map((e) => JSON.parse(e.raw) as unknown)).toEqual(
      YANDEX_RECORDS.map((r) => JSON.parse(JSON.stringify(r)) as unknown),
    );
  });

  it("Altcraft rows as the sync numbers and keys them", () => {
    const prefix = streamIdentity("altcraft", "main", "101");
    const occurrences = new OccurrenceCounter();
    const keyed: EventKeyText = { json: "", key: "" };
    const keys = ALTCRAFT_ROWS.map((row) => {
      keyRecord(row, undefined, prefix, 0, keyed);
      expect(JSON.parse(keyed.json)).toEqual(JSON.parse(JSON.stringify(row)));
      const occurrence = occurrences.next(keyed.key);
      keyRecord(row, undefined, prefix, occurrence, keyed);
      return keyed.key;
    });
    expect(keys).toEqual(ALTCRAFT_KEYS);
  });

  it("Altcraft: altcraft/main/101", () => {
    const prefix = streamIdentity("altcraft", "main", "101");
    const keys = numberOccurrences(ALTCRAFT_ROWS).map((n) => eventKey(prefix, n.canonical, n.occurrence));
    expect(keys).toEqual(ALTCRAFT_KEYS);
  });
});
