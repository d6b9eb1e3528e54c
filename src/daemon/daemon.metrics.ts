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
import type { RequestObserver } from "../http/request.retries.js";
import type { RunSummary } from "../sync/run-sync.engine.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { scrapeWarehouse } from "./warehouse.gauges.js";

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

/** The registries a metric of this process is put in: the daemon's own, never prom-client's global one. */
type Registers = Registry[];

/** Runs finished by this process, and schedule ticks skipped. */
function runCounters(registers: Registers) {
  return {
    runs: new Counter({
      name: "eventlog_sync_runs_total",
      help: "Runs finished by this process, by status.",
      labelNames: ["status"],
      registers,
    }),
    skipped: new Counter({
      name: "eventlog_sync_skipped_ticks_total",
      help: "Schedule ticks skipped because the previous run was still going.",
      registers,
    }),
  };
}

/** What the runs of this process loaded: events, duplicates and rejects by source; rows by stream. */
function loadCounters(registers: Registers) {
  return {
    events: new Counter({
      name: "eventlog_sync_events_loaded_total",
      help: "Events inserted by this process, by source.",
      labelNames: ["source"],
      registers,
    }),
    duplicates: new Counter({
      name: "eventlog_sync_events_duplicate_total",
      help: "Events skipped as already held, by source.",
      labelNames: ["source"],
      registers,
    }),
    rejects: new Counter({
      name: "eventlog_sync_rejects_total",
      help: "Records rejected by validation, by source.",
      labelNames: ["source"],
      registers,
    }),
    rowsLoaded: new Counter({
      name: "eventlog_sync_stream_rows_loaded_total",
      help: "Event rows inserted into the warehouse by this process, by stream (duplicates not counted).",
      labelNames: ["source", "account", "stream"],
      registers,
    }),
  };
}

/** API requests of this process per account: attempts, retries, quota hits and Yandex.Direct points. */
function requestCounters(registers: Registers) {
  const labelNames = ["source", "account"] as const;
  return {
    requests: new Counter({
      name: "eventlog_sync_requests_total",
      help: "API requests made by this process (every attempt, campaign listings included), by source and account.",
      labelNames,
      registers,
    }),
    retries: new Counter({
      name: "eventlog_sync_retries_total",
      help: "API requests that were retries, by source and account.",
      labelNames,
      registers,
    }),
    quotaHits: new Counter({
      name: "eventlog_sync_quota_hits_total",
      help: "API requests refused because a quota (daily limit, points, tariff) was spent, by source and account.",
      labelNames,
      registers,
    }),
    ...unitGauges(registers),
  };
}

/** Yandex.Direct API points per account, as the Units header of its responses gives them. */
function unitGauges(registers: Registers) {
  const labelNames = ["source", "account"] as const;
  return {
    unitsSpent: new Counter({
      name: "eventlog_sync_api_units_spent_total",
      help: "Yandex.Direct API points spent by this process's listings of agency clients (Units header), by source and account.",
      labelNames,
      registers,
    }),
    unitsLeft: new Gauge({
      name: "eventlog_sync_api_units_remaining",
      help: "Yandex.Direct API points left, as the last response with a Units header said, by source and account.",
      labelNames,
      registers,
    }),
    unitsDaily: new Gauge({
      name: "eventlog_sync_api_units_daily",
      help: "The daily Yandex.Direct API points limit, as the last response with a Units header said, by source and account.",
      labelNames,
      registers,
    }),
  };
}

/** How long each API request took, by source and outcome. */
function requestLatency(registers: Registers) {
  return {
    latency: new Histogram({
      name: "eventlog_sync_request_duration_seconds",
      help: "How long each API request took, from sending it to reading its answer, by source and outcome.",
      labelNames: ["source", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

/** The state of this process's runs: one going, when each status last finished, how long the last took. */
function runGauges(registers: Registers) {
  return {
    running: new Gauge({ name: "eventlog_sync_run_in_progress", help: "1 while a run is going.", registers }),
    lastRun: new Gauge({
      name: "eventlog_sync_last_run_timestamp_seconds",
      help: "When the last run of this process with each status finished.",
      labelNames: ["status"],
      registers,
    }),
    lastDuration: new Gauge({
      name: "eventlog_sync_last_run_duration_seconds",
      help: "How long the last run took (0 before the first).",
      registers,
    }),
  };
}

/**
 * The metrics this process counts itself, registered in `registry` in the order they are served (after the
 * process and runtime metrics).
 */
function processMetrics(registry: Registry) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  return {
    ...runCounters(registers),
    ...loadCounters(registers),
    ...requestCounters(registers),
    ...requestLatency(registers),
    ...runGauges(registers),
  };
}

type ProcessMetrics = ReturnType<typeof processMetrics>;

/** Serves at 0 the counters whose labels are known from the start: per run status, configured source and account. */
function zeroKnownLabels(m: ProcessMetrics, accounts: readonly AccountLabels[]): void {
  for (const status of RUN_STATUSES) m.runs.inc({ status }, 0);
  for (const source of new Set(accounts.map((a) => a.source))) {
    for (const counter of [m.events, m.duplicates, m.rejects]) counter.inc({ source }, 0);
    m.latency.zero({ source, outcome: "ok" });
  }
  for (const { source, account } of accounts) {
    for (const counter of [m.requests, m.retries, m.quotaHits]) counter.inc({ source, account }, 0);
  }
}

function recordRun(m: ProcessMetrics, summary: RunSummary, seconds: number): void {
  m.runs.inc({ status: summary.status });
  m.lastRun.set({ status: summary.status }, Date.now() / 1000);
  m.lastDuration.set(seconds);
  for (const s of summary.streams) {
    const source = { source: s.identity.source };
    m.events.inc(source, s.inserted);
    m.duplicates.inc(source, s.duplicates);
    m.rejects.inc(source, s.rejects);
    m.rowsLoaded.inc({ ...source, account: s.identity.account, stream: s.identity.streamKey }, s.inserted);
  }
}

function recordFailedRun(m: ProcessMetrics): void {
  m.runs.inc({ status: "failed" });
  m.lastRun.set({ status: "failed" }, Date.now() / 1000);
}

function requestObserver(m: ProcessMetrics, source: string, account: string): RequestObserver {
  const labels = { source, account };
  return {
    request(outcome, seconds) {
      m.requests.inc(labels);
      m.latency.observe({ source, outcome }, seconds);
      if (outcome === "quota") m.quotaHits.inc(labels);
    },
    retry: () => m.retries.inc(labels),
    units(units) {
      m.unitsSpent.inc(labels, units.spent);
      m.unitsLeft.set(labels, units.remaining);
      m.unitsDaily.set(labels, units.daily);
    },
  };
}

export function createDaemonMetrics(options: DaemonMetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  const m = processMetrics(registry);
  zeroKnownLabels(m, options.accounts ?? []);
  return {
    recordRun: (summary, seconds) => recordRun(m, summary, seconds),
    recordFailedRun: () => recordFailedRun(m),
    recordSkippedTick: () => m.skipped.inc(),
    setRunning: (value) => m.running.set(value ? 1 : 0),
    requestObserver: (source, account) => requestObserver(m, source, account),
    contentType: registry.contentType,
    render: (warehouse) => renderMetrics(registry, m.rowsLoaded, warehouse),
  };
}

/**
 * The text served at /metrics: this process's metrics, then the warehouse's gauges of this scrape. A stream the
 * warehouse knows has its rows-loaded counter served, at 0 before this process loads any of it.
 */
async function renderMetrics(registry: Registry, rowsLoaded: ProcessMetrics["rowsLoaded"], warehouse: Warehouse) {
  const { snapshot, streams } = await scrapeWarehouse(warehouse);
  for (const s of streams) rowsLoaded.inc({ source: s.source, account: s.account, stream: s.stream_key }, 0);
  return `${await registry.metrics()}\n${await snapshot.metrics()}`;
}
