/**
 * The only module that imports pino. JSON lines on stderr (stdout is kept for command output such as
 * `status --json`); secrets are redacted wherever they appear under a known key.
 */
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Keys whose values never reach a log line. */
export const REDACTED_PATHS = ["token", "*.token", "*.*.token", "password", "*.password", "headers.authorization", "*.headers.authorization", "databaseUrl", "*.databaseUrl"];

export interface LoggerOptions {
  /** pino level: trace, debug, info, warn, error, fatal, silent. Default info. */
  level?: string;
  /** Where lines go. Default stderr. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
