// The dbt sources file stays true to the warehouse: deploy/dbt/sources.yml is what `eventlog-sync dbt-sources`
// writes for a migrated warehouse; parsed, it lists every table and view of the product's schemas with every
// column in order (read independently from information_schema); every one of them has a description from the
// warehouse's comments; the event tables carry loaded_at_field and freshness. Kills: a stale file (a migration
// that adds a column), a column without a comment, a relation left out, freshness dropped.
import { readFile } from "node:fs/promises";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DBT_SCHEMAS, dbtSourcesYaml, FRESHNESS } from "../../src/cli/dbt-sources.command.js";
import { describeSchemas } from "../../src/warehouse/catalog.repository.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const FILE = new URL("../../deploy/dbt/sources.yml", import.meta.url);

interface Source {
  name: string;
  schema: string;
  description?: string;
  tables: Array<{
    name: string;
    description?: string;
    loaded_at_field?: string;
    freshness?: unknown;
    columns: Array<{ name: string; data_type: string; description?: string }>;
  }>;
}

let database: TestDatabase;
let written: string;
beforeAll(async () => {
  database = await createTestDatabase();
  written = dbtSourcesYaml(await describeSchemas(database.warehouse.db, DBT_SCHEMAS));
});
afterAll(async () => {
  await database?.drop();
});

describe("dbt sources", () => {
  it("deploy/dbt/sources.yml is what eventlog-sync dbt-sources writes for this warehouse", async () => {
    const kept = await readFile(FILE, "utf8");
    expect(kept, "regenerate it: npx eventlog-sync dbt-sources --out deploy/dbt/sources.yml").toBe(written);
  });

  it("lists every table and view of the product's schemas with every column, in order", async () => {
    const { sources } = parse(written) as { sources: Source[] };
    const live = await sql<{ schema: string; relation: string; column: string }>`
      select c.table_schema as schema, c.table_name as relation, c.column_name as column
        from information_schema.columns c
       where c.table_schema in ('altcraft', 'yandex_direct', 'sync')
       order by c.table_schema, c.table_name, c.ordinal_position`.execute(database.warehouse.db);
    const listed = sources.flatMap((s) =>
      s.tables.flatMap((t) => t.columns.map((c) => ({ schema: s.schema, relation: t.name, column: c.name }))),
    );
    expect(live.rows.length).toBeGreaterThan(100);
    expect(listed).toEqual(live.rows);
  });

  it("describes every schema, table, view and column from the warehouse's comments", () => {
    const { sources } = parse(written) as { sources: Source[] };
    const undescribed = sources.flatMap((s) => [
      ...(s.description ? [] : [s.name]),
      ...s.tables.flatMap((t) => [
        ...(t.description ? [] : [`${s.name}.${t.name}`]),
        ...t.columns.filter((c) => !c.description).map((c) => `${s.name}.${t.name}.${c.name}`),
      ]),
    ]);
    expect(undescribed).toEqual([]);
  });

  it("gives the event tables loaded_at_field and freshness, and nothing else", () => {
    const { sources } = parse(written) as { sources: Source[] };
    const fresh = sources.flatMap((s) => s.tables.filter((t) => t.freshness).map((t) => `${s.name}.${t.name}`));
    expect(fresh.sort()).toEqual(["altcraft.campaign_log", "yandex_direct.events"]);
    const events = sources.find((s) => s.name === "yandex_direct")?.tables.find((t) => t.name === "events");
    expect(events).toMatchObject({ loaded_at_field: "loaded_at", freshness: FRESHNESS });
  });
});
