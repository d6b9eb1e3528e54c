/**
 * What the warehouse stores for analysts besides the events themselves: the event-type dictionary, the
 * UTC day and the English label on every Yandex.Direct event, and the rows each stream holds, kept exact
 * through inserts, duplicates and deletes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_NAMES } from "../../src/simulators/yandex-direct/yandex-direct.texts.js";
import { EVENT_TYPES } from "../../src/vocabulary.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
let runId: number;
const streamIds: Record<string, number> = {};

const query = async <T extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
  (await database.warehouse.pool.query<T>(text, values)).rows;

async function insertEvent(login: string, time: string, type: string, key: string): Promise<void> {
  await query(
    `insert into yandex_direct.events (event_key, stream_id, account, login, event_time, event_type, event_name, currency, occurrence, raw, run_id)
     values ($1, $2, 'agency', $3, $4, $5, $5, 'RUB', 0, '{}', $6) on conflict (event_key) do nothing`,
    [key, streamIds[login], login, time, type, runId],
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  runId = (
    await query<{ run_id: number }>(
      `insert into sync.runs (command, host, pid) values ('sync', 'test', 1) returning run_id`,
    )
  )[0]!.run_id;
  for (const login of ["client-a", "client-b"]) {
    streamIds[login] = (
      await query<{ stream_id: number }>(
        `insert into sync.streams (source, account, stream_key) values ('yandex_direct', 'agency', $1) returning stream_id`,
        [login],
      )
    )[0]!.stream_id;
  }
});

afterAll(async () => {
  await database?.drop();
});

describe("yandex_direct.event_types", () => {
  it("holds exactly the nine types, each with a stable English label (the English EventName), a Russian name, a meaning and its Attributes", async () => {
    const rows = await query<{
      event_type: string;
      label: string;
      name_ru: string;
      meaning: string;
      attributes: Record<string, string>;
    }>("select event_type, label, name_ru, meaning, attributes from yandex_direct.event_types order by event_type");
    expect(rows.map((r) => r.event_type)).toEqual([...EVENT_TYPES].sort());
    for (const row of rows) {
      const names = EVENT_NAMES[row.event_type as keyof typeof EVENT_NAMES];
      expect(row.label, row.event_type).toBe(names.en);
      expect(row.name_ru, row.event_type).toBe(names.ru);
      expect(row.meaning.length).toBeGreaterThan(10);
    }
    const attributes = Object.fromEntries(rows.map((r) => [r.event_type, Object.keys(r.attributes).sort()]));
    expect(attributes).toEqual({
      BannerModerated: ["IsEditedByModerator", "ModerationResult"],
      CampaignFinished: ["FinishDate"],
      LowCTR: [],
      MoneyIn: ["Currency", "Payed"],
      MoneyOut: ["Currency", "Rest"],
      MoneyWarning: ["Currency", "Rest"],
      PausedByDayBudget: ["StopTime"],
      WarnMinPrice: ["Currency", "MinPrice"],
      WarnPlace: ["OldPlace"],
    });
  });
});

describe("yandex_direct.events", () => {
  it("stores the UTC day of each event whatever the session's time zone, and the English label next to event_name", async () => {
    const client = await database.warehouse.pool.connect();
    try {
      await client.query("set time zone 'America/Sao_Paulo'");
      await insertEvent("client-a", "2026-03-01T23:30:00-03:00", "MoneyIn", "00000000-0000-4000-8000-000000000001"); // 02:30 UTC on the 2nd
      await insertEvent("client-a", "2026-03-02T00:30:00+05:00", "LowCTR", "00000000-0000-4000-8000-000000000002"); // 19:30 UTC on the 1st
      const rows = (
        await client.query<{ day: string; event_label: string }>(
          "select day::text as day, event_label from yandex_direct.events where login = 'client-a' order by event_time",
        )
      ).rows;
      expect(rows).toEqual([
        { day: "2026-03-01", event_label: "Phrase disabled for low CTR" },
        { day: "2026-03-02", event_label: "Funds added" },
      ]);
    } finally {
      await client.query("reset time zone");
      client.release();
    }
  });
});

describe("sync.streams.rows_held", () => {
  const held = async () =>
    Object.fromEntries(
      (
        await query<{ stream_key: string; rows_held: number }>(
          "select stream_key, rows_held from sync.streams order by stream_key",
        )
      ).map((r) => [r.stream_key, Number(r.rows_held)]),
    );
  const counted = async () =>
    Object.fromEntries(
      (
        await query<{ stream_key: string; n: number }>(
          "select s.stream_key, count(e.event_key)::int as n from sync.streams s left join yandex_direct.events e using (stream_id) group by 1 order by 1",
        )
      ).map((r) => [r.stream_key, r.n]),
    );

  it("counts inserted rows, not duplicates, and goes down when rows are deleted", async () => {
    const before = await counted();
    await insertEvent("client-b", "2026-03-03T10:00:00Z", "MoneyOut", "00000000-0000-4000-8000-000000000003");
    await insertEvent("client-b", "2026-03-03T10:00:00Z", "MoneyOut", "00000000-0000-4000-8000-000000000003"); // a duplicate
    await insertEvent("client-b", "2026-03-03T11:00:00Z", "MoneyWarning", "00000000-0000-4000-8000-000000000004");
    expect(await held()).toEqual({ ...before, "client-b": (before["client-b"] ?? 0) + 2 });
    expect(await held()).toEqual(await counted());
    await query("delete from yandex_direct.events where event_key = '00000000-0000-4000-8000-000000000004'");
    expect(await held()).toEqual(await counted());
    expect((await held())["client-b"]).toBe((before["client-b"] ?? 0) + 1);
    const freshness = await query<{ stream: string; rows_held: string }>(
      "select stream, rows_held from sync.stream_freshness order by stream",
    );
    expect(Object.fromEntries(freshness.map((r) => [r.stream, Number(r.rows_held)]))).toEqual(await counted());
  });
});
