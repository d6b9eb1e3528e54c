/** What the daemon's metrics read from the warehouse at each scrape: every stream that is not retired. */
import { sql } from "kysely";
import type { Warehouse } from "./database.js";

export interface StreamGauge {
  source: string;
  account: string;
  stream_key: string;
  status: string;
  /** Seconds since the stream last completed a read (before its first: since it was first seen). */
  lag: number;
  unread_events: number | null;
  unread_at: Date | null;
}

export async function streamGauges(warehouse: Warehouse): Promise<StreamGauge[]> {
  const { rows } = await sql<StreamGauge>`
    select source, account, stream_key, status, extract(epoch from now() - coalesce(last_read_at, created_at))::float8 as lag, unread_events, unread_at
      from sync.streams where status <> 'retired'`.execute(warehouse.db);
  return rows;
}
