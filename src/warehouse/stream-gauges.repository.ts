/** What the daemon's metrics read from the warehouse at each scrape: every stream that is not retired. */
import { sql } from "kysely";
import type { Warehouse } from "./warehouse.database.js";
import { NO_OPEN_GAPS, openGapSummaries, type OpenGapSummary } from "./gaps.repository.js";

export interface StreamGauge {
  source: string;
  account: string;
  stream_key: string;
  status: string;
  /** Seconds since the stream last completed a read (before its first: since it was first seen). */
  lag: number;
  /** The stream's open gaps (events the server would not give). */
  gaps: OpenGapSummary;
}

export async function streamGauges(warehouse: Warehouse): Promise<StreamGauge[]> {
  const { rows } = await sql<Omit<StreamGauge, "gaps"> & { stream_id: number }>`
    select stream_id, source, account, stream_key, status, extract(epoch from now() - coalesce(last_read_at, created_at))::float8 as lag
      from sync.streams where status <> 'retired'`.execute(warehouse.db);
  const gaps = await openGapSummaries(warehouse.db);
  return rows.map(({ stream_id, ...r }) => ({ ...r, gaps: gaps.get(Number(stream_id)) ?? NO_OPEN_GAPS }));
}
