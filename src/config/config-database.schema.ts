/** The warehouse connection (`database`). */
import { z } from "zod";
import { duration } from "./config-fields.schema.js";

/** Defaults of the warehouse connection: a BI database under load answers slowly at times, never for minutes. */
export const DATABASE_DEFAULTS = {
  connectTimeout: 10_000,
  statementTimeout: 300_000,
  lockTimeout: 60_000,
  keepAliveIdle: 30_000,
} as const;

export const databaseSchema = z
  .object({
    /** PostgreSQL connection string; DATABASE_URL wins over it. Default: embedded PostgreSQL. */
    url: z.string().min(1).optional(),
    /** How long opening a connection may take before the command fails. Default 10s. */
    connectTimeout: duration.default(DATABASE_DEFAULTS.connectTimeout),
    /**
     * statement_timeout of the job's own statements (loading a page, bookkeeping); migrations run without it. Default
     * 5m.
     */
    statementTimeout: duration.default(DATABASE_DEFAULTS.statementTimeout),
    /** lock_timeout: the longest wait for a table, row or migration lock. Default 60s. */
    lockTimeout: duration.default(DATABASE_DEFAULTS.lockTimeout),
    /** TCP keepalive: idle time before the first probe, so a vanished host is noticed. Default 30s. */
    keepAliveIdle: duration.default(DATABASE_DEFAULTS.keepAliveIdle),
  })
  .strict();

export type DatabaseSettings = z.infer<typeof databaseSchema>;
