// The exact text of the daemon's own metrics (every eventlog_sync_* line: HELP, TYPE and samples, in order),
// with the warehouse answering and with it down. Operators' dashboards and alerts key on these names, help
// texts and labels; only the values that depend on the clock (run timestamps, stream lag) are masked.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDaemonMetrics } from "../../src/daemon/daemon.metrics.js";
import { findFreePort } from "../../src/postgres/port.finder.js";
import type { RunSummary } from "../../src/sync/run-sync.engine.js";
import { yandexDirectEventsTable } from "../../src/warehouse/copy.columns.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { startRun } from "../support/runs.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/** The eventlog_sync_* lines of a page, clock-dependent values masked. */
function ownLines(text: string): string {
  return text
    .split("\n")
    .filter((line) => line.includes("eventlog_sync_"))
    .map((line) =>
      /^eventlog_sync_(last_run_timestamp_seconds|stream_lag_seconds)\{/.test(line)
        ? line.replace(/ \S+$/, " <clock>")
        : line,
    )
    .join("\n");
}

/** A metrics object after a partial run, a failed run, a skipped tick and a few requests. */
function exercised() {
  const metrics = createDaemonMetrics({
    accounts: [
      { source: "altcraft", account: "main" },
      { source: "yandex_direct", account: "agency" },
    ],
  });
  const stream = (source: string, account: string, streamKey: string, inserted: number) => ({
    identity: { source, account, streamKey },
    status: "succeeded",
    inserted,
    duplicates: 1,
    rejects: 2,
    pages: 1,
    requests: 1,
    retries: 0,
    cursor: null,
  });
  metrics.recordRun(
    {
      runId: 1,
      status: "partial",
      streams: [stream("altcraft", "main", "42", 5), stream("yandex_direct", "agency", "client-1", 7)],
      accounts: [],
    } as unknown as RunSummary,
    12.5,
  );
  metrics.recordFailedRun();
  metrics.recordSkippedTick();
  metrics.setRunning(true);
  const observer = metrics.requestObserver("yandex_direct", "agency");
  observer.request("ok", 0.02);
  observer.request("quota", 0.3);
  observer.retry();
  observer.units?.({ spent: 10, remaining: 90, daily: 100 });
  return metrics;
}

describe("the text of the daemon's metrics", () => {
  it("names, helps and labels every family the same way, with the warehouse's stream gauges", async () => {
    // Kills: a renamed metric, a changed help text or label, families served in another order, a stream
    // gauge left out, the rows-loaded counter of a known stream not served at 0.
    const db = database.warehouse.db;
    const gapped = await ensureStream(db, { source: "yandex_direct", account: "agency", streamKey: "client-2" });
    await ensureStream(db, { source: "altcraft", account: "main", streamKey: "42" });
    const runId = await startRun(db, "test");
    const gap = { kind: "stepped" as const, until: null, reason: "the server gave 5 rows of one millisecond" };
    await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
      streamId: gapped.stream_id,
      runId,
      events: [],
      gaps: [
        { ...gap, at: new Date("2026-03-01T20:00:00Z"), unread: 12 },
        { ...gap, at: new Date("2026-03-01T20:00:01Z"), unread: null },
      ],
    });
    const text = ownLines(await exercised().render(database.warehouse));
    expect(text).toBe(EXPECTED_UP);
  });

  it("serves the rest with eventlog_sync_warehouse_up 0 when the warehouse does not answer", async () => {
    // Kills: failing the whole scrape when the warehouse is down, or serving empty stream gauges then.
    const down = openWarehouse(`postgres://nobody:none@127.0.0.1:${await findFreePort()}/none`, {
      connectTimeoutMs: 2_000,
    });
    try {
      const text = ownLines(await exercised().render(down));
      expect(text).toBe(EXPECTED_DOWN);
    } finally {
      await down.close();
    }
  });
});

const EXPECTED_UP = `# HELP eventlog_sync_runs_total Runs finished by this process, by status.
# TYPE eventlog_sync_runs_total counter
eventlog_sync_runs_total{status="succeeded"} 0
eventlog_sync_runs_total{status="partial"} 1
eventlog_sync_runs_total{status="failed"} 1
eventlog_sync_runs_total{status="interrupted"} 0
# HELP eventlog_sync_skipped_ticks_total Schedule ticks skipped because the previous run was still going.
# TYPE eventlog_sync_skipped_ticks_total counter
eventlog_sync_skipped_ticks_total 1
# HELP eventlog_sync_events_loaded_total Events inserted by this process, by source.
# TYPE eventlog_sync_events_loaded_total counter
eventlog_sync_events_loaded_total{source="altcraft"} 5
eventlog_sync_events_loaded_total{source="yandex_direct"} 7
# HELP eventlog_sync_events_duplicate_total Events skipped as already held, by source.
# TYPE eventlog_sync_events_duplicate_total counter
eventlog_sync_events_duplicate_total{source="altcraft"} 1
eventlog_sync_events_duplicate_total{source="yandex_direct"} 1
# HELP eventlog_sync_rejects_total Records rejected by validation, by source.
# TYPE eventlog_sync_rejects_total counter
eventlog_sync_rejects_total{source="altcraft"} 2
eventlog_sync_rejects_total{source="yandex_direct"} 2
# HELP eventlog_sync_stream_rows_loaded_total Event rows inserted into the warehouse by this process, by stream (duplicates not counted).
# TYPE eventlog_sync_stream_rows_loaded_total counter
eventlog_sync_stream_rows_loaded_total{source="altcraft",account="main",stream="42"} 5
eventlog_sync_stream_rows_loaded_total{source="yandex_direct",account="agency",stream="client-1"} 7
eventlog_sync_stream_rows_loaded_total{source="yandex_direct",account="agency",stream="client-2"} 0
# HELP eventlog_sync_requests_total API requests made by this process (every attempt, campaign listings included), by source and account.
# TYPE eventlog_sync_requests_total counter
eventlog_sync_requests_total{source="altcraft",account="main"} 0
eventlog_sync_requests_total{source="yandex_direct",account="agency"} 2
# HELP eventlog_sync_retries_total API requests that were retries, by source and account.
# TYPE eventlog_sync_retries_total counter
eventlog_sync_retries_total{source="altcraft",account="main"} 0
eventlog_sync_retries_total{source="yandex_direct",account="agency"} 1
# HELP eventlog_sync_quota_hits_total API requests refused because a quota (daily limit, points, tariff) was spent, by source and account.
# TYPE eventlog_sync_quota_hits_total counter
eventlog_sync_quota_hits_total{source="altcraft",account="main"} 0
eventlog_sync_quota_hits_total{source="yandex_direct",account="agency"} 1
# HELP eventlog_sync_api_units_spent_total Yandex.Direct API points spent by this process's listings of agency clients (Units header), by source and account.
# TYPE eventlog_sync_api_units_spent_total counter
eventlog_sync_api_units_spent_total{source="yandex_direct",account="agency"} 10
# HELP eventlog_sync_api_units_remaining Yandex.Direct API points left, as the last response with a Units header said, by source and account.
# TYPE eventlog_sync_api_units_remaining gauge
eventlog_sync_api_units_remaining{source="yandex_direct",account="agency"} 90
# HELP eventlog_sync_api_units_daily The daily Yandex.Direct API points limit, as the last response with a Units header said, by source and account.
# TYPE eventlog_sync_api_units_daily gauge
eventlog_sync_api_units_daily{source="yandex_direct",account="agency"} 100
# HELP eventlog_sync_request_duration_seconds How long each API request took, from sending it to reading its answer, by source and outcome.
# TYPE eventlog_sync_request_duration_seconds histogram
eventlog_sync_request_duration_seconds_bucket{le="0.005",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.01",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.025",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.05",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.1",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.25",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.5",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="1",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="2.5",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="5",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="10",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="30",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="60",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="120",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="+Inf",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_sum{source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_count{source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.005",source="yandex_direct",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.01",source="yandex_direct",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.025",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.05",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.1",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.25",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.5",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="1",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="2.5",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="5",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="10",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="30",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="60",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="120",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="+Inf",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_sum{source="yandex_direct",outcome="ok"} 0.02
eventlog_sync_request_duration_seconds_count{source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.005",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.01",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.025",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.05",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.1",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.25",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.5",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="1",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="2.5",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="5",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="10",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="30",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="60",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="120",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="+Inf",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_sum{source="yandex_direct",outcome="quota"} 0.3
eventlog_sync_request_duration_seconds_count{source="yandex_direct",outcome="quota"} 1
# HELP eventlog_sync_run_in_progress 1 while a run is going.
# TYPE eventlog_sync_run_in_progress gauge
eventlog_sync_run_in_progress 1
# HELP eventlog_sync_last_run_timestamp_seconds When the last run of this process with each status finished.
# TYPE eventlog_sync_last_run_timestamp_seconds gauge
eventlog_sync_last_run_timestamp_seconds{status="partial"} <clock>
eventlog_sync_last_run_timestamp_seconds{status="failed"} <clock>
# HELP eventlog_sync_last_run_duration_seconds How long the last run took (0 before the first).
# TYPE eventlog_sync_last_run_duration_seconds gauge
eventlog_sync_last_run_duration_seconds 12.5
# HELP eventlog_sync_warehouse_up 1 when the warehouse answered this scrape, 0 when it did not (the stream gauges are then left out).
# TYPE eventlog_sync_warehouse_up gauge
eventlog_sync_warehouse_up 1
# HELP eventlog_sync_streams Streams by the status of their last run.
# TYPE eventlog_sync_streams gauge
eventlog_sync_streams{status="new"} 2
# HELP eventlog_sync_stream_lag_seconds Seconds since each stream last completed a read (before its first: since it was first seen).
# TYPE eventlog_sync_stream_lag_seconds gauge
eventlog_sync_stream_lag_seconds{source="altcraft",account="main",stream="42"} <clock>
eventlog_sync_stream_lag_seconds{source="yandex_direct",account="agency",stream="client-2"} <clock>
# HELP eventlog_sync_stream_unread_events Events of a stream's open gaps whose size the server reported, summed (only streams with open gaps; gaps of unknown size are counted by eventlog_sync_stream_gaps).
# TYPE eventlog_sync_stream_unread_events gauge
eventlog_sync_stream_unread_events{source="yandex_direct",account="agency",stream="client-2"} 12
# HELP eventlog_sync_stream_gaps Open gaps of each stream (events the server would not give, or a shortfall its count reports), by whether their size is known.
# TYPE eventlog_sync_stream_gaps gauge
eventlog_sync_stream_gaps{source="altcraft",account="main",stream="42",count="known"} 0
eventlog_sync_stream_gaps{source="altcraft",account="main",stream="42",count="unknown"} 0
eventlog_sync_stream_gaps{source="yandex_direct",account="agency",stream="client-2",count="known"} 1
eventlog_sync_stream_gaps{source="yandex_direct",account="agency",stream="client-2",count="unknown"} 1`;
const EXPECTED_DOWN = `# HELP eventlog_sync_runs_total Runs finished by this process, by status.
# TYPE eventlog_sync_runs_total counter
eventlog_sync_runs_total{status="succeeded"} 0
eventlog_sync_runs_total{status="partial"} 1
eventlog_sync_runs_total{status="failed"} 1
eventlog_sync_runs_total{status="interrupted"} 0
# HELP eventlog_sync_skipped_ticks_total Schedule ticks skipped because the previous run was still going.
# TYPE eventlog_sync_skipped_ticks_total counter
eventlog_sync_skipped_ticks_total 1
# HELP eventlog_sync_events_loaded_total Events inserted by this process, by source.
# TYPE eventlog_sync_events_loaded_total counter
eventlog_sync_events_loaded_total{source="altcraft"} 5
eventlog_sync_events_loaded_total{source="yandex_direct"} 7
# HELP eventlog_sync_events_duplicate_total Events skipped as already held, by source.
# TYPE eventlog_sync_events_duplicate_total counter
eventlog_sync_events_duplicate_total{source="altcraft"} 1
eventlog_sync_events_duplicate_total{source="yandex_direct"} 1
# HELP eventlog_sync_rejects_total Records rejected by validation, by source.
# TYPE eventlog_sync_rejects_total counter
eventlog_sync_rejects_total{source="altcraft"} 2
eventlog_sync_rejects_total{source="yandex_direct"} 2
# HELP eventlog_sync_stream_rows_loaded_total Event rows inserted into the warehouse by this process, by stream (duplicates not counted).
# TYPE eventlog_sync_stream_rows_loaded_total counter
eventlog_sync_stream_rows_loaded_total{source="altcraft",account="main",stream="42"} 5
eventlog_sync_stream_rows_loaded_total{source="yandex_direct",account="agency",stream="client-1"} 7
# HELP eventlog_sync_requests_total API requests made by this process (every attempt, campaign listings included), by source and account.
# TYPE eventlog_sync_requests_total counter
eventlog_sync_requests_total{source="altcraft",account="main"} 0
eventlog_sync_requests_total{source="yandex_direct",account="agency"} 2
# HELP eventlog_sync_retries_total API requests that were retries, by source and account.
# TYPE eventlog_sync_retries_total counter
eventlog_sync_retries_total{source="altcraft",account="main"} 0
eventlog_sync_retries_total{source="yandex_direct",account="agency"} 1
# HELP eventlog_sync_quota_hits_total API requests refused because a quota (daily limit, points, tariff) was spent, by source and account.
# TYPE eventlog_sync_quota_hits_total counter
eventlog_sync_quota_hits_total{source="altcraft",account="main"} 0
eventlog_sync_quota_hits_total{source="yandex_direct",account="agency"} 1
# HELP eventlog_sync_api_units_spent_total Yandex.Direct API points spent by this process's listings of agency clients (Units header), by source and account.
# TYPE eventlog_sync_api_units_spent_total counter
eventlog_sync_api_units_spent_total{source="yandex_direct",account="agency"} 10
# HELP eventlog_sync_api_units_remaining Yandex.Direct API points left, as the last response with a Units header said, by source and account.
# TYPE eventlog_sync_api_units_remaining gauge
eventlog_sync_api_units_remaining{source="yandex_direct",account="agency"} 90
# HELP eventlog_sync_api_units_daily The daily Yandex.Direct API points limit, as the last response with a Units header said, by source and account.
# TYPE eventlog_sync_api_units_daily gauge
eventlog_sync_api_units_daily{source="yandex_direct",account="agency"} 100
# HELP eventlog_sync_request_duration_seconds How long each API request took, from sending it to reading its answer, by source and outcome.
# TYPE eventlog_sync_request_duration_seconds histogram
eventlog_sync_request_duration_seconds_bucket{le="0.005",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.01",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.025",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.05",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.1",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.25",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.5",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="1",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="2.5",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="5",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="10",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="30",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="60",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="120",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="+Inf",source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_sum{source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_count{source="altcraft",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.005",source="yandex_direct",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.01",source="yandex_direct",outcome="ok"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.025",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.05",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.1",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.25",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.5",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="1",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="2.5",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="5",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="10",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="30",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="60",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="120",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="+Inf",source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_sum{source="yandex_direct",outcome="ok"} 0.02
eventlog_sync_request_duration_seconds_count{source="yandex_direct",outcome="ok"} 1
eventlog_sync_request_duration_seconds_bucket{le="0.005",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.01",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.025",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.05",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.1",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.25",source="yandex_direct",outcome="quota"} 0
eventlog_sync_request_duration_seconds_bucket{le="0.5",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="1",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="2.5",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="5",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="10",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="30",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="60",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="120",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_bucket{le="+Inf",source="yandex_direct",outcome="quota"} 1
eventlog_sync_request_duration_seconds_sum{source="yandex_direct",outcome="quota"} 0.3
eventlog_sync_request_duration_seconds_count{source="yandex_direct",outcome="quota"} 1
# HELP eventlog_sync_run_in_progress 1 while a run is going.
# TYPE eventlog_sync_run_in_progress gauge
eventlog_sync_run_in_progress 1
# HELP eventlog_sync_last_run_timestamp_seconds When the last run of this process with each status finished.
# TYPE eventlog_sync_last_run_timestamp_seconds gauge
eventlog_sync_last_run_timestamp_seconds{status="partial"} <clock>
eventlog_sync_last_run_timestamp_seconds{status="failed"} <clock>
# HELP eventlog_sync_last_run_duration_seconds How long the last run took (0 before the first).
# TYPE eventlog_sync_last_run_duration_seconds gauge
eventlog_sync_last_run_duration_seconds 12.5
# HELP eventlog_sync_warehouse_up 1 when the warehouse answered this scrape, 0 when it did not (the stream gauges are then left out).
# TYPE eventlog_sync_warehouse_up gauge
eventlog_sync_warehouse_up 0`;
