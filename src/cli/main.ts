/**
 * eventlog-sync command line: argv → wiring → commands. The only module that decides exit codes.
 * Exit codes: 0 done; 1 could not start or failed (bad options, database unreachable); 2 reserved for
 * runs in which some streams failed while the others loaded.
 */
import { Command, InvalidArgumentError } from "commander";
import { toError } from "../errors.js";
import { createLogger } from "../log/logger.js";
import { migrateDown } from "../warehouse/migrate.js";
import { registerDemoCommand } from "./demo.command.js";
import { registerMaintenanceCommands } from "./maintenance.commands.js";
import { registerSimulateCommand } from "./simulate.command.js";
import { installShutdown, type Shutdown } from "./shutdown.js";
import { registerStatusCommand } from "./status.command.js";
import { registerSyncCommand } from "./sync.command.js";
import { withWarehouse } from "./warehouse-session.js";

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`Expected \`${name}\` to be a positive integer, got \`${value}\``);
    return n;
  };
}

interface GlobalOptions {
  databaseUrl?: string;
  dataDir?: string;
  pgPort?: number;
  logLevel: string;
  logFormat: "json" | "pretty" | "auto";
}

export function buildProgram(setExitCode: (code: number) => void = () => undefined, shutdown: Shutdown = { signal: new AbortController().signal }): Command {
  const program = new Command("eventlog-sync")
    .description("Syncs the Altcraft campaign log and the Yandex.Direct events log into typed, deduplicated PostgreSQL tables.")
    .option("--database-url <url>", "PostgreSQL connection string (default: $DATABASE_URL; without it an embedded PostgreSQL is started)")
    .option("--data-dir <dir>", "data directory of the embedded PostgreSQL (default: $EVENTLOG_SYNC_DATA_DIR or ./.eventlog-sync/postgres)")
    .option("--pg-port <port>", "port of the embedded PostgreSQL on 127.0.0.1 (default: a free port)", positiveInteger("--pg-port"))
    .option("--log-level <level>", "log level: trace, debug, info, warn, error, silent", "info")
    .option("--log-format <format>", "log lines: json, pretty, or auto (pretty on a terminal, JSON otherwise)", "auto")
    .showHelpAfterError()
    .addHelpText(
      "after",
      `
Examples:
  $ eventlog-sync migrate                                  # embedded PostgreSQL in ./.eventlog-sync/postgres
  $ DATABASE_URL=postgres://user:pass@db:5432/warehouse eventlog-sync migrate`,
    );

  const globals = (): GlobalOptions & { log: ReturnType<typeof createLogger> } => {
    const o = program.opts<GlobalOptions>();
    const pretty = o.logFormat === "pretty" || (o.logFormat === "auto" && process.stderr.isTTY === true);
    return { ...o, log: createLogger({ level: o.logLevel, pretty }) };
  };
  const session = (g: ReturnType<typeof globals>) => ({
    databaseUrl: g.databaseUrl || process.env.DATABASE_URL || undefined,
    dataDir: g.dataDir || process.env.EVENTLOG_SYNC_DATA_DIR || undefined,
    port: g.pgPort,
    log: g.log,
    signal: shutdown.signal,
  });

  program
    .command("migrate")
    .description("Apply pending warehouse migrations (under an advisory lock; safe to run from several processes)")
    .option("--down <steps>", "revert the last <steps> migrations instead", positiveInteger("--down"))
    .addHelpText("after", "\nExamples:\n  $ eventlog-sync migrate\n  $ eventlog-sync migrate --down 1")
    .action(async (options: { down?: number }) => {
      const g = globals();
      await withWarehouse({ ...session(g), migrate: options.down === undefined }, async ({ warehouse }) => {
        if (options.down !== undefined) {
          const reverted = await migrateDown(warehouse.db, options.down);
          for (const m of reverted) console.log(`reverted ${m.migrationName}`);
          if (reverted.length === 0) console.log("nothing to revert");
          return;
        }
        console.log("warehouse is up to date");
      });
    });

  const context = { log: () => globals().log, session: () => session(globals()) };
  registerSyncCommand(program, context, setExitCode);
  program
    .command("daemon")
    .description("Run sync on the cron schedule of the configuration (never two runs at once) and serve /healthz and /metrics until SIGTERM")
    .option("-c, --config <file>", "configuration file, YAML or JSON (default: $EVENTLOG_SYNC_CONFIG or ./eventlog-sync.yaml)")
    .addHelpText(
      "after",
      `
The schedule, port and address come from the configuration:
  daemon:
    schedule: "*/15 * * * *"   # cron, in daemon.timezone (default UTC)
    port: 9464                 # /healthz and /metrics; 0 turns the server off
    host: 127.0.0.1            # 0.0.0.0 in a container

Examples:
  $ eventlog-sync daemon -c eventlog-sync.yaml
  $ curl -s http://127.0.0.1:9464/metrics`,
    )
    .action(async (options: { config?: string }) => (await import("./daemon.command.js")).runDaemon(options, context));
  registerDemoCommand(program, context);
  registerStatusCommand(program, context);
  registerMaintenanceCommands(program, context);
  registerSimulateCommand(program, shutdown.signal);

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  // Output piped into `head` and the like: stop writing, but finish the work and clean up.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
  let code = 0;
  try {
    await buildProgram((c) => (code = c), installShutdown()).parseAsync([...argv]);
    return code;
  } catch (err) {
    const error = toError(err);
    console.error(`eventlog-sync: ${error.message}`);
    if (error.cause) console.error(`  caused by: ${toError(error.cause).message}`);
    return 1;
  }
}
