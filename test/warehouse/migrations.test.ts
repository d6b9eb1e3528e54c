// Migrations apply once under a lock, type and comment every field, index what analysts ask, and revert completely.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDown, migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { createEmptyDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createEmptyDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function schemaSnapshot(): Promise<string[]> {
  const result = await sql<{ item: string }>`
    select table_schema || '.' || table_name || '.' || column_name || ':' || data_type as item
      from information_schema.columns
     where table_schema in ('sync', 'altcraft', 'yandex_direct')
     order by 1`.execute(database.warehouse.db);
  return result.rows.map((r) => r.item);
}

describe("migrations", () => {
  it("apply on an empty database, and a second time change nothing", async () => {
    const first = await migrateToLatest(database.warehouse.db);
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((r) => r.status === "Success")).toBe(true);
    const before = await schemaSnapshot();
    const second = await migrateToLatest(database.warehouse.db);
    expect(second).toEqual([]);
    expect(await schemaSnapshot()).toEqual(before);
  });

  it("are applied once when two processes migrate at the same time", async () => {
    await migrateDown(database.warehouse.db, Number.POSITIVE_INFINITY);
    const [a, b] = await Promise.all([migrateToLatest(database.warehouse.db), migrateToLatest(database.warehouse.db)]);
    expect(a.length + b.length).toBe(Math.max(a.length, b.length));
  });

  it("give every field of both seed documents a typed column", async () => {
    const columns = new Set(await schemaSnapshot());
    for (const expected of [
      "altcraft.campaign_log.time:timestamp with time zone",
      "altcraft.campaign_log.level:text",
      "altcraft.campaign_log.message:text",
      "altcraft.campaign_log.state:text",
      "altcraft.campaign_log.value:text",
      "altcraft.campaign_log.campaign_id:bigint",
      "yandex_direct.events.event_time:timestamp with time zone",
      "yandex_direct.events.event_type:text",
      "yandex_direct.events.event_name:text",
      "yandex_direct.events.account_id:bigint",
      "yandex_direct.events.campaign_id:bigint",
      "yandex_direct.events.banner_id:bigint",
      "yandex_direct.events.phrase_id:bigint",
      "yandex_direct.events.text_description:text",
      "yandex_direct.events.moderation_result:text",
      "yandex_direct.events.min_price:numeric",
      "yandex_direct.events.rest:numeric",
      "yandex_direct.events.payed:numeric",
      "yandex_direct.events.finish_date:date",
      "yandex_direct.events.old_place:text",
      "yandex_direct.events.is_edited_by_moderator:boolean",
      "yandex_direct.events.stop_time:timestamp with time zone",
      "yandex_direct.events.currency:text",
    ]) {
      expect(columns, expected).toContain(expected);
    }
    for (const table of ["altcraft.campaign_log", "yandex_direct.events"]) {
      for (const column of [
        "event_key:uuid",
        "occurrence:integer",
        "raw:jsonb",
        "stream_id:bigint",
        "run_id:bigint",
        "loaded_at:timestamp with time zone",
      ]) {
        expect(columns).toContain(`${table}.${column}`);
      }
    }
  });

  it("comment every table and column", async () => {
    const missing = await sql<{ item: string }>`
      select c.table_schema || '.' || c.table_name || '.' || c.column_name as item
        from information_schema.columns c
        join pg_class t on t.relname = c.table_name
        join pg_namespace n on n.oid = t.relnamespace and n.nspname = c.table_schema
       where c.table_schema in ('sync', 'altcraft', 'yandex_direct')
         and col_description(t.oid, c.ordinal_position) is null
      union all
      select n.nspname || '.' || t.relname
        from pg_class t join pg_namespace n on n.oid = t.relnamespace
       where n.nspname in ('sync', 'altcraft', 'yandex_direct') and t.relkind = 'r'
         and obj_description(t.oid, 'pg_class') is null`.execute(database.warehouse.db);
    expect(missing.rows.map((r) => r.item)).toEqual([]);
  });

  it("index what analysts ask: time, login + day, campaign + day, event type + day, a stream's newest event, runs by start", async () => {
    const result = await sql<{ indexdef: string }>`
      select indexdef from pg_indexes where schemaname in ('altcraft', 'yandex_direct')`.execute(database.warehouse.db);
    const defs = result.rows.map((r) => r.indexdef).join("\n");
    expect(defs).toMatch(/yandex_direct\.events USING btree \(event_time\)/);
    expect(defs).toMatch(/yandex_direct\.events USING btree \(account, login, event_time\)/);
    expect(defs).toMatch(/yandex_direct\.events USING btree \(login, day\)/);
    expect(defs).toMatch(/yandex_direct\.events USING btree \(campaign_id, day\)/);
    expect(defs).toMatch(/yandex_direct\.events USING btree \(event_type, day\)/);
    expect(defs).toMatch(/altcraft\.runs USING btree \(started_at\)/);
    expect(defs).toMatch(/altcraft\.campaign_log USING btree \(account, campaign_id, "time"\)/);
    expect(defs).toMatch(/altcraft\.campaign_log USING btree \("time"\)/);
  });

  it("revert completely with down", async () => {
    const reverted = await migrateDown(database.warehouse.db, Number.POSITIVE_INFINITY);
    expect(reverted.length).toBeGreaterThan(0);
    expect(await schemaSnapshot()).toEqual([]);
    const again = await migrateToLatest(database.warehouse.db);
    expect(again.length).toBe(reverted.length);
  });
});

describe("migrations/index.ts", () => {
  it("lists every migration file of the folder, in name order", async () => {
    const { readdir } = await import("node:fs/promises");
    const { migrations } = await import("../../migrations/index.js");
    const files = (await readdir(new URL("../../migrations/", import.meta.url)))
      .filter((f) => f.endsWith(".ts") && f !== "index.ts")
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    expect(Object.keys(migrations)).toEqual(files);
  });
});
