/**
 * `eventlog-sync daemon`: runs `sync` on the configured cron schedule and serves /healthz and /metrics.
 * Its name, options and help are in cli.program.ts; this module is loaded only when the command runs.
 */
import type { Config } from "../config/config.schema.js";
import { loadConfig } from "../config/config.loader.js";
import { failedRunOf, lastRunOf } from "../daemon/health.status.js";
import { type DaemonState, startDaemonServer } from "../daemon/daemon.server.js";
import { configuredAccounts, createDaemonMetrics, type DaemonMetrics } from "../daemon/daemon.metrics.js";
import { type Schedule, startSchedule } from "../daemon/cron.scheduler.js";
import { toError } from "../errors.js";
import { runSync } from "../sync/run-sync.engine.js";
import { createProgressReporter } from "./sync.progress.js";
import { type CommandContext, configPath } from "./command.context.js";
import { waitForWarehouse } from "../daemon/warehouse.wait.js";
import type { Logger } from "../log/pino.logger.js";
import { type WarehouseSession, withWarehouse } from "./warehouse.session.js";
import { startOnWarehouse, WarehouseUnreachableError } from "./warehouse.start.js";

export interface DaemonOptions {
  config?: string;
}

/** What the parts of a running daemon share. */
interface Daemon {
  config: Config;
  log: Logger;
  session: WarehouseSession;
  metrics: DaemonMetrics;
  /** What /healthz reports. */
  state: DaemonState;
}

export async function runDaemon(options: DaemonOptions, context: CommandContext): Promise<void> {
  const config = loadConfig(configPath(options.config));
  const log = context.log();
  const session = context.session();
  await withWarehouse(
    {
      ...session,
      databaseUrl: session.databaseUrl ?? config.database.url,
      database: config.database,
      log,
      maxConnections: config.sync.parallelStreams * 2 + 4,
      // The daemon waits for the warehouse itself, serving /healthz meanwhile (see waitForWarehouse).
      startCheck: false,
    },
    (warehouseSession) => serveDaemon(config, log, warehouseSession),
  );
}

/**
 * The daemon on an open warehouse session: serves /healthz and /metrics, waits for the warehouse (migrating
 * it), then runs on the schedule until the session's signal is aborted.
 */
async function serveDaemon(config: Config, log: Logger, session: WarehouseSession): Promise<void> {
  const daemon: Daemon = {
    config,
    log,
    session,
    metrics: createDaemonMetrics({ accounts: configuredAccounts(config) }),
    state: { running: false, lastRun: undefined, nextRun: () => null },
  };
  const server = await serveHealthAndMetrics(daemon);
  if (!(await startWhenReachable(daemon))) {
    await server?.close();
    log.info("daemon stopped before the warehouse answered");
    return;
  }
  const schedule = scheduleRuns(daemon);
  daemon.state.nextRun = () => schedule.next();
  log.info(
    { schedule: config.daemon.schedule, timezone: config.daemon.timezone, next: schedule.next() },
    "daemon started",
  );
  const { signal } = session;
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  await schedule.stop();
  await server?.close();
  log.info("daemon stopped");
}

/** Starts the HTTP server of /healthz and /metrics; none when `daemon.port` is 0. */
async function serveHealthAndMetrics({ config, log, session, metrics, state }: Daemon) {
  if (config.daemon.port === 0) return undefined;
  const server = await startDaemonServer(
    { host: config.daemon.host, port: config.daemon.port },
    { warehouse: session.warehouse, metrics, state },
  );
  log.info(
    { url: `http://${config.daemon.host}:${server.port}`, routes: ["/healthz", "/metrics"] },
    "serving health and metrics",
  );
  return server;
}

/** Waits until the warehouse answers and applies pending migrations; false when stopped before that. */
function startWhenReachable({ config, log, session }: Daemon): Promise<boolean> {
  const { warehouse, signal, lock, database } = session;
  return waitForWarehouse({
    start: async () => {
      const applied = await startOnWarehouse(warehouse, {
        url: database.url,
        migrate: true,
        deadlineMs: config.database.connectTimeout,
        log,
        signal,
        lock,
      });
      if (applied.length > 0) log.info({ migrations: applied.map((m) => m.migrationName) }, "migrations applied");
    },
    unreachable: (err) => err instanceof WarehouseUnreachableError,
    signal,
    log,
  });
}

/** Starts the schedule: a sync on each tick, a tick skipped while the previous run is still going. */
function scheduleRuns(daemon: Daemon): Schedule {
  const { config, log, metrics } = daemon;
  const schedule = startSchedule({
    schedule: config.daemon.schedule,
    timezone: config.daemon.timezone,
    runOnStart: config.daemon.runOnStart,
    run: () => syncOnTick(daemon, () => schedule.next()),
    onSkippedTick: () => {
      metrics.recordSkippedTick();
      log.warn("schedule tick skipped: the previous run is still going");
    },
    onError: (err) => log.error({ err: toError(err) }, "run failed"),
  });
  return schedule;
}

/** One scheduled run: a sync, counted in the metrics and reported by /healthz; `next` says the next tick. */
async function syncOnTick({ config, log, session, metrics, state }: Daemon, next: () => Date | null): Promise<void> {
  const { warehouse, signal } = session;
  if (signal.aborted) return;
  state.running = true;
  metrics.setRunning(true);
  const started = performance.now();
  const progress = createProgressReporter(log, { terminal: false });
  try {
    const summary = await runSync({
      warehouse,
      config,
      log,
      signal,
      command: "daemon",
      onPage: progress.onPage,
      requests: metrics.requestObserver,
    });
    metrics.recordRun(summary, (performance.now() - started) / 1000);
    state.lastRun = lastRunOf(summary, new Date());
  } catch (err) {
    // The run could not finish (the warehouse went away, say): it counts as failed, and the
    // daemon waits for the next tick; the pool reconnects once the database is back.
    metrics.recordFailedRun();
    state.lastRun = failedRunOf(toError(err).message, new Date());
    throw err;
  } finally {
    progress.stop();
    state.running = false;
    metrics.setRunning(false);
    log.info({ next: next() }, "waiting for the next tick");
  }
}
