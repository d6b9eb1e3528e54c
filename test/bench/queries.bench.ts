/**
 * bench:queries — the README's queries for BI tools on a warehouse of 1,000,000 Yandex.Direct events and
 * 100,000 Altcraft log rows spread over two years.
 *   npm run bench:queries -- [--events 1000000] [--log-rows 100000] [--repeat 5]
 * Prints each query's median time over the repeats (target: under 100 ms each) and whether its plan reads
 * an event table from end to end. Prints; does not assert.
 */
import { readFile } from "node:fs/promises";
import { eventTablesScanned, fillAnalystData } from "../support/analyst-data.js";
import { readmeQueries } from "../support/readme.js";
import { numberArg, openBenchDatabase } from "./bench-database.js";

const events = numberArg("events", 1_000_000);
const logRows = numberArg("log-rows", 100_000);
const repeat = numberArg("repeat", 5);
const queries = readmeQueries(
  await readFile(new URL("../../README.md", import.meta.url), "utf8"),
  "Querying from BI tools",
);

const bench = await openBenchDatabase("eventlog_bench_queries");
try {
  const { pool } = bench.warehouse;
  let started = performance.now();
  await fillAnalystData(pool, { events, logRows });
  console.log(
    `bench:queries — ${events.toLocaleString("en")} events, ${logRows.toLocaleString("en")} campaign-log rows (generated in ${((performance.now() - started) / 1000).toFixed(0)} s), on ${bench.where}`,
  );
  const client = await pool.connect();
  try {
    await client.query("set statement_timeout = 0");
    for (const { title, sql } of queries) {
      await client.query(sql); // warm the cache, as a dashboard refreshed twice would
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < repeat; i++) {
        started = performance.now();
        rows = (await client.query(sql)).rowCount ?? 0;
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const scanned = await eventTablesScanned(client, sql);
      const median = times[Math.floor(times.length / 2)]!;
      console.log(
        `  ${median.toFixed(1).padStart(7)} ms  ${String(rows).padStart(6)} rows  ${median < 100 ? "ok  " : "SLOW"}${scanned.length ? ` full scan of ${scanned.join(", ")}` : ""}  ${title}`,
      );
    }
  } finally {
    client.release();
  }
} finally {
  await bench.close();
}
