/**
 * bench:bookkeeping — how fast the bookkeeping grows for an agency with 1,000 client logins synced every 15
 * minutes by 4 copies, measured in a real PostgreSQL: one day of rows is written as the sync writes them
 * (cheap SQL with the same columns and values), then the tables' pg_total_relation_size (heap, indexes and
 * TOAST, after VACUUM) is read.
 *   npm run bench:bookkeeping -- [--logins 1000] [--copies 4] [--rounds 96] [--rejects 327846]
 * Prints the growth per day before (a stream run for every stream every copy skipped, every copy listing the
 * agency), after (no row for a skipped stream, one listing a round), and with the default retention (90 days);
 * the bytes per row of each table; and how long pruning one day of rows takes. Prints; does not assert.
 */
import { RETENTION_DEFAULTS } from "../../src/config/config.schema.js";
import { pruneBookkeeping } from "../../src/warehouse/bookkeeping.retention.js";
import { numberArg, openBenchDatabase } from "./bench-database.js";

const logins = numberArg("logins", 1000);
const copies = numberArg("copies", 4);
const rounds = numberArg("rounds", 96);
const badRunRejects = numberArg("rejects", 327_846);
const DAY = 86_400_000;
const TABLES = ["sync.runs", "sync.stream_runs", "yandex_direct.client_listings", "sync.rejects"] as const;
type Table = (typeof TABLES)[number];

const bench = await openBenchDatabase("eventlog_bench_bookkeeping");
const { pool } = bench.warehouse;
const client = await pool.connect();
await client.query("set statement_timeout = 0");
const q = (text: string, values: unknown[] = []) => client.query(text, values);

async function sizes(): Promise<Record<Table, { rows: number; bytes: number }>> {
  await q(`vacuum ${TABLES.join(", ")}`);
  const out = {} as Record<Table, { rows: number; bytes: number }>;
  for (const table of TABLES) {
    const r = await q(`select count(*)::bigint as n, pg_total_relation_size('${table}'::regclass) as b from ${table}`);
    out[table] = { rows: Number(r.rows[0].n), bytes: Number(r.rows[0].b) };
  }
  return out;
}

async function empty(): Promise<void> {
  await q("update sync.streams set last_run_id = null");
  await q("truncate sync.stream_runs, sync.rejects, yandex_direct.client_listings, sync.gaps");
  await q("delete from sync.runs");
}

/**
 * One day of rounds starting at `day`: every copy's run; each stream read by one copy (a succeeded stream run
 * with its counters and cursors), and skipped by the others when `skipped`; the agency listed by every copy
 * (`listingsPerRound` = copies) or by one.
 */
async function writeDay(day: Date, options: { skipped: boolean; listingsPerRound: number }): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const at = new Date(day.getTime() + (round * DAY) / rounds);
    const runs = await q(
      `insert into sync.runs (command, host, pid, started_at, finished_at, status)
       select 'daemon', 'eventlog-sync-' || c || '-7d9f8b6c5d-x2k4q', 1, $1::timestamptz + c * interval '1 second',
              $1::timestamptz + interval '3 minutes', 'succeeded'
         from generate_series(1, $2) c returning run_id`,
      [at, copies],
    );
    const ids = runs.rows.map((r: { run_id: number }) => Number(r.run_id));
    await q(
      `insert into sync.stream_runs (run_id, stream_id, started_at, finished_at, status, requests, retries, pages,
                                     events_fetched, events_inserted, events_duplicate, rejects, cursor_before, cursor_after, error)
       select r.run_id, s.stream_id, $2::timestamptz + interval '2 seconds', $2::timestamptz + interval '4 seconds',
              case when r.ord = 1 + (s.stream_id + $3) % $4 then 'succeeded' else 'skipped' end,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then 2 else 0 end, 0,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then 2 else 0 end,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then 3 else 0 end,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then 1 else 0 end,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then 2 else 0 end, 0,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then $2::timestamptz - interval '16 minutes' end,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then $2::timestamptz - interval '1 minute' end,
              case when r.ord = 1 + (s.stream_id + $3) % $4 then null else 'held by another process' end
         from sync.streams s, unnest($1::bigint[]) with ordinality r(run_id, ord)
        where $5 or r.ord = 1 + (s.stream_id + $3) % $4`,
      [ids, at, round, copies, options.skipped],
    );
    await q(
      `insert into yandex_direct.client_listings (run_id, account, started_at, finished_at, complete, pages, requests, clients, units_spent, units_remaining, units_daily)
       select r.run_id, 'agency', $2, $2::timestamptz + interval '1 second', true, 1, 1, $3, 10, 99000, 100000
         from unnest($1::bigint[]) r(run_id) limit $4`,
      [ids, at, logins, options.listingsPerRound],
    );
  }
}

const perDay = (s: Awaited<ReturnType<typeof sizes>>) => Object.values(s).reduce((a, t) => a + t.bytes, 0);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

try {
  await q(
    `insert into sync.streams (source, account, stream_key) select 'yandex_direct', 'agency', 'client-login-' || i from generate_series(1, $1) i`,
    [logins],
  );
  const day = new Date(Date.UTC(2026, 0, 1));
  console.log(
    `bench:bookkeeping — ${logins.toLocaleString("en")} logins, ${rounds} rounds a day, ${copies} copies, on ${bench.where}`,
  );

  await writeDay(day, { skipped: true, listingsPerRound: copies });
  const before = await sizes();
  await empty();
  await writeDay(day, { skipped: false, listingsPerRound: 1 });
  const after = await sizes();

  const row = (s: typeof before, t: Table) => (s[t].rows ? Math.round(s[t].bytes / s[t].rows) : 0);
  console.log("\nper day            rows before   bytes/row   before       rows after   bytes/row   after");
  for (const t of TABLES.slice(0, 3))
    console.log(
      `${t.padEnd(30)} ${String(before[t].rows).padStart(9)} ${String(row(before, t)).padStart(9)} ${mb(before[t].bytes).padStart(10)}   ${String(after[t].rows).padStart(9)} ${String(row(after, t)).padStart(9)} ${mb(after[t].bytes).padStart(10)}`,
    );
  console.log(
    `total per day: before ${mb(perDay(before))} (${gb(perDay(before) * 365)} a year, never pruned); after ${mb(perDay(after))}`,
  );
  const keptDays = RETENTION_DEFAULTS.streamRuns / DAY;
  console.log(
    `with the default retention (${keptDays} days): ${gb(perDay(after) * (keptDays + 1))} at most, reached after ${keptDays} days and then flat ` +
      `(${gb(perDay(before) * (keptDays + 1))} while skipped streams still get a row)`,
  );

  // Rejects: one bad server run's worth, each with a GetEventsLog record as payload.
  await empty();
  const runId = Number(
    (
      await q(
        `insert into sync.runs (command, host, pid, status) values ('daemon', 'h', 1, 'partial') returning run_id`,
      )
    ).rows[0].run_id,
  );
  await q(
    `insert into sync.rejects (stream_id, run_id, rejected_at, reason, payload, occurrence, reject_key)
     select (select min(stream_id) from sync.streams), $1, now(), 'Timestamp: expected a time such as 2026-01-01T00:00:00, got "2026-13-45"',
            jsonb_build_object('Timestamp', '2026-13-45', 'EventType', 'MoneyIn', 'EventName', 'Payment received',
                               'CampaignID', 1000 + i % 50, 'BannerID', 500000 + i, 'TextDescription', 'Payment of ' || i || ' received',
                               'Attributes', jsonb_build_object('Payed', i % 10000, 'Currency', 'RUB')),
            i, gen_random_uuid()
       from generate_series(1, $2) i`,
    [runId, badRunRejects],
  );
  const rejects = (await sizes())["sync.rejects"];
  console.log(
    `\nsync.rejects: one bad run of ${rejects.rows.toLocaleString("en")} rejects = ${mb(rejects.bytes)} (${Math.round(rejects.bytes / rejects.rows)} bytes/row); kept ${RETENTION_DEFAULTS.rejects / DAY} days by default, forever before`,
  );

  // Pruning: two days written, the older one past its retention, pruned as the job prunes it.
  await empty();
  await writeDay(day, { skipped: false, listingsPerRound: 1 });
  await writeDay(new Date(day.getTime() + DAY), { skipped: false, listingsPerRound: 1 });
  await q("update sync.streams set last_run_id = (select max(run_id) from sync.runs)");
  const started = performance.now();
  const pruned = await pruneBookkeeping(bench.warehouse.db, RETENTION_DEFAULTS, {
    now: new Date(day.getTime() + DAY + RETENTION_DEFAULTS.runs),
  });
  const seconds = (performance.now() - started) / 1000;
  const rowsPruned = Object.values(pruned).reduce((a, b) => a + b, 0);
  console.log(
    `pruning one day of rows (${rowsPruned.toLocaleString("en")}: ${JSON.stringify(pruned)}) in batches of ${RETENTION_DEFAULTS.batchSize}: ${seconds.toFixed(1)} s`,
  );
} finally {
  client.release();
  await bench.close();
}
