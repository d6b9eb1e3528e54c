// sync.stream_runs counts the batches a stream run stored (one per transaction) in `batches`; the migration that
// renamed it from `pages` keeps the counts both ways.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../../migrations/index.js";
import { yandexDirectEventsTable } from "../../src/warehouse/copy.columns.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { migrateDown, migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { startRun } from "../support/runs.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { syntheticEvents } from "../support/synthetic-events.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const MIGRATION = "2026-12-03T1500_stream-run-batches";

let own: TestDatabase;
beforeAll(async () => {
  own = await createTestDatabase();
});
afterAll(async () => {
  await own?.drop();
});

/** The counter column of sync.stream_runs (`batches` or `pages`), its value for the run, and its comment. */
async function counter(runId: number): Promise<{ column: string; value: number; comment: string | null }> {
  const { rows } = await own.warehouse.pool.query<{ column: string; comment: string | null }>(
    `select a.attname as column, col_description(a.attrelid, a.attnum) as comment from pg_attribute a
      where a.attrelid = 'sync.stream_runs'::regclass and a.attname in ('batches', 'pages') and not a.attisdropped`,
  );
  expect(rows).toHaveLength(1);
  const { column, comment } = rows[0] ?? { column: "", comment: null };
  const value = await own.warehouse.pool.query<{ n: number }>(
    `select ${column} as n from sync.stream_runs where run_id = $1`,
    [runId],
  );
  return { column, value: value.rows[0]?.n ?? -1, comment };
}

describe("sync.stream_runs.batches", () => {
  it("counts each batch the loader stores, and keeps the count through the migration's down and up", async () => {
    // Kills: a migration that drops the old column and adds a new one (the counts lost), a down that does not
    // rename it back, and a loader still counting into `pages`.
    const { db, pool } = own.warehouse;
    const stream = await ensureStream(db, { source: "yandex_direct", account: "batches", streamKey: "client-1" });
    const runId = await startRun(db, "test");
    for (const offset of [0, 10, 20]) {
      const events = syntheticEvents(10, { login: "client-1", offset });
      await loadBatch(pool, yandexDirectEventsTable, { streamId: stream.stream_id, runId, events, rejects: [] });
    }
    expect(await counter(runId)).toMatchObject({ column: "batches", value: 3 });
    expect((await counter(runId)).comment).toMatch(/^Batches stored/);
    const later = Object.keys(migrations).filter((name) => name > MIGRATION).length;
    expect((await migrateDown(db, later + 1)).at(-1)?.migrationName).toBe(MIGRATION);
    expect(await counter(runId)).toEqual({ column: "pages", value: 3, comment: "Pages (API responses) loaded" });
    await migrateToLatest(db);
    expect(await counter(runId)).toMatchObject({ column: "batches", value: 3 });
  }, 60_000);
});
