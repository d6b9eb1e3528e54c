/**
 * The daemon's gauges read from the warehouse at each scrape: whether it answered, streams by status, and per
 * stream (retired streams left out) its freshness lag, unread events and open gaps. They are a snapshot of
 * one scrape, in a registry of their own: nothing is left over from an earlier scrape, and two scrapes at
 * once do not share them.
 */
import { Gauge, Registry } from "prom-client";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { type StreamGauge, streamGauges } from "../warehouse/stream-gauges.repository.js";
import { PROBE_TIMEOUT_MS, withinDeadline } from "./warehouse.probe.js";

export interface WarehouseScrape {
  /** The gauges of this scrape. */
  snapshot: Registry;
  /** The streams read (none when the warehouse did not answer). */
  streams: readonly StreamGauge[];
}

/**
 * Reads the warehouse's gauges for one scrape. When the warehouse does not answer within the probe's
 * deadline, `eventlog_sync_warehouse_up` is 0 and the stream gauges are left out.
 */
export async function scrapeWarehouse(warehouse: Warehouse): Promise<WarehouseScrape> {
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
    return { snapshot, streams: [] };
  }
  up.set(1);
  setStreamGauges(streamGaugesIn(snapshot), streams);
  return { snapshot, streams };
}

/** The per-stream gauges of one scrape, registered in `snapshot`. */
function streamGaugesIn(snapshot: Registry) {
  const registers = [snapshot];
  const labelNames = ["source", "account", "stream"] as const;
  return {
    byStatus: new Gauge({
      name: "eventlog_sync_streams",
      help: "Streams by the status of their last run.",
      labelNames: ["status"],
      registers,
    }),
    lag: new Gauge({
      name: "eventlog_sync_stream_lag_seconds",
      help: "Seconds since each stream last completed a read (before its first: since it was first seen).",
      labelNames,
      registers,
    }),
    unread: new Gauge({
      name: "eventlog_sync_stream_unread_events",
      help: "Events of a stream's open gaps whose size the server reported, summed (only streams with open gaps; gaps of unknown size are counted by eventlog_sync_stream_gaps).",
      labelNames,
      registers,
    }),
    gaps: new Gauge({
      name: "eventlog_sync_stream_gaps",
      help: "Open gaps of each stream (events the server would not give, or a shortfall its count reports), by whether their size is known.",
      labelNames: [...labelNames, "count"],
      registers,
    }),
  };
}

function setStreamGauges(g: ReturnType<typeof streamGaugesIn>, streams: readonly StreamGauge[]): void {
  for (const s of streams) {
    g.byStatus.inc({ status: s.status });
    const labels = { source: s.source, account: s.account, stream: s.stream_key };
    g.lag.set(labels, Math.round(s.lag));
    if (s.gaps.openGaps > 0) g.unread.set(labels, s.gaps.unreadKnown);
    g.gaps.set({ ...labels, count: "known" }, s.gaps.openGaps - s.gaps.unknownGaps);
    g.gaps.set({ ...labels, count: "unknown" }, s.gaps.unknownGaps);
  }
}
