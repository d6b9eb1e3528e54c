/**
 * A row of `sync.runs` for tests that call the loader or the repositories without a whole run (the product
 * opens a run with `beginRun`, src/warehouse/run.lease.ts, which also holds its lease).
 */
import { hostname } from "node:os";
import type { Kysely } from "kysely";
import type { Database } from "../../src/warehouse/warehouse.tables.js";

/** Records the start of a run, with no lease behind it, and returns its id. */
export async function startRun(db: Kysely<Database>, command: string): Promise<number> {
  const row = await db
    .insertInto("sync.runs")
    .values({ command, host: hostname(), pid: process.pid, finished_at: null, error: null })
    .returning("run_id")
    .executeTakeFirstOrThrow();
  return row.run_id;
}
