/**
 * The only module that imports pino. JSON lines on stderr (stdout is kept for command output such as
 * `status --json`); secrets are redacted wherever they appear under a known key.
 */
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

/**
 * Keys whose values never reach a log line: a token at any of the depths a logged object holds one (an
 * account, a config, a request), credentials in headers, connection strings. Text from responses is
 * redacted where it is read (http/secrets.redactor.ts); these paths cover the structured fields.
 */
export const REDACTED_PATHS = [
  "token",
  "*.token",
  "*.*.token",
  "*.*.*.token",
  "accounts[*].token",
  "*.accounts[*].token",
  "sources.*.accounts[*].token",
  "*.sources.*.accounts[*].token",
  "password",
  "*.password",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "*.*.headers.authorization",
  "databaseUrl",
  "*.databaseUrl",
];

export interface LoggerOptions {
  /** pino level: trace, debug, info, warn, error, fatal, silent. Default info. */
  level?: string;
  /** Where lines go. Default stderr. */
  destination?: DestinationStream;
  /** Readable lines instead of JSON (for a terminal). Default false. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ??
      (options.pretty
        ? pretty({ destination: 2, sync: true, colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" })
        : pino.destination({ fd: 2, sync: true })),
  );
}
