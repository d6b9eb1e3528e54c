/**
 * `eventlog-sync daemon`: runs `sync` on the configured cron schedule and serves /healthz and /metrics.
 * Its name, options and help are in program.ts; this module is loaded only when the command runs.
 */
import { loadConfig } from "../config/load-config.js";
import { failedRunOf, lastRunOf } from "../daemon/health.js";
import { startDaemonServer } from "../daemon/http-endpoints.js";
import { configuredAccounts, createDaemonMetrics } from "../daemon/metrics.js";
import { startSchedule } from "../daemon/scheduler.js";
import { toError } from "../errors.js";
import { runSync } from "../sync/run-sync.js";
import { createProgressReporter } from "./progress.js";
import { type CommandContext, configPath } from "./context.js";
import { waitForWarehouse } from "../daemon/wait-for-warehouse.js";
import { withWarehouse } from "./warehouse-session.js";
import { startOnWarehouse, WarehouseUnreachableError } from "./warehouse-start.js";

export interface DaemonOptions {
  config?: string;
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
    async ({ warehouse, signal, lock, database }) => {
      const metrics = createDaemonMetrics({ accounts: configuredAccounts(config) });
      const state: Parameters<typeof startDaemonServer>[1]["state"] = {
        running: false,
        lastRun: undefined,
        nextRun: () => null,
      };
      const server =
        config.daemon.port === 0
          ? undefined
          : await startDaemonServer(
              { host: config.daemon.host, port: config.daemon.port },
              { warehouse, metrics, state },
            );
      if (server)
        log.info(
          { url: `http://${config.daemon.host}:${server.port}`, routes: ["/healthz", "/metrics"] },
          "serving health and metrics",
        );
      const ready = await waitForWarehouse({
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
      if (!ready) {
        await server?.close();
        log.info("daemon stopped before the warehouse answered");
        return;
      }
      const schedule = startSchedule({
        schedule: config.daemon.schedule,
        timezone: config.daemon.timezone,
        runOnStart: config.daemon.runOnStart,
        run: async () => {
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
            log.info({ next: schedule.next() }, "waiting for the next tick");
          }
        },
        onSkippedTick: () => {
          metrics.recordSkippedTick();
          log.warn("schedule tick skipped: the previous run is still going");
        },
        onError: (err) => log.error({ err: toError(err) }, "run failed"),
      });
      state.nextRun = () => schedule.next();
      log.info(
        { schedule: config.daemon.schedule, timezone: config.daemon.timezone, next: schedule.next() },
        "daemon started",
      );
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      await schedule.stop();
      await server?.close();
      log.info("daemon stopped");
    },
  );
}
