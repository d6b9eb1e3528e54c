/**
 * The order in which a run takes its streams, the same in every copy: the stream furthest behind first (never
 * read, then the oldest cursor), to the hour; among streams as far behind, the accounts take turns. Copies
 * that share the streams thus all work on the most urgent ones, and neither they nor the workers of one copy
 * crowd onto one account's token while others sit idle (each token has its own request budget).
 */
import type { StreamIdentity } from "../warehouse/streams.repository.js";

/** Cursors this close count as equally far behind, ms. */
export const BEHIND_BUCKET_MS = 3_600_000;

export function takeOrder<Job extends { identity: StreamIdentity }>(
  jobs: readonly Job[],
  cursorOf: (identity: StreamIdentity) => Date | null | undefined,
): Job[] {
  const ranked = jobs.map((job, i) => {
    const cursor = cursorOf(job.identity);
    return { job, i, bucket: cursor ? Math.floor(cursor.getTime() / BEHIND_BUCKET_MS) : -Infinity, turn: 0 };
  });
  // A job's turn is its place among its account's jobs in the same bucket: every account's first, then every
  // account's second, and so on.
  const seen = new Map<string, number>();
  for (const r of ranked) {
    const key = `${r.bucket}\u0000${r.job.identity.source}/${r.job.identity.account}`;
    r.turn = seen.get(key) ?? 0;
    seen.set(key, r.turn + 1);
  }
  return ranked
    .sort((a, b) => (a.bucket === b.bucket ? 0 : a.bucket - b.bucket) || a.turn - b.turn || a.i - b.i)
    .map((r) => r.job);
}
