// loadBatch: a page's rows, rejects and cursor commit together or not at all, and a page loaded twice adds nothing.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoaderInputError } from "../../src/errors.js";
import { createRedactor } from "../../src/http/secrets.redactor.js";
import { pageRows } from "../../src/sync/altcraft.batches.js";
import { canonicalJson, streamIdentity } from "../../src/sync/event.identity.js";
import { snapshotOf, windowRows } from "../../src/sync/yandex-direct.jobs.js";
import {
  campaignLogTable,
  type YandexDirectEventRowInput,
  yandexDirectEventsTable,
} from "../../src/warehouse/copy.columns.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { startRun } from "../support/runs.js";
import { ensureStream, getStream } from "../../src/warehouse/streams.repository.js";
import { syntheticEvents } from "../support/synthetic-events.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";

let database: TestDatabase;
let runId: number;
beforeAll(async () => {
  database = await createTestDatabase();
  runId = await startRun(database.warehouse.db, "test");
});
afterAll(async () => {
  await database.drop();
});

async function newStream(key: string) {
  return ensureStream(database.warehouse.db, { source: "yandex_direct", account: "bench", streamKey: key });
}

async function count(table: string, streamId: number): Promise<number> {
  const r = await sql<{
    n: number;
  }>`select count(*)::int as n from ${sql.table(table)} where stream_id = ${streamId}`.execute(database.warehouse.db);
  return r.rows[0]?.n ?? -1;
}

async function streamRun(streamId: number) {
  return database.warehouse.db
    .selectFrom("sync.stream_runs")
    .selectAll()
    .where("stream_id", "=", streamId)
    .where("run_id", "=", runId)
    .executeTakeFirstOrThrow();
}

describe("loadBatch", () => {
  it("inserts a page, moves the cursor and counts, in one go", async () => {
    const stream = await newStream("first");
    const events = syntheticEvents(500, { login: stream.stream_key });
    const cursor = new Date("2026-01-01T00:08:19Z");
    const result = await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: stream.stream_id,
      runId,
      events,
      cursor,
      state: { windowSeconds: 3600 },
      counters: { requests: 2, retries: 1 },
    });
    expect(result).toEqual({ inserted: 500, duplicates: 0, rejects: 0 });
    expect(await count("yandex_direct.events", stream.stream_id)).toBe(500);
    const after = await getStream(database.warehouse.db, stream.stream_id);
    expect(after?.cursor?.toISOString()).toBe(cursor.toISOString());
    expect(after?.state).toEqual({ windowSeconds: 3600 });
    const counters = await streamRun(stream.stream_id);
    expect(counters).toMatchObject({
      requests: 2,
      retries: 1,
      batches: 1,
      events_fetched: 500,
      events_inserted: 500,
      events_duplicate: 0,
    });
  });

  it("only moves the cursor forward (a lookback re-read does not pull it back)", async () => {
    const stream = await newStream("forward");
    const later = new Date("2026-05-01T00:00:00Z");
    await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: stream.stream_id,
      runId,
      events: [],
      cursor: later,
    });
    await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: stream.stream_id,
      runId,
      events: [],
      cursor: new Date("2026-04-30T23:00:00Z"),
    });
    expect((await getStream(database.warehouse.db, stream.stream_id))?.cursor?.toISOString()).toBe(later.toISOString());
  });

  it("adds nothing when the same page is loaded twice", async () => {
    const stream = await newStream("twice");
    const events = syntheticEvents(300, { login: stream.stream_key });
    const page = { streamId: stream.stream_id, runId, events };
    expect(await loadBatch(database.warehouse.pool, yandexDirectEventsTable, page)).toMatchObject({
      inserted: 300,
      duplicates: 0,
    });
    expect(await loadBatch(database.warehouse.pool, yandexDirectEventsTable, page)).toMatchObject({
      inserted: 0,
      duplicates: 300,
    });
    expect(await count("yandex_direct.events", stream.stream_id)).toBe(300);
    expect(await streamRun(stream.stream_id)).toMatchObject({
      batches: 2,
      events_fetched: 600,
      events_inserted: 300,
      events_duplicate: 300,
    });
  });

  it("keeps identical but distinct events (occurrence 0 and 1) as two rows, and knows them again in another locale", async () => {
    const stream = await newStream("identical");
    // Rows built as the sync builds them: a snapshot of the response's items through windowRows, which
    // numbers identical items and keys them on the item without its locale-dependent descriptions.
    const item = {
      Timestamp: "2026-01-01T00:00:07",
      EventType: "MoneyIn",
      EventName: "Payment received",
      CampaignID: 1001,
      BannerID: 500001,
      Attributes: { Payed: 12.5, Currency: "RUB" },
    };
    const rowSettings = {
      keyPrefix: streamIdentity("yandex_direct", "bench", "identical"),
      account: "bench",
      login: "identical",
      zone: "+03:00",
      currency: "RUB",
      redact: createRedactor([]),
    };
    const rowsOf = (items: unknown[]) =>
      windowRows(
        snapshotOf(
          items,
          items.map(() => Date.parse("2026-01-01T00:00:07+03:00")),
          rowSettings,
        ),
        rowSettings,
      );
    const first = rowsOf([item, { ...item }]);
    expect(first.rejects).toEqual([]);
    expect(first.events.map((r) => r.occurrence)).toEqual([0, 1]);
    const result = await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: stream.stream_id,
      runId,
      events: first.events,
    });
    expect(result.inserted).toBe(2);
    const stored = await database.warehouse.db
      .selectFrom("yandex_direct.events")
      .select(["occurrence", "raw", "payed", "event_time", "event_name"])
      .where("stream_id", "=", stream.stream_id)
      .orderBy("occurrence")
      .execute();
    expect(stored.map((s) => s.occurrence)).toEqual([0, 1]);
    expect(stored[0]?.raw).toEqual(item);
    expect(canonicalJson(stored[0]?.raw)).toBe(canonicalJson(stored[1]?.raw));
    expect(stored[0]?.payed).toBe("12.5");
    expect(stored[0]?.event_time.toISOString()).toBe("2025-12-31T21:00:07.000Z");
    // The same two events read again with the descriptions in another locale: the same keys, nothing new.
    const again = rowsOf([
      { ...item, EventName: "Поступление средств" },
      { ...item, EventName: "Поступление средств" },
    ]);
    expect(again.events.map((r) => r.event_key)).toEqual(first.events.map((r) => r.event_key));
    expect(
      await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
        streamId: stream.stream_id,
        runId,
        events: again.events,
      }),
    ).toMatchObject({ inserted: 0, duplicates: 2 });
  });

  it("stores rejects with their payload and reason in the same transaction", async () => {
    const stream = await newStream("rejects");
    const payload = { EventType: "MoneyIn", Timestamp: 12 };
    const result = await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: stream.stream_id,
      runId,
      events: syntheticEvents(3, { login: stream.stream_key }),
      rejects: [{ reason: "Timestamp: expected a string", payload }],
    });
    expect(result).toEqual({ inserted: 3, duplicates: 0, rejects: 1 });
    const rejects = await database.warehouse.db
      .selectFrom("sync.rejects")
      .selectAll()
      .where("stream_id", "=", stream.stream_id)
      .execute();
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ reason: "Timestamp: expected a string", payload, run_id: runId });
    expect(await streamRun(stream.stream_id)).toMatchObject({ events_fetched: 4, rejects: 1 });
  });

  it("leaves neither rows nor a moved cursor when the transaction fails in the middle", async () => {
    const stream = await newStream("fails");
    const cursor = new Date("2025-06-01T00:00:00Z");
    await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: stream.stream_id,
      runId,
      events: [],
      cursor,
    });
    // The counters are the last statement of the transaction: events are in and the cursor has moved
    // by the time this trigger fails it.
    await sql`
      create function fail_counters() returns trigger language plpgsql as $$
      begin
        if new.stream_id = ${sql.lit(stream.stream_id)} and new.batches > 1 then raise exception 'simulated failure'; end if;
        return new;
      end $$;
      create trigger fail_counters before update on sync.stream_runs for each row execute function fail_counters();
    `.execute(database.warehouse.db);
    try {
      await expect(
        loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
          streamId: stream.stream_id,
          runId,
          events: syntheticEvents(200, { login: stream.stream_key }),
          rejects: [{ reason: "bad", payload: {} }],
          cursor: new Date("2026-02-01T00:00:00Z"),
        }),
      ).rejects.toThrow(/simulated failure/);
    } finally {
      await sql`drop trigger fail_counters on sync.stream_runs; drop function fail_counters()`.execute(
        database.warehouse.db,
      );
    }
    expect(await count("yandex_direct.events", stream.stream_id)).toBe(0);
    expect(await count("sync.rejects", stream.stream_id)).toBe(0);
    expect((await getStream(database.warehouse.db, stream.stream_id))?.cursor?.toISOString()).toBe(
      cursor.toISOString(),
    );
    // The pool is healthy afterwards: the next page goes in.
    const ok = await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: stream.stream_id,
      runId,
      events: syntheticEvents(5, { login: stream.stream_key }),
    });
    expect(ok.inserted).toBe(5);
  });

  it("refuses wrong input types with a clear error and writes nothing", async () => {
    const stream = await newStream("types");
    const good = syntheticEvents(3, { login: stream.stream_key });
    const cases: Array<[Partial<Record<keyof YandexDirectEventRowInput, unknown>>, RegExp]> = [
      [{ campaign_id: "abc" }, /row 1: column campaign_id expects an integer \(number or digit string\), got "abc"/],
      [
        { event_time: "2026-01-01T00:00:00Z" },
        /row 1: column event_time expects a valid Date, got "2026-01-01T00:00:00Z"/,
      ],
      [{ event_time: new Date("nonsense") }, /column event_time expects a valid Date, got an invalid Date/],
      [{ event_key: undefined }, /row 1: column event_key is required, got undefined/],
      [{ event_key: "not-a-uuid" }, /column event_key expects a UUID string/],
      [{ payed: "12,50" }, /column payed expects a decimal/],
      [{ is_edited_by_moderator: "Yes" }, /column is_edited_by_moderator expects a boolean, got "Yes"/],
      [{ finish_date: "01.02.2026" }, /column finish_date expects a YYYY-MM-DD string/],
      [{ occurrence: 1.5 }, /column occurrence expects a 32-bit integer/],
    ];
    for (const [patch, message] of cases) {
      const events = [good[0], { ...good[1], ...patch }, good[2]] as YandexDirectEventRowInput[];
      const attempt = loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
        streamId: stream.stream_id,
        runId,
        events,
        cursor: new Date(),
      });
      await expect(attempt).rejects.toThrow(LoaderInputError);
      await expect(attempt).rejects.toThrow(message);
    }
    await expect(
      loadBatch(database.warehouse.pool, yandexDirectEventsTable, { streamId: 0, runId, events: good }),
    ).rejects.toThrow(/streamId must be a positive integer, got 0/);
    await expect(
      loadBatch(database.warehouse.pool, yandexDirectEventsTable, { streamId: 987654, runId, events: [] }),
    ).rejects.toThrow(/no stream with stream_id 987654/);
    expect(await count("yandex_direct.events", stream.stream_id)).toBe(0);
    expect((await getStream(database.warehouse.db, stream.stream_id))?.cursor).toBeNull();
  });

  it("loads Altcraft campaign log rows, text with tabs, newlines and backslashes intact", async () => {
    const stream = await ensureStream(database.warehouse.db, { source: "altcraft", account: "main", streamKey: "7" });
    const raw = {
      level: "ERROR",
      message: "line 1\nline\t2 \\ end",
      time: "2026-01-01T00:00:00.123Z",
      state: "",
      value: "",
    };
    // Built as the sync builds an Altcraft page's rows: through pageRows, keyed on the row's canonical text.
    const { events, rejects } = pageRows(
      { rows: [raw], times: [Date.parse(raw.time)] },
      {
        keyPrefix: streamIdentity("altcraft", "main", "7"),
        account: "main",
        campaignId: 7,
        zone: "Z",
        startMs: 0,
        cursorBefore: Number.NEGATIVE_INFINITY,
        redact: createRedactor([]),
      },
    );
    expect(rejects).toEqual([]);
    const [row] = events;
    expect(row).toMatchObject({ campaign_id: 7, message: raw.message, occurrence: 0 });
    await loadBatch(database.warehouse.pool, campaignLogTable, { streamId: stream.stream_id, runId, events });
    const stored = await database.warehouse.db
      .selectFrom("altcraft.campaign_log")
      .selectAll()
      .where("stream_id", "=", stream.stream_id)
      .executeTakeFirstOrThrow();
    expect(stored.message).toBe(raw.message);
    expect(stored.raw).toEqual(raw);
    expect(stored.time.toISOString()).toBe(raw.time);
  });

  // Kills: the staging table made `on commit drop` again (one made and dropped per batch: its catalog rows written
  // and deleted every time) or `on commit preserve rows` (a batch's rows staged again with the next batch: its
  // counts of new events and duplicates go wrong).
  it("stages every batch of a connection in one temporary table, made once and emptied at each commit", async () => {
    const warehouse = openWarehouse(database.url, { maxConnections: 1 });
    try {
      const stream = await newStream("staged-once");
      const rows = syntheticEvents(30, { login: "staged-once" });
      const stagingTables = async () => {
        const { rows: found } = await warehouse.pool.query<{ oid: number; relname: string }>(
          "select oid::int, relname from pg_class where relnamespace = pg_my_temp_schema() and relname like 'stage%'",
        );
        return found;
      };
      const results = [];
      const seen = [];
      for (let i = 0; i < 3; i++) {
        results.push(
          await loadBatch(warehouse.pool, yandexDirectEventsTable, {
            streamId: stream.stream_id,
            runId,
            events: rows.slice(i * 10, i * 10 + 10),
          }),
        );
        seen.push(await stagingTables());
      }
      expect(results.map((r) => [r.inserted, r.duplicates])).toEqual([
        [10, 0],
        [10, 0],
        [10, 0],
      ]);
      // The same one table after every batch, on the pool's one connection, and empty between batches.
      expect(seen[0]).toHaveLength(1);
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[2]).toEqual(seen[0]);
      const name = seen[0]?.[0]?.relname ?? "";
      const { rows: left } = await warehouse.pool.query<{ n: number }>(`select count(*)::int as n from ${name}`);
      expect(left[0]?.n).toBe(0);
      expect(await count("yandex_direct.events", stream.stream_id)).toBe(30);
    } finally {
      await warehouse.close();
    }
  });
});
