/**
 * The warehouse described by itself: the tables and views of the product's schemas with the comments the
 * migrations give them and their columns in order. What `eventlog-sync dbt-sources` turns into a dbt sources file.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "./warehouse.tables.js";

export interface CatalogColumn {
  name: string;
  type: string;
  description: string | null;
}

export interface CatalogRelation {
  schema: string;
  name: string;
  kind: "table" | "view";
  description: string | null;
  columns: CatalogColumn[];
}

export interface CatalogSchema {
  name: string;
  description: string | null;
  relations: CatalogRelation[];
}

interface ColumnRow {
  schema: string;
  relation: string;
  kind: string;
  relation_description: string | null;
  column: string;
  type: string;
  column_description: string | null;
}

/** The given schemas (those that exist), each with its tables and views (ordinary, partitioned, views, materialized). */
export async function describeSchemas(db: Kysely<Database>, schemas: readonly string[]): Promise<CatalogSchema[]> {
  const names = [...schemas];
  const described = await sql<{ name: string; description: string | null }>`
    select n.nspname as name, obj_description(n.oid, 'pg_namespace') as description
      from pg_namespace n where n.nspname = any(${names}::text[]) order by n.nspname`.execute(db);
  const columns = await sql<ColumnRow>`
    select n.nspname as schema, c.relname as relation, c.relkind as kind,
           obj_description(c.oid, 'pg_class') as relation_description,
           a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
           col_description(c.oid, a.attnum) as column_description
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where n.nspname = any(${names}::text[]) and c.relkind in ('r', 'p', 'v', 'm')
     order by n.nspname, c.relname, a.attnum`.execute(db);
  return described.rows.map((schema) => ({
    name: schema.name,
    description: schema.description,
    relations: relationsOf(columns.rows.filter((row) => row.schema === schema.name)),
  }));
}

function relationsOf(rows: readonly ColumnRow[]): CatalogRelation[] {
  const relations = new Map<string, CatalogRelation>();
  for (const row of rows) {
    let relation = relations.get(row.relation);
    if (!relation) {
      relation = {
        schema: row.schema,
        name: row.relation,
        kind: row.kind === "v" || row.kind === "m" ? "view" : "table",
        description: row.relation_description,
        columns: [],
      };
      relations.set(row.relation, relation);
    }
    relation.columns.push({ name: row.column, type: row.type, description: row.column_description });
  }
  return [...relations.values()];
}
