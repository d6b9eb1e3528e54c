/**
 * The daemon's metrics, served in the Prometheus text format from a registry of its own (nothing is put in
 * prom-client's global registry):
 * - process and Node runtime metrics (prom-client's default collectors: CPU, memory, heap, event loop lag,
 *   GC, handles, file descriptors);
 * - counters of this process: runs, skipped ticks, events, rejects, rows loaded per stream; requests,
 *   retries and quota hits per account; request latency per source and outcome;
 * - gauges read from the warehouse at each scrape: streams by status, freshness lag, unread events and open
 *   gaps per stream (retired streams left out). When the warehouse does not answer, the rest is still served,
 *   `eventlog_sync_warehouse_up` is 0 and these gauges are left out.
 * Counters whose labels are known are served at 0 from the start: per run status, per configured source
 * and account, and per stream once the warehouse knows it.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Config } from "../config/config.schema.js";
import type { RequestObserver } from "../http/with-retries.js";
import type { RunSummary } from "../sync/run-sync.js";
import type { Warehouse } from "../warehouse/database.js";
import { streamGauges } from "../warehouse/stream-gauges.repository.js";
import { PROBE_TIMEOUT_MS, withinDeadline } from "./warehouse-probe.js";

export interface DaemonMetrics {
  /** Adds a finished run to the counters. */
  recordRun(summary: RunSummary, seconds: number): void;
  /** Counts a run that failed before it could start its streams (e.g. the database was down). */
  recordFailedRun(): void;
  recordSkippedTick(): void;
  setRunning(running: boolean): void;
  /** The observer of one account's requests (latency, retries, quota hits): runSync's `requests`. */
  requestObserver(source: string, account: string): RequestObserver;
  /** The Content-Type of the text served at /metrics. */
  readonly contentType: string;
  /** The text served at /metrics. */
  render(warehouse: Warehouse): Promise<string>;
}

/** An account of a source, as the labels of its counters. */
export interface AccountLabels {
  source: string;
  account: string;
}

export interface DaemonMetricsOptions {
  /** The configured accounts: their counters are served at 0 before their first request. Default: none. */
  accounts?: readonly AccountLabels[];
}

/** The accounts of `config`, for DaemonMetricsOptions.accounts. */
export function configuredAccounts(config: Pick<Config, "sources">): AccountLabels[] {
  return [
    ...(config.sources.altcraft?.accounts ?? []).map((a) => ({ source: "altcraft", account: a.name })),
    ...(config.sources.yandex_direct?.accounts ?? []).map((a) => ({ source: "yandex_direct", account: a.name })),
  ];
}

/** The statuses a run of this process ends with. */
const RUN_STATUSES = ["succeeded", "partial", "failed", "interrupted"] as const;

/** Latency buckets, seconds: from a nearby simulator (ms) to a slow API answering near its timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createDaemonMetrics(options: DaemonMetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const runs = new Counter({
    name: "eventlog_sync_runs_total",
    help: "Runs finished by this process, by status.",
    labelNames: ["status"],
    registers,
  });
  const skipped = new Counter({
    name: "eventlog_sync_skipped_ticks_total",
    help: "Schedule ticks skipped because the previous run was still going.",
    registers,
  });
  const events = new Counter({
    name: "eventlog_sync_events_loaded_total",
    help: "Events inserted by this process, by source.",
    labelNames: ["source"],
    registers,
  });
  const duplicates = new Counter({
    name: "eventlog_sync_events_duplicate_total",
    help: "Events skipped as already held, by source.",
    labelNames: ["source"],
    registers,
  });
  const rejects = new Counter({
    name: "eventlog_sync_rejects_total",
    help: "Records rejected by validation, by source.",
    labelNames: ["source"],
    registers,
  });
  const rowsLoaded = new Counter({
    name: "eventlog_sync_stream_rows_loaded_total",
    help: "Event rows inserted into the warehouse by this process, by stream (duplicates not counted).",
    labelNames: ["source", "account", "stream"],
    registers,
  });
  const requests = new Counter({
    name: "eventlog_sync_requests_total",
    help: "API requests made by this process (every attempt, campaign listings included), by source and account.",
    labelNames: ["source", "account"],
    registers,
  });
  const retries = new Counter({
    name: "eventlog_sync_retries_total",
    help: "API requests that were retries, by source and account.",
    labelNames: ["source", "account"],
    registers,
  });
  const quotaHits = new Counter({
    name: "eventlog_sync_quota_hits_total",
    help: "API requests refused because a quota (daily limit, points, tariff) was spent, by source and account.",
    labelNames: ["source", "account"],
    registers,
  });
  const unitsSpent = new Counter({
    name: "eventlog_sync_api_units_spent_total",
    help: "Yandex.Direct API points spent by this process's listings of agency clients (Units header), by source and account.",
    labelNames: ["source", "account"],
    registers,
  });
  const unitsLeft = new Gauge({
    name: "eventlog_sync_api_units_remaining",
    help: "Yandex.Direct API points left, as the last response with a Units header said, by source and account.",
    labelNames: ["source", "account"],
    registers,
  });
  const unitsDaily = new Gauge({
    name: "eventlog_sync_api_units_daily",
    help: "The daily Yandex.Direct API points limit, as the last response with a Units header said, by source and account.",
    labelNames: ["source", "account"],
    registers,
  });
  const latency = new Histogram({
    name: "eventlog_sync_request_duration_seconds",
    help: "How long each API request took, from sending it to reading its answer, by source and outcome.",
    labelNames: ["source", "outcome"],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const running = new Gauge({ name: "eventlog_sync_run_in_progress", help: "1 while a run is going.", registers });
  const lastRun = new Gauge({
    name: "eventlog_sync_last_run_timestamp_seconds",
    help: "When the last run of this process with each status finished.",
    labelNames: ["status"],
    registers,
  });
  const lastDuration = new Gauge({
    name: "eventlog_sync_last_run_duration_seconds",
    help: "How long the last run took (0 before the first).",
    registers,
  });

  for (const status of RUN_STATUSES) runs.inc({ status }, 0);
  for (const source of new Set((options.accounts ?? []).map((a) => a.source))) {
    for (const counter of [events, duplicates, rejects]) counter.inc({ source }, 0);
    latency.zero({ source, outcome: "ok" });
  }
  for (const { source, account } of options.accounts ?? []) {
    for (const counter of [requests, retries, quotaHits]) counter.inc({ source, account }, 0);
  }

  return {
    recordRun(summary, seconds) {
      runs.inc({ status: summary.status });
      lastRun.set({ status: summary.status }, Date.now() / 1000);
      lastDuration.set(seconds);
      for (const s of summary.streams) {
        const source = { source: s.identity.source };
        events.inc(source, s.inserted);
        duplicates.inc(source, s.duplicates);
        rejects.inc(source, s.rejects);
        rowsLoaded.inc({ ...source, account: s.identity.account, stream: s.identity.streamKey }, s.inserted);
      }
    },
    recordFailedRun: () => {
      runs.inc({ status: "failed" });
      lastRun.set({ status: "failed" }, Date.now() / 1000);
    },
    recordSkippedTick: () => skipped.inc(),
    setRunning: (value) => running.set(value ? 1 : 0),
    requestObserver(source, account) {
      const labels = { source, account };
      return {
        request(outcome, seconds) {
          requests.inc(labels);
          latency.observe({ source, outcome }, seconds);
          if (outcome === "quota") quotaHits.inc(labels);
        },
        retry: () => retries.inc(labels),
        units(units) {
          unitsSpent.inc(labels, units.spent);
          unitsLeft.set(labels, units.remaining);
          unitsDaily.set(labels, units.daily);
        },
      };
    },
    contentType: registry.contentType,
    async render(warehouse) {
      // The warehouse's gauges are a snapshot of this scrape, in a registry of their own: nothing is left
      // over from an earlier scrape, and two scrapes at once do not share them.
      const snapshot = new Registry();
      const up = new Gauge({
        name: "eventlog_sync_warehouse_up",
        help: "1 when the warehouse answered this scrape, 0 when it did not (the stream gauges are then left out).",
        registers: [snapshot],
      });
      let streams;
      try {
        streams = await withinDeadline(streamGauges(warehouse), PROBE_TIMEOUT_MS);
      } catch {
        up.set(0);
        return `${await registry.metrics()}\n${await snapshot.metrics()}`;
      }
      up.set(1);
      const byStatus = new Gauge({
        name: "eventlog_sync_streams",
        help: "Streams by the status of their last run.",
        labelNames: ["status"],
        registers: [snapshot],
      });
      const lag = new Gauge({
        name: "eventlog_sync_stream_lag_seconds",
        help: "Seconds since each stream last completed a read (before its first: since it was first seen).",
        labelNames: ["source", "account", "stream"],
        registers: [snapshot],
      });
      const unread = new Gauge({
        name: "eventlog_sync_stream_unread_events",
        help: "Events of a stream's open gaps whose size the server reported, summed (only streams with open gaps; gaps of unknown size are counted by eventlog_sync_stream_gaps).",
        labelNames: ["source", "account", "stream"],
        registers: [snapshot],
      });
      const gaps = new Gauge({
        name: "eventlog_sync_stream_gaps",
        help: "Open gaps of each stream (events the server would not give, or a shortfall its count reports), by whether their size is known.",
        labelNames: ["source", "account", "stream", "count"],
        registers: [snapshot],
      });
      for (const s of streams) {
        byStatus.inc({ status: s.status });
        const labels = { source: s.source, account: s.account, stream: s.stream_key };
        rowsLoaded.inc(labels, 0);
        lag.set(labels, Math.round(s.lag));
        if (s.gaps.openGaps > 0) unread.set(labels, s.gaps.unreadKnown);
        gaps.set({ ...labels, count: "known" }, s.gaps.openGaps - s.gaps.unknownGaps);
        gaps.set({ ...labels, count: "unknown" }, s.gaps.unknownGaps);
      }
      return `${await registry.metrics()}\n${await snapshot.metrics()}`;
    },
  };
}
