/**
 * bench:loader — the loader against a raw COPY of the same rows into an identical table, in one run.
 *   npm run bench:loader -- [--events 300000] [--batch 5000]
 * Prints throughputs, their ratio (target ≥ 0.5), peak RSS, and the all-duplicates re-load throughput
 * (target: no slower than the first load). Then `--small-batches` batches (default 2,000) of 3 rows each, one per
 * stream as a round of as many streams stores them: ms per batch, and the rows the batches wrote into and deleted
 * from the catalog (pg_class, pg_attribute, pg_type, pg_depend; pg_stat_sys_tables), which autovacuum must then
 * clean. Prints; does not assert.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { from as copyFrom } from "pg-copy-streams";
import { encodeCopyChunks, NUL_FLAG_COLUMN } from "../../src/warehouse/copy.encoder.js";
import { yandexDirectEventsTable } from "../../src/warehouse/copy.columns.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { startRun } from "../support/runs.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { syntheticEvents } from "../support/synthetic-events.js";
import { numberArg, openBenchDatabase, peakRssMiB } from "./bench-database.js";

const events = numberArg("events", 300_000);
const batch = numberArg("batch", 5_000);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

const bench = await openBenchDatabase("eventlog_bench_loader");

const CATALOG = ["pg_class", "pg_attribute", "pg_type", "pg_depend"];

/** Rows inserted into and deleted from the catalog tables so far (statistics flushed first). */
async function catalogWrites(): Promise<{ inserted: number; deleted: number }> {
  await bench.warehouse.pool.query("select pg_stat_force_next_flush()").catch(() => undefined);
  const { rows } = await bench.warehouse.pool.query<{ inserted: string; deleted: string }>(
    "select sum(n_tup_ins) as inserted, sum(n_tup_del) as deleted from pg_stat_sys_tables where relname = any($1)",
    [CATALOG],
  );
  return { inserted: Number(rows[0]?.inserted ?? 0), deleted: Number(rows[0]?.deleted ?? 0) };
}

/** `count` batches of 3 new rows, each on a stream of its own, one after another. */
async function smallBatches(count: number, runId: number) {
  const { pool, db } = bench.warehouse;
  const streams: number[] = [];
  for (let i = 0; i < count; i++)
    streams.push(
      (await ensureStream(db, { source: "yandex_direct", account: "small", streamKey: `s-${i}` })).stream_id,
    );
  const rows = syntheticEvents(count * 3, { login: "small" });
  // A backend's statistics reach pg_stat_sys_tables within 10 s of its going idle (PGSTAT_IDLE_INTERVAL): wait.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const before = await catalogWrites();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await loadBatch(pool, yandexDirectEventsTable, {
      streamId: streams[i] as number,
      runId,
      events: rows.slice(i * 3, i * 3 + 3),
    });
  }
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const after = await catalogWrites();
  return {
    batches: count,
    ms,
    catalog: { inserted: after.inserted - before.inserted, deleted: after.deleted - before.deleted },
  };
}
const { pool, db } = bench.warehouse;
try {
  const runId = await startRun(db, "bench");
  const stream = await ensureStream(db, { source: "yandex_direct", account: "bench", streamKey: "client-1" });
  const rows = syntheticEvents(events, { login: "client-1" });
  const batches = Array.from({ length: Math.ceil(rows.length / batch) }, (_, i) =>
    rows.slice(i * batch, (i + 1) * batch),
  );
  console.log(
    `bench:loader — ${events.toLocaleString("en")} events in batches of ${batch.toLocaleString("en")}, on ${bench.where}`,
  );

  // An identical table: same columns, keys, indexes and foreign keys.
  await pool.query(`
    create table public.raw_events (like yandex_direct.events including all);
    alter table public.raw_events
      add foreign key (stream_id) references sync.streams (stream_id),
      add foreign key (run_id) references sync.runs (run_id),
      alter column stream_id set default ${stream.stream_id},
      alter column run_id set default ${runId};`);
  // The encoder ends each row with the flag of NUL characters replaced, as the loader's staging table takes it.
  const names = [...yandexDirectEventsTable.columns.map((c) => c.name), NUL_FLAG_COLUMN].join(", ");
  let started = performance.now();
  for (const part of batches) {
    const client = await pool.connect();
    try {
      await pipeline(
        Readable.from(encodeCopyChunks(yandexDirectEventsTable, part)),
        client.query(copyFrom(`copy public.raw_events (${names}) from stdin`)),
      );
    } finally {
      client.release();
    }
  }
  const rawMs = performance.now() - started;

  const loadAll = async () => {
    let inserted = 0;
    let duplicates = 0;
    const t0 = performance.now();
    for (const part of batches) {
      const last = part[part.length - 1];
      const result = await loadBatch(pool, yandexDirectEventsTable, {
        streamId: stream.stream_id,
        runId,
        events: part,
        ...(last ? { cursor: last.event_time } : {}),
      });
      inserted += result.inserted;
      duplicates += result.duplicates;
    }
    return { ms: performance.now() - t0, inserted, duplicates };
  };
  const first = await loadAll();
  const again = await loadAll();
  started = performance.now();

  const rawRate = rate(events, rawMs);
  const loaderRate = rate(events, first.ms);
  const againRate = rate(events, again.ms);
  console.log(
    `raw COPY into an identical table : ${rawRate.toLocaleString("en")} rows/s (${(rawMs / 1000).toFixed(1)} s)`,
  );
  console.log(
    `loader (new events)              : ${loaderRate.toLocaleString("en")} rows/s (${(first.ms / 1000).toFixed(1)} s; ${first.inserted} inserted, ${first.duplicates} duplicates)`,
  );
  console.log(`loader ÷ raw COPY                : ${(loaderRate / rawRate).toFixed(2)}   (target ≥ 0.50)`);
  console.log(
    `loader (all duplicates)          : ${againRate.toLocaleString("en")} rows/s (${(again.ms / 1000).toFixed(1)} s; ${again.inserted} inserted, ${again.duplicates} duplicates)`,
  );
  console.log(`duplicates ÷ first load          : ${(againRate / loaderRate).toFixed(2)}   (target ≥ 1.00)`);
  console.log(`peak RSS of this process         : ${peakRssMiB()} MiB`);

  const small = await smallBatches(numberArg("small-batches", 2_000), runId);
  console.log(
    `small batches (${small.batches.toLocaleString("en")} of 3 rows, each its stream's): ${(small.ms / small.batches).toFixed(2)} ms per batch; ` +
      `catalog rows written ${small.catalog.inserted.toLocaleString("en")}, deleted ${small.catalog.deleted.toLocaleString("en")}`,
  );
} finally {
  await bench.close();
}
