/**
 * The daemon's metrics in the Prometheus text format: counters of this process (runs, skipped ticks,
 * events, requests, retries, rejects) and gauges read from the warehouse when scraped (streams by status,
 * freshness lag per stream). Retired streams are left out. When the warehouse does not answer, the
 * counters are still served, `eventlog_sync_warehouse_up` is 0 and the warehouse gauges are left out.
 */
import { sql } from "kysely";
import type { RunSummary } from "../sync/run-sync.js";
import type { Warehouse } from "../warehouse/database.js";
import { PROBE_TIMEOUT_MS, withinDeadline } from "./warehouse-probe.js";

export interface DaemonMetrics {
  /** Adds a finished run to the counters. */
  recordRun(summary: RunSummary, seconds: number): void;
  /** Counts a run that failed before it could start its streams (e.g. the database was down). */
  recordFailedRun(): void;
  recordSkippedTick(): void;
  setRunning(running: boolean): void;
  /** The text served at /metrics. */
  render(warehouse: Warehouse): Promise<string>;
}

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labelText = (labels: Labels) => {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}` : "";
};

class Family {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly type: "counter" | "gauge",
    readonly help: string,
  ) {}
  add(labels: Labels, by: number): void {
    const key = labelText(labels);
    const current = this.values.get(key) ?? { labels, value: 0 };
    current.value += by;
    this.values.set(key, current);
  }
  set(labels: Labels, value: number): void {
    this.values.set(labelText(labels), { labels, value });
  }
  text(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join("\n");
  }
}

export function createDaemonMetrics(): DaemonMetrics {
  const runs = new Family("eventlog_sync_runs_total", "counter", "Runs finished by this process, by status.");
  const skipped = new Family("eventlog_sync_skipped_ticks_total", "counter", "Schedule ticks skipped because the previous run was still going.");
  const events = new Family("eventlog_sync_events_loaded_total", "counter", "Events inserted by this process, by source.");
  const duplicates = new Family("eventlog_sync_events_duplicate_total", "counter", "Events skipped as already held, by source.");
  const requests = new Family("eventlog_sync_requests_total", "counter", "API requests made by this process, retries included, by source.");
  const retries = new Family("eventlog_sync_retries_total", "counter", "API requests that were retries, by source.");
  const rejects = new Family("eventlog_sync_rejects_total", "counter", "Records rejected by validation, by source.");
  const running = new Family("eventlog_sync_run_in_progress", "gauge", "1 while a run is going.");
  const lastRun = new Family("eventlog_sync_last_run_timestamp_seconds", "gauge", "When the last run of this process with each status finished.");
  const lastDuration = new Family("eventlog_sync_last_run_duration_seconds", "gauge", "How long the last run took.");
  running.set({}, 0);
  return {
    recordRun(summary, seconds) {
      runs.add({ status: summary.status }, 1);
      lastRun.set({ status: summary.status }, Date.now() / 1000);
      lastDuration.set({}, seconds);
      for (const s of summary.streams) {
        const source = { source: s.identity.source };
        events.add(source, s.inserted);
        duplicates.add(source, s.duplicates);
        requests.add(source, s.requests);
        retries.add(source, s.retries);
        rejects.add(source, s.rejects);
      }
    },
    recordFailedRun: () => {
      runs.add({ status: "failed" }, 1);
      lastRun.set({ status: "failed" }, Date.now() / 1000);
    },
    recordSkippedTick: () => skipped.add({}, 1),
    setRunning: (value) => running.set({}, value ? 1 : 0),
    async render(warehouse) {
      const byStatus = new Family("eventlog_sync_streams", "gauge", "Streams by the status of their last run.");
      const lag = new Family(
        "eventlog_sync_stream_lag_seconds",
        "gauge",
        "Seconds since each stream last completed a read (before its first: since it was first seen).",
      );
      const unread = new Family(
        "eventlog_sync_stream_unread_events",
        "gauge",
        "Events a stream stepped past because the server would not give them (only streams that have any; -1: how many is unknown).",
      );
      const up = new Family("eventlog_sync_warehouse_up", "gauge", "1 when the warehouse answered this scrape, 0 when it did not (the stream gauges are then left out).");
      const counters = [runs, skipped, running, lastRun, lastDuration, events, duplicates, requests, retries, rejects];
      let streams;
      try {
        streams = await withinDeadline(
          sql<{ source: string; account: string; stream_key: string; status: string; lag: number; unread_events: number | null; unread_at: Date | null }>`
            select source, account, stream_key, status, extract(epoch from now() - coalesce(last_read_at, created_at))::float8 as lag, unread_events, unread_at
              from sync.streams where status <> 'retired'`.execute(warehouse.db),
          PROBE_TIMEOUT_MS,
        );
      } catch {
        up.set({}, 0);
        return `${[...counters, up].map((f) => f.text()).join("\n")}\n`;
      }
      up.set({}, 1);
      for (const s of streams.rows) {
        byStatus.add({ status: s.status }, 1);
        const labels = { source: s.source, account: s.account, stream: s.stream_key };
        lag.set(labels, Math.round(s.lag));
        if (s.unread_at !== null) unread.set(labels, s.unread_events === null || Number(s.unread_events) === 0 ? -1 : Number(s.unread_events));
      }
      return `${[...counters, up, byStatus, lag, unread].map((f) => f.text()).join("\n")}\n`;
    },
  };
}
