/**
 * What every command gets from the program: the logger and warehouse session built from the global options.
 * Kept apart from the commands so that registering them (for `--help`) loads none of their dependencies.
 */
import type { Logger } from "../log/logger.js";

export interface CommandContext {
  log: () => Logger;
  session: () => { databaseUrl: string | undefined; dataDir: string | undefined; port: number | undefined; signal: AbortSignal };
}

export function configPath(option: string | undefined): string {
  return option || process.env.EVENTLOG_SYNC_CONFIG || "eventlog-sync.yaml";
}
