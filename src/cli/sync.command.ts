/** `eventlog-sync sync`: one run over all configured streams, or the chosen ones (options and help: cli.program.ts). */
import { loadConfig } from "../config/config.loader.js";
import { SelectionError } from "../errors.js";
import { type RunSummary, runSync } from "../sync/run-sync.engine.js";
import { OWNER_LOGIN } from "../sync/yandex-direct.jobs.js";
import { findStreams } from "../warehouse/streams.repository.js";
import { type CommandContext, configPath } from "./command.context.js";
import { createProgressReporter } from "./sync.progress.js";
import { checkSelection, unmatchedCampaigns } from "./sync.selection.js";
import { withWarehouse } from "./warehouse.session.js";

/**
 * Exit code of a run: 0 every stream succeeded (or was left to another eventlog-sync process), 2 otherwise
 * (a stream held by a session that is not an eventlog-sync process is failed).
 */
export function exitCodeOf(summary: RunSummary): number {
  return summary.status === "succeeded" ? 0 : 2;
}

export function printSummary(summary: RunSummary): void {
  console.log(`run ${summary.runId}: ${summary.status}${summary.note ? ` (${summary.note})` : ""}`);
  for (const a of summary.accounts) console.log(`  ${`${a.source}/${a.account}`.padEnd(40)} failed      ${a.error}`);
  for (const s of summary.streams) {
    const id = `${s.identity.source}/${s.identity.account}/${s.identity.streamKey}`;
    const cursor = s.cursor ? s.cursor.toISOString() : "-";
    console.log(
      `  ${id.padEnd(40)} ${s.status.padEnd(11)} inserted ${String(s.inserted).padStart(8)}  duplicates ${String(s.duplicates).padStart(8)}  rejects ${String(s.rejects).padStart(5)}  requests ${String(s.requests).padStart(5)}  cursor ${cursor}${s.error ? `\n      ${s.error}` : ""}`,
    );
  }
}

export interface SyncOptions {
  config?: string;
  source?: string[];
  account?: string[];
  stream?: string[];
}

/** Runs the command; resolves to its exit code. */
export async function runSyncCommand(options: SyncOptions, context: CommandContext): Promise<number> {
  const config = loadConfig(configPath(options.config));
  // Checked before the warehouse is opened: a selection that names nothing fails at once (exit 1).
  const { selection, campaignKeys } = checkSelection(
    config,
    { sources: options.source, accounts: options.account, streams: options.stream },
    OWNER_LOGIN,
  );
  const log = context.log();
  const session = context.session();
  const { summary, unmatched } = await withWarehouse(
    {
      ...session,
      databaseUrl: session.databaseUrl ?? config.database.url,
      database: config.database,
      log,
      maxConnections: config.sync.parallelStreams * 2 + 3,
    },
    async ({ warehouse, signal }) => {
      const progress = createProgressReporter(log, { terminal: process.stderr.isTTY === true });
      let summary: RunSummary;
      try {
        summary = await runSync(
          { warehouse, config, log, signal, command: "sync", onPage: progress.onPage },
          selection,
        );
      } finally {
        progress.stop();
      }
      if (campaignKeys.length === 0) return { summary, unmatched: [] };
      // A campaign on the slow poll schedule is not read every run, but it is a stream the warehouse knows.
      const known = (
        await Promise.all(campaignKeys.map(({ key, source }) => findStreams(warehouse.db, { source, streamKey: key })))
      ).flat();
      const unmatched = unmatchedCampaigns(campaignKeys, {
        runStreams: summary.streams.map((s) => s.identity),
        knownStreams: known.map((s) => ({ source: s.source, account: s.account, streamKey: s.stream_key })),
        failedAccounts: summary.accounts,
      });
      return { summary, unmatched };
    },
  );
  printSummary(summary);
  if (unmatched.length > 0) throw new SelectionError(unmatched);
  return exitCodeOf(summary);
}
