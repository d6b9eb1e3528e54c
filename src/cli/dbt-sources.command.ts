/**
 * `eventlog-sync dbt-sources`: a dbt `sources.yml` for the product's schemas, written from the warehouse's own
 * comments: every table and view with its description and columns, and `loaded_at_field` with `freshness` on
 * every table that records when its rows were loaded (the event tables). Never migrates: it describes what is
 * there (options and help: commands.definitions.ts).
 */
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import { type CatalogRelation, type CatalogSchema, describeSchemas } from "../warehouse/catalog.repository.js";
import type { CommandContext } from "./command.context.js";
import { commandWarehouse } from "./warehouse.settings.js";
import { withWarehouse } from "./warehouse.session.js";
import { warehouseVersion } from "./warehouse.version.js";

/** The schemas analysts read: one per source and the bookkeeping. */
export const DBT_SCHEMAS = ["altcraft", "yandex_direct", "sync"] as const;

/** The column that says when a row was loaded; a table with it gets dbt freshness. */
export const LOADED_AT = "loaded_at";

/** Freshness of the event tables: the job runs every few minutes, so a day without a load is an error. */
export const FRESHNESS = {
  warn_after: { count: 6, period: "hour" },
  error_after: { count: 24, period: "hour" },
} as const;

const described = (description: string | null) => (description ? { description } : {});

function sourceTable(relation: CatalogRelation) {
  const loaded = relation.kind === "table" && relation.columns.some((c) => c.name === LOADED_AT);
  return {
    name: relation.name,
    ...described(relation.description),
    ...(loaded ? { loaded_at_field: LOADED_AT, freshness: FRESHNESS } : {}),
    columns: relation.columns.map((c) => ({ name: c.name, data_type: c.type, ...described(c.description) })),
  };
}

/** The dbt sources document (version 2) of the given schemas. */
export function dbtSources(schemas: readonly CatalogSchema[]) {
  return {
    version: 2,
    sources: schemas.map((schema) => ({
      name: schema.name,
      schema: schema.name,
      ...described(schema.description),
      tables: schema.relations.map(sourceTable),
    })),
  };
}

/** The document as YAML, headed by how it was made. */
export function dbtSourcesYaml(schemas: readonly CatalogSchema[]): string {
  const head = "# dbt sources for the eventlog-sync warehouse, from its comments: eventlog-sync dbt-sources\n";
  return head + stringify(dbtSources(schemas), { lineWidth: 0, aliasDuplicateObjects: false });
}

export async function runDbtSources(options: { config?: string; out?: string }, context: CommandContext) {
  await withWarehouse({ ...commandWarehouse(context, options.config), migrate: false }, async ({ warehouse }) => {
    const version = await warehouseVersion(warehouse.db);
    if (version.notice) process.stderr.write(`eventlog-sync: ${version.notice}\n`);
    if (version.empty) throw new Error(version.notice);
    const text = dbtSourcesYaml(await describeSchemas(warehouse.db, DBT_SCHEMAS));
    if (options.out) await writeFile(options.out, text);
    else process.stdout.write(text);
  });
}
