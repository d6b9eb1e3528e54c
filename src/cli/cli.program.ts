/**
 * The command line's surface: every command's name, options and help, registered up front so that
 * `--help` is complete. A command's module (and what it needs: the warehouse, the sync engine, the
 * simulators, the embedded PostgreSQL) is imported only when that command runs; the commands' definitions
 * are in commands.definitions.ts.
 */
import { Command } from "commander";
import { COMMANDS, positiveInteger, type Wiring } from "./commands.definitions.js";
import { type CommandContext, embeddedAllowed } from "./command.context.js";
import type { Shutdown } from "./process.shutdown.js";

interface GlobalOptions {
  databaseUrl?: string;
  dataDir?: string;
  pgPort?: number;
  logLevel: string;
  logFormat: "json" | "pretty" | "auto";
}

export function buildProgram(
  setExitCode: (code: number) => void = () => undefined,
  shutdown: Shutdown = { signal: new AbortController().signal },
): Command {
  const program = rootCommand();
  const wiring: Wiring = { context: lazyContext(program, shutdown), setExitCode, shutdown };
  for (const add of COMMANDS) add(program, wiring);
  return program;
}

/** The program itself: its description, the global options and help. */
function rootCommand(): Command {
  return new Command("eventlog-sync")
    .description(
      "Syncs the Altcraft campaign log and the Yandex.Direct events log into typed, deduplicated PostgreSQL tables.",
    )
    .option(
      "--database-url <url>",
      "PostgreSQL connection string (default: $DATABASE_URL, then database.url of the configuration file; without either an embedded PostgreSQL is started)",
    )
    .option(
      "--data-dir <dir>",
      "data directory of the embedded PostgreSQL (default: $EVENTLOG_SYNC_DATA_DIR or ./.eventlog-sync/postgres)",
    )
    .option(
      "--pg-port <port>",
      "port of the embedded PostgreSQL on 127.0.0.1 (default: a free port)",
      positiveInteger("--pg-port"),
    )
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
}

/** Built when a command runs, once: the logger (pino) is not loaded for --help. */
function lazyContext(program: Command, shutdown: Shutdown): () => Promise<CommandContext> {
  let context: Promise<CommandContext> | undefined;
  return () => (context ??= commandContext(program.opts<GlobalOptions>(), shutdown));
}

async function commandContext(o: GlobalOptions, shutdown: Shutdown): Promise<CommandContext> {
  const { createLogger } = await import("../log/pino.logger.js");
  const pretty = o.logFormat === "pretty" || (o.logFormat === "auto" && process.stderr.isTTY === true);
  const log = createLogger({ level: o.logLevel, pretty });
  const allowEmbedded = embeddedAllowed(process.env.EVENTLOG_SYNC_EMBEDDED_POSTGRES);
  return {
    log: () => log,
    session: () => ({
      databaseUrl: o.databaseUrl || process.env.DATABASE_URL || undefined,
      dataDir: o.dataDir || process.env.EVENTLOG_SYNC_DATA_DIR || undefined,
      port: o.pgPort,
      allowEmbedded,
      signal: shutdown.signal,
    }),
  };
}
