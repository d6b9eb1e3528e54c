/** `eventlog-sync sync`: one run over all configured streams, or the chosen ones. */
import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import type { Logger } from "../log/logger.js";
import { type RunSummary, runSync } from "../sync/run-sync.js";
import { createProgressReporter } from "./progress.js";
import { withWarehouse } from "./warehouse-session.js";

export interface CommandContext {
  log: () => Logger;
  session: () => { databaseUrl: string | undefined; dataDir: string | undefined; port: number | undefined; signal: AbortSignal };
}

/** Exit code of a run: 0 every stream succeeded (or was held by another process), 2 otherwise. */
export function exitCodeOf(summary: RunSummary): number {
  return summary.status === "succeeded" ? 0 : 2;
}

export function configPath(option: string | undefined): string {
  return option || process.env.EVENTLOG_SYNC_CONFIG || "eventlog-sync.yaml";
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((v) => v.trim()).filter(Boolean)];
}

export function printSummary(summary: RunSummary): void {
  console.log(`run ${summary.runId}: ${summary.status}`);
  for (const a of summary.accounts) console.log(`  ${`${a.source}/${a.account}`.padEnd(40)} failed      ${a.error}`);
  for (const s of summary.streams) {
    const id = `${s.identity.source}/${s.identity.account}/${s.identity.streamKey}`;
    const cursor = s.cursor ? s.cursor.toISOString() : "-";
    console.log(
      `  ${id.padEnd(40)} ${s.status.padEnd(11)} inserted ${String(s.inserted).padStart(8)}  duplicates ${String(s.duplicates).padStart(8)}  rejects ${String(s.rejects).padStart(5)}  requests ${String(s.requests).padStart(5)}  cursor ${cursor}${s.error ? `\n      ${s.error}` : ""}`,
    );
  }
}

export function registerSyncCommand(program: Command, context: CommandContext, setExitCode: (code: number) => void): void {
  program
    .command("sync")
    .description("Run one sync over every configured stream (or the chosen ones) and exit: 0 all succeeded, 2 some partial or failed, 1 could not start")
    .option("-c, --config <file>", "configuration file, YAML or JSON (default: $EVENTLOG_SYNC_CONFIG or ./eventlog-sync.yaml)")
    .option("--source <names>", "only these sources: altcraft, yandex_direct (comma-separated or repeated)", collect)
    .option("--account <names>", "only these accounts (comma-separated or repeated)", collect)
    .option("--stream <keys>", "only these streams: logins or campaign ids (comma-separated or repeated)", collect)
    .addHelpText(
      "after",
      `
Examples:
  $ eventlog-sync sync -c eventlog-sync.yaml
  $ eventlog-sync sync -c eventlog-sync.yaml --source yandex_direct --account agency --stream client-1`,
    )
    .action(async (options: { config?: string; source?: string[]; account?: string[]; stream?: string[] }) => {
      const config = loadConfig(configPath(options.config));
      const log = context.log();
      const session = context.session();
      const summary = await withWarehouse(
        { ...session, databaseUrl: session.databaseUrl ?? config.database?.url, log, maxConnections: config.sync.parallelStreams * 2 + 2 },
        async ({ warehouse, signal }) => {
          const progress = createProgressReporter(log, { terminal: process.stderr.isTTY === true });
          try {
            return await runSync(
              { warehouse, config, log, signal, command: "sync", onPage: progress.onPage },
              { ...(options.source ? { sources: options.source } : {}), ...(options.account ? { accounts: options.account } : {}), ...(options.stream ? { streams: options.stream } : {}) },
            );
          } finally {
            progress.stop();
          }
        },
      );
      printSummary(summary);
      setExitCode(exitCodeOf(summary));
    });
}
