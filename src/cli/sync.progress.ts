/**
 * Progress of long backfills: per stream the time the cursor has reached, events loaded, and an ETA from
 * how fast the cursor moves towards now. On a terminal one status line is redrawn every second; otherwise
 * a log line is written every `intervalMs`.
 */
import type { Logger } from "../log/pino.logger.js";
import type { EngineContext } from "../sync/run-stream.engine.js";
import type { StreamIdentity } from "../warehouse/streams.repository.js";

interface StreamProgress {
  label: string;
  firstCursor: number | undefined;
  cursor: number | undefined;
  inserted: number;
  startedAt: number;
  updatedAt: number;
}

export interface ProgressReporter {
  onPage: NonNullable<EngineContext["onPage"]>;
  stop(): void;
}

/** Seconds left for a stream whose cursor moved from `first` to `cursor` in `elapsedMs`, aiming at `now`. */
export function etaSeconds(first: number, cursor: number, elapsedMs: number, now: number): number | undefined {
  const covered = cursor - first;
  if (covered <= 0 || elapsedMs <= 0) return undefined;
  return Math.max(0, ((now - cursor) / covered) * elapsedMs) / 1000;
}

const day = (ms: number | undefined) =>
  ms === undefined ? "start" : new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const duration = (s: number | undefined) =>
  s === undefined
    ? "?"
    : s < 90
      ? `${Math.round(s)}s`
      : s < 5400
        ? `${Math.round(s / 60)}m`
        : `${(s / 3600).toFixed(1)}h`;

/** One stream's progress as reported: the time its cursor reached, events loaded, seconds left. */
interface StreamReport {
  stream: string;
  reached: string | null;
  inserted: number;
  eta: number | undefined;
}

function reportOf(streams: ReadonlyMap<string, StreamProgress>): StreamReport[] {
  const now = Date.now();
  return [...streams.values()].map((s) => ({
    stream: s.label,
    reached: s.cursor === undefined ? null : new Date(s.cursor).toISOString(),
    inserted: s.inserted,
    eta:
      s.firstCursor === undefined || s.cursor === undefined
        ? undefined
        : etaSeconds(s.firstCursor, s.cursor, s.updatedAt - s.startedAt, now),
  }));
}

/** The terminal's status line: streams, events loaded, and where the slowest stream is. */
function statusLine(all: readonly StreamReport[]): string {
  const inserted = all.reduce((n, s) => n + s.inserted, 0);
  const slowest = all.reduce((a, b) => ((a.eta ?? 0) >= (b.eta ?? 0) ? a : b));
  return `  ${all.length} streams · ${inserted.toLocaleString("en")} events loaded · slowest ${slowest.stream} at ${day(slowest.reached ? Date.parse(slowest.reached) : undefined)} · ETA ${duration(slowest.eta)}`;
}

/** Adds a loaded page to its stream's progress. */
function recordPage(
  streams: Map<string, StreamProgress>,
  identity: StreamIdentity,
  page: Parameters<ProgressReporter["onPage"]>[1],
): void {
  const key = `${identity.source}/${identity.account}/${identity.streamKey}`;
  const now = Date.now();
  const s = streams.get(key) ?? {
    label: key,
    firstCursor: undefined,
    cursor: undefined,
    inserted: 0,
    startedAt: now,
    updatedAt: now,
  };
  const at = page.cursor?.getTime();
  if (s.firstCursor === undefined) {
    s.firstCursor = at;
    s.startedAt = now;
  }
  s.cursor = at;
  s.inserted += page.inserted;
  s.updatedAt = now;
  streams.set(key, s);
}

export function createProgressReporter(
  log: Logger,
  options: { terminal: boolean; intervalMs?: number; out?: NodeJS.WriteStream },
): ProgressReporter {
  const streams = new Map<string, StreamProgress>();
  const out = options.out ?? process.stderr;
  let drawn = false;
  const tick = () => {
    const all = reportOf(streams);
    if (all.length === 0) return;
    if (options.terminal) {
      out.write(`\r\u001b[2K${statusLine(all).slice(0, (out.columns ?? 120) - 1)}`);
      drawn = true;
    } else {
      log.info(
        { streams: all.map((s) => ({ ...s, eta: s.eta === undefined ? null : Math.round(s.eta) })) },
        "progress",
      );
    }
  };
  const timer = setInterval(tick, options.intervalMs ?? (options.terminal ? 1000 : 30_000));
  timer.unref();
  return {
    onPage: (identity, page) => recordPage(streams, identity, page),
    stop() {
      clearInterval(timer);
      if (drawn) out.write("\r\u001b[2K");
    },
  };
}
