// GetEventsLog items map to typed rows, naive times in the configured zone, identity without the locale's descriptions.
import { describe, expect, it } from "vitest";
import { DESCRIPTION_FIELDS, mapEvent } from "../../src/sources/yandex-direct/events.mapper.js";
import { canonicalJson } from "../../src/sync/event.identity.js";

const base = { Timestamp: "2026-03-01T10:00:00Z", EventType: "MoneyIn", EventName: "Money in", CampaignID: 3193279 };

describe("mapEvent", () => {
  it("types every field of the seed document", () => {
    const mapped = mapEvent(
      {
        ...base,
        BannerID: 12345678901,
        PhraseID: "987",
        AccountID: 55,
        TextDescription: "Зачислено",
        Attributes: {
          Payed: 1500.5,
          Rest: "20.10",
          MinPrice: 0.3,
          Currency: "RUB",
          IsEditedByModerator: "Yes",
          ModerationResult: "Accepted",
          FinishDate: "2026-03-31",
          OldPlace: 2,
          StopTime: "2026-03-01T12:30:00",
        },
        Unknown: { kept: "in raw" },
      },
      "+03:00",
      "RUB",
    );
    expect(mapped).toEqual({
      ok: true,
      event: {
        event_time: new Date("2026-03-01T10:00:00Z"),
        event_type: "MoneyIn",
        event_name: "Money in",
        campaign_id: 3193279,
        banner_id: 12345678901,
        phrase_id: 987,
        account_id: 55,
        text_description: "Зачислено",
        moderation_result: "Accepted",
        is_edited_by_moderator: true,
        min_price: "0.3",
        rest: "20.10",
        payed: "1500.5",
        currency: "RUB",
        finish_date: "2026-03-31",
        old_place: "2",
        stop_time: new Date("2026-03-01T09:30:00Z"),
      },
    });
  });

  it("puts the requested currency on every row, money or not", () => {
    for (const item of [
      { ...base, EventType: "LowCTR" },
      { ...base, EventType: "MoneyOut", Attributes: { Rest: 0 } },
      { ...base, Attributes: { Payed: 5, Currency: "USD" } },
    ]) {
      const mapped = mapEvent(item, "UTC", "USD");
      expect(mapped.ok && mapped.event.currency, JSON.stringify(item)).toBe("USD");
    }
  });

  it("reads a timestamp without a zone in the configured zone", () => {
    const mapped = mapEvent({ ...base, Timestamp: "2026-03-01T10:00:00" }, "Europe/Moscow", "RUB");
    expect(mapped.ok && mapped.event.event_time.toISOString()).toBe("2026-03-01T07:00:00.000Z");
  });

  it.each([
    [{ ...base, Timestamp: undefined }, "Timestamp: expected an ISO 8601 timestamp, got undefined"],
    [{ ...base, Timestamp: "yesterday" }, 'Timestamp: expected an ISO 8601 timestamp, got "yesterday"'],
    [{ ...base, Timestamp: 1700000000 }, "Timestamp: expected an ISO 8601 timestamp, got 1700000000"],
    [{ ...base, EventType: "" }, 'EventType: expected an event type, got ""'],
    [{ ...base, EventType: undefined }, "EventType: expected an event type, got undefined"],
    [{ ...base, CampaignID: "abc" }, 'CampaignID: expected an integer id, got "abc"'],
    [{ ...base, Attributes: { Payed: "12,5" } }, 'Attributes.Payed: expected a number, got "12,5"'],
    [
      { ...base, Attributes: { IsEditedByModerator: "Maybe" } },
      'Attributes.IsEditedByModerator: expected Yes or No, got "Maybe"',
    ],
    [
      { ...base, Attributes: { FinishDate: "31.03.2026" } },
      'Attributes.FinishDate: expected a date YYYY-MM-DD, got "31.03.2026"',
    ],
    [{ ...base, Attributes: [] }, "Attributes: expected an object, got []"],
    [
      { ...base, Attributes: { Payed: 10, Currency: "EUR" } },
      'Attributes.Currency: expected RUB (the currency requested), got "EUR"',
    ],
    [{ ...base, Attributes: { Currency: 643 } }, "Attributes.Currency: expected a string, got 643"],
    [null, "record: expected an object, got null"],
    ["text", 'record: expected an object, got "text"'],
  ])("rejects %j with a reason", (item, reason) => {
    expect(mapEvent(item, "UTC", "RUB")).toEqual({ ok: false, reason });
  });
});

describe("event identity", () => {
  it("leaves out the locale-dependent descriptions, keeps everything else", () => {
    const identity = (item: unknown) => canonicalJson(item, DESCRIPTION_FIELDS);
    const en = { ...base, EventName: "Money in", TextDescription: "Credited", Attributes: { Payed: 1 } };
    const ru = { ...base, EventName: "Зачисление средств", Attributes: { Payed: 1 } };
    expect(identity(en)).toBe(identity(ru));
    expect(identity({ ...en, Attributes: { Payed: 2 } })).not.toBe(identity(en));
    expect(identity({ ...en, Unknown: 1 })).not.toBe(identity(en));
  });
});
