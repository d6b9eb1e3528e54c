/**
 * What `eventlog-sync demo` reads from the warehouse: whether earlier runs exist, and three example queries
 * an analyst would write against the views. The queries are shown to the user as written, so they are kept
 * here as text and run as is.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "./warehouse.tables.js";

/** How many runs the warehouse has recorded (0 on a fresh one). */
export async function countRuns(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom("sync.runs")
    .select(sql<number>`count(*)::int`.as("n"))
    .executeTakeFirstOrThrow();
  return row.n;
}

export interface ExampleQuery {
  title: string;
  sql: string;
}

export const EXAMPLE_QUERIES: readonly ExampleQuery[] = [
  {
    title: "Money credited per Yandex.Direct login and day (view yandex_direct.money_movements, last 7 days):",
    sql: `select login, day::text as day, currency, sum(money_in) as credited, sum(money_in_count) as payments
  from yandex_direct.money_movements
 where day > current_date - 7 and money_in_count > 0
 group by 1, 2, 3 order by 2 desc, 1 limit 8`,
  },
  {
    title: "Slowest Altcraft campaign runs (view altcraft.campaign_runs):",
    sql: `select campaign_id, campaign_name, started_at, duration_ms::bigint as duration_ms, warnings, errors
  from altcraft.campaign_runs
 where status = 'finished'
 order by duration_ms desc limit 5`,
  },
  {
    title: "Freshness of every stream (view sync.stream_freshness, most behind first):",
    sql: `select source, account, stream, status, lag_seconds, rows_held
  from sync.stream_freshness order by lag_seconds desc nulls first, 1, 2, 3 limit 8`,
  },
];

/** The rows of one example query, as the driver returns them. */
export async function runExampleQuery(
  db: Kysely<Database>,
  query: ExampleQuery,
): Promise<Array<Record<string, unknown>>> {
  return (await sql.raw<Record<string, unknown>>(query.sql).execute(db)).rows;
}
