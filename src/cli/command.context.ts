/**
 * What every command gets from the program: the logger and warehouse session built from the global options.
 * Kept apart from the commands so that registering them (for `--help`) loads none of their dependencies.
 */
import type { Logger } from "../log/pino.logger.js";

export interface CommandContext {
  log: () => Logger;
  session: () => {
    databaseUrl: string | undefined;
    dataDir: string | undefined;
    port: number | undefined;
    allowEmbedded: boolean;
    signal: AbortSignal;
  };
}

/**
 * `EVENTLOG_SYNC_EMBEDDED_POSTGRES`: `off` (the container image sets it) makes a missing database URL an
 * error instead of starting an embedded PostgreSQL; unset or `auto`: start one when it is installed.
 */
export function embeddedAllowed(value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "auto") return true;
  if (value === "off") return false;
  throw new Error(`Expected \`EVENTLOG_SYNC_EMBEDDED_POSTGRES\` to be \`off\` or \`auto\`, got \`${value}\``);
}

/** The configuration file when neither `-c/--config` nor $EVENTLOG_SYNC_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = "eventlog-sync.yaml";

/**
 * The configuration file every command reads: `-c/--config`, else $EVENTLOG_SYNC_CONFIG, else
 * ./eventlog-sync.yaml. `named`: the file was asked for (by the option or the variable), so it must exist.
 */
export function configFile(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; named: boolean } {
  const named = option || env.EVENTLOG_SYNC_CONFIG;
  return named ? { path: named, named: true } : { path: DEFAULT_CONFIG_FILE, named: false };
}

export function configPath(option: string | undefined): string {
  return configFile(option).path;
}
