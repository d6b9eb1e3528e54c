/**
 * Each command's definition: its name, options, help and action. cli.program.ts adds them all up front so that
 * `--help` is complete; an action imports its command's module (and what that needs: the warehouse, the sync
 * engine, the simulators, the embedded PostgreSQL) only when the command runs.
 */
import { type Command, InvalidArgumentError } from "commander";
import { type CommandContext, configPath } from "./command.context.js";
import type { Shutdown } from "./process.shutdown.js";
import { EXAMPLES, OPTIONS, type SimulateFlags } from "./simulate.flags.js";

/** Parses a flag that takes an integer ≥ 1; the error names the flag and the value. */
export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`Expected \`${name}\` to be a positive integer, got \`${value}\``);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** Every command that reads the configuration takes it the same way (see configFile in command.context.ts). */
const CONFIG_OPTION = [
  "-c, --config <file>",
  "configuration file, YAML or JSON (default: $EVENTLOG_SYNC_CONFIG or ./eventlog-sync.yaml); its database.url is used when neither --database-url nor $DATABASE_URL is set",
] as const;

/** What a command's action gets from the program. */
export interface Wiring {
  /** The command's context, built on first use. */
  context: () => Promise<CommandContext>;
  setExitCode: (code: number) => void;
  shutdown: Shutdown;
}

/** `migrate`: apply or revert migrations. */
function addMigrate(program: Command, wiring: Wiring): void {
  program
    .command("migrate")
    .description("Apply pending warehouse migrations (under an advisory lock; safe to run from several processes)")
    .option(...CONFIG_OPTION)
    .option("--down <steps>", "revert the last <steps> migrations instead", positiveInteger("--down"))
    .option(
      "--force",
      "with --down: drop tables that hold rows (without it the reversal is refused, listing them); streams whose events go are read again from their start time",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ eventlog-sync migrate\n  $ eventlog-sync migrate --down 1\n  $ eventlog-sync migrate --down 9 --force   # drops the event tables and their rows",
    )
    .action(async (options: { config?: string; down?: number; force?: boolean }) =>
      (await import("./migrate.command.js")).runMigrate(options, await wiring.context()),
    );
}

/** `sync`: one run over the configured streams (or the chosen ones). */
function addSync(program: Command, wiring: Wiring): void {
  program
    .command("sync")
    .description(
      "Run one sync over every configured stream (or the chosen ones) and exit: 0 all succeeded, 2 some partial or failed, 1 could not start",
    )
    .option(...CONFIG_OPTION)
    .option(
      "--source <names>",
      "only these sources: altcraft, yandex_direct (comma-separated or repeated); a value that names no configured source is an error",
      collect,
    )
    .option(
      "--account <names>",
      "only these accounts (comma-separated or repeated); a name that is not configured is an error",
      collect,
    )
    .option(
      "--stream <keys>",
      "only these streams: logins or campaign ids (comma-separated or repeated); one that matches nothing is an error",
      collect,
    )
    .addHelpText(
      "after",
      `
Examples:
  $ eventlog-sync sync -c eventlog-sync.yaml
  $ eventlog-sync sync -c eventlog-sync.yaml --source yandex_direct --account agency --stream client-1`,
    )
    .action(async (options: { config?: string; source?: string[]; account?: string[]; stream?: string[] }) =>
      wiring.setExitCode(await (await import("./sync.command.js")).runSyncCommand(options, await wiring.context())),
    );
}

/** `daemon`: sync on a schedule, serving /healthz and /metrics. */
function addDaemon(program: Command, wiring: Wiring): void {
  program
    .command("daemon")
    .description(
      "Run sync on the cron schedule of the configuration (never two runs at once) and serve /healthz and /metrics until SIGTERM",
    )
    .option(...CONFIG_OPTION)
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
    .action(async (options: { config?: string }) =>
      (await import("./daemon.command.js")).runDaemon(options, await wiring.context()),
    );
}

/** `demo`: the whole job on embedded defaults. */
function addDemo(program: Command, wiring: Wiring): void {
  program
    .command("demo")
    .description(
      "Run the whole job on embedded defaults: embedded PostgreSQL, both API simulators, a backfill and an incremental run, example queries",
    )
    .option(
      "--serve",
      "keep PostgreSQL (and the simulators) running afterwards, until Ctrl-C, to connect psql or a BI tool",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ npx eventlog-sync demo\n  $ npx eventlog-sync demo --serve     # then: psql postgres://eventlog:eventlog@127.0.0.1:54329/eventlog",
    )
    .action(async (options: { serve?: boolean }) =>
      // The demo prints its own summary; log lines only for what goes wrong, unless asked for.
      (await import("./demo.command.js")).runDemo(
        { ...options, quiet: program.getOptionValueSource("logLevel") === "default" },
        await wiring.context(),
      ),
    );
}

/** `status`: every stream's state. */
function addStatus(program: Command, wiring: Wiring): void {
  program
    .command("status")
    .description(
      "Show every stream: cursor, newest event, lag (time since its last complete read), last run result, rows held, last error, completeness gap; above them, each agency whose latest client listing failed; retired streams only with --all",
    )
    .option(...CONFIG_OPTION)
    .option(
      "--json",
      "print JSON for machines: one array of stream rows (kind: stream) and failed listings (kind: account)",
    )
    .option("--all", "also show retired streams (their account or login is no longer configured)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ eventlog-sync status\n  $ eventlog-sync status --all\n  $ eventlog-sync status --json | jq '.[] | select(.status != \"succeeded\")'",
    )
    .action(async (options: { config?: string; json?: boolean; all?: boolean }) =>
      (await import("./status.command.js")).runStatus(options, await wiring.context()),
    );
}

/** `dbt-sources`: a dbt sources file from the warehouse's comments. */
function addDbtSources(program: Command, wiring: Wiring): void {
  program
    .command("dbt-sources")
    .description(
      "Write a dbt sources.yml for the warehouse's schemas from its own comments: every table and view with its columns, freshness on the event tables",
    )
    .option(...CONFIG_OPTION)
    .option("--out <file>", "write to <file> instead of standard output")
    .addHelpText("after", "\nExamples:\n  $ eventlog-sync dbt-sources --out models/eventlog_sync/sources.yml")
    .action(async (options: { config?: string; out?: string }) =>
      (await import("./dbt-sources.command.js")).runDbtSources(options, await wiring.context()),
    );
}

/** `reset <stream>`: move a stream's cursor back. */
function addReset(program: Command, wiring: Wiring): void {
  program
    .command("reset")
    .argument("<stream>", "the stream: a login or campaign id, or source/account/stream to be exact")
    .description(
      "Move a stream's cursor back so the next sync re-reads from there; rows already loaded stay and re-read events are skipped as duplicates",
    )
    .option(...CONFIG_OPTION)
    .option(
      "--to <time>",
      "re-read from this time (ISO 8601 with a zone; not after the cursor, never in the future); default: from the configured start time",
    )
    .option(
      "--force",
      "allow moving the cursor forward (events in between are skipped); a time in the future is refused even so",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ eventlog-sync reset client-1 --to 2026-11-01T00:00:00Z
  $ eventlog-sync reset altcraft/main/42            # from the start time again
  $ eventlog-sync reset client-1 --to 2026-11-20T00:00:00Z --force   # skip ahead, knowingly`,
    )
    .action(async (stream: string, options: { config?: string; to?: string; force?: boolean }) =>
      (await import("./maintenance.command.js")).runReset(stream, options, await wiring.context()),
    );
}

/** `config check`: validate a configuration file. */
function addConfigCheck(program: Command): void {
  const configCommand = program.command("config").description("Configuration tools");
  configCommand
    .command("check")
    .description(
      "Validate a configuration file and list every problem with its path (a file without accounts, or a login in two places, is invalid); prints what would be synced",
    )
    .option(...CONFIG_OPTION)
    .addHelpText("after", "\nExamples:\n  $ eventlog-sync config check -c eventlog-sync.yaml")
    .action(async (options: { config?: string }) =>
      (await import("./maintenance.command.js")).runConfigCheck(configPath(options.config)),
    );
}

/** `simulate`: serve both API simulators on loopback. */
function addSimulate(program: Command, wiring: Wiring): void {
  const simulate = program
    .command("simulate")
    .description(
      "Serve the offline Altcraft and Yandex.Direct API simulators on loopback until SIGINT/SIGTERM; prints their URLs, tokens, admin routes and example requests",
    );
  for (const [group, option] of OPTIONS) simulate.addOption(option.helpGroup(group));
  simulate
    .addHelpText("after", EXAMPLES)
    .action(async (flags: SimulateFlags) =>
      (await import("./simulate.command.js")).runSimulate(flags, wiring.shutdown.signal),
    );
}

/** Every command, in the order `--help` lists them. */
export const COMMANDS: ReadonlyArray<(program: Command, wiring: Wiring) => void> = [
  addMigrate,
  addSync,
  addDaemon,
  addDemo,
  addStatus,
  addReset,
  addDbtSources,
  addConfigCheck,
  addSimulate,
];
