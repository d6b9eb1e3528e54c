/** The settings of the process as a whole: HTTP responses (`http`), syncing (`sync`) and the daemon (`daemon`). */
import { Cron } from "croner";
import { z } from "zod";
import { byteSize, positiveInt, zone } from "./config-fields.schema.js";

/** 64 MiB: see DEFAULT_MAX_RESPONSE_BYTES in http/http.post.ts. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export const httpSchema = z
  .object({
    /**
     * The largest response body read from an API, bytes (`64MiB`, `512KiB` or a number). A body over it is not
     * read further: that request fails ("response body over N bytes") and is not retried, so an enormous error
     * page never takes the process past its memory limit. Default 64MiB.
     */
    maxResponseBytes: byteSize.default(MAX_RESPONSE_BYTES),
  })
  .strict();

export const syncSettingsSchema = z
  .object({
    /** Streams synced at once (each also holds a database connection). Default 4. */
    parallelStreams: positiveInt.max(64).default(4),
    /**
     * Whether each token's request budget (`concurrency`, `requestsPerSecond`) holds across every process on
     * this warehouse, kept in PostgreSQL (session advisory locks; turn it off behind a transaction-pooling
     * proxy such as PgBouncer in transaction mode, where those do not hold). Default true.
     */
    shareRequestBudget: z.boolean().default(true),
  })
  .strict();

export const daemonSchema = z
  .object({
    /** Cron expression of the runs (5 or 6 fields, e.g. every 15 minutes: 0,15,30,45 * * * *). Default hourly. */
    schedule: z
      .string()
      .refine(
        (v) => {
          try {
            new Cron(v, { paused: true }).stop();
            return true;
          } catch {
            return false;
          }
        },
        { error: (issue) => `expected a cron expression such as "*/15 * * * *", got ${JSON.stringify(issue.input)}` },
      )
      .default("0 * * * *"),
    /** Time zone of the schedule. Default UTC. */
    timezone: zone.default("UTC"),
    /** Port of /healthz and /metrics; 0 turns the server off. Default 9464. */
    port: z.number().int().min(0).max(65_535).default(9464),
    /** Address the server listens on. Default 127.0.0.1 (use 0.0.0.0 in a container). */
    host: z.string().min(1).default("127.0.0.1"),
    /** Run once at start, before the first tick. Default true. */
    runOnStart: z.boolean().default(true),
  })
  .strict();

export type DaemonConfig = z.infer<typeof daemonSchema>;
