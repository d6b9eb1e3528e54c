/** The request gate and completeness settings every account has, whatever its source. */
import { z } from "zod";
import { duration, oneOf, positiveInt } from "./config-fields.schema.js";

/** Limits of the request gate of one account. */
export const requests = {
  /** Requests in flight at once per token. Default 3 (Yandex.Direct allows 5). */
  concurrency: positiveInt
    .max(5, {
      error: (issue) =>
        `expected at most 5 (the APIs allow 5 simultaneous requests per user), got ${String(issue.input)}`,
    })
    .default(3),
  /** Requests started per second per token; 0 = no cap. Default 0. */
  requestsPerSecond: z.number().nonnegative().default(0),
  /** Whole-request timeout. Default 60s. */
  timeout: duration.default(60_000),
  /** Retries of a transient failure. Default 6. */
  retries: z.number().int().nonnegative().max(20).default(6),
  /** First retry backoff (doubles, with jitter). Default 500ms. */
  retryMinDelay: duration.default(500),
  /** Longest retry backoff. Default 30s. */
  retryMaxDelay: duration.default(30_000),
  /**
   * How a read learns it has everything. `strict`: only an answer from the server ends a read — a follow-up
   * request that brings nothing new (one request more per read). `economy`: a response smaller than the most
   * records the server delivered in one response (its capacity, within `capacityMemory`) also ends a read;
   * such reads are recorded as unverified and audited by follow-ups, and the first contradiction turns the
   * account strict and re-reads what was settled on trust. Default strict.
   */
  completeness: oneOf(["strict", "economy"] as const).default("strict"),
  /** In `economy`: the share (0–1) of reads settled by the capacity that are audited by a follow-up anyway, besides the first of each run. Default 0.1. */
  auditShare: z.number().min(0).max(1).default(0.1),
  /**
   * In `economy`: how long the capacity is relied on before it is proven again with one request. Default 1h.
   */
  capacityMemory: duration.default(3_600_000),
};
