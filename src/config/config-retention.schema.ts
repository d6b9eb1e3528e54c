/** How long the bookkeeping is kept (`retention`). */
import { z } from "zod";
import { duration, positiveInt } from "./config-fields.schema.js";

/** How long a bookkeeping row is kept, in ms, or `forever` (null): a duration such as 90d, or the word forever. */
const keptFor = z.union([z.literal("forever").transform(() => null), duration]);

/** Retention's defaults: 90 days of every bookkeeping table, pruned 1,000 rows a statement. */
export const RETENTION_DEFAULTS = {
  runs: 90 * 86_400_000,
  streamRuns: 90 * 86_400_000,
  rejects: 90 * 86_400_000,
  clientListings: 90 * 86_400_000,
  closedGaps: 90 * 86_400_000,
  batchSize: 1000,
} as const;

/**
 * How long the bookkeeping is kept: each run prunes, when it ends, the rows older than their table's setting,
 * in statements of `batchSize` rows (each its own short transaction). Event rows are never pruned. A running
 * run is never pruned, nor one that a kept row, a stream's last_run_id or an open gap points to; the newest
 * stream run of each stream (not skipped) and the newest complete client listing of each account stay.
 */
export const retentionSchema = z
  .object({
    /** sync.runs, by when the run started. Default 90d; `forever` keeps every run. */
    runs: keptFor.default(RETENTION_DEFAULTS.runs),
    /** sync.stream_runs, by when their run started. Default 90d. */
    streamRuns: keptFor.default(RETENTION_DEFAULTS.streamRuns),
    /** sync.rejects (the rejected records and their payloads), by when their run started. Default 90d. */
    rejects: keptFor.default(RETENTION_DEFAULTS.rejects),
    /** yandex_direct.client_listings, by when their run started. Default 90d. */
    clientListings: keptFor.default(RETENTION_DEFAULTS.clientListings),
    /** sync.gaps that are closed, by when they closed (open gaps always stay). Default 90d. */
    closedGaps: keptFor.default(RETENTION_DEFAULTS.closedGaps),
    /** Rows deleted by one statement. Default 1000. */
    batchSize: positiveInt.max(100_000).default(RETENTION_DEFAULTS.batchSize),
  })
  .strict();

export type RetentionSettings = z.infer<typeof retentionSchema>;
