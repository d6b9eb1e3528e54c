/** The cheapest statement that proves the warehouse answers: one round trip on a pooled connection. */
import { sql } from "kysely";
import type { Warehouse } from "./warehouse.database.js";

/** Resolves once the warehouse has answered `select 1`; rejects with the connection's or the server's error. */
export async function pingWarehouse(warehouse: Warehouse): Promise<void> {
  await sql`select 1`.execute(warehouse.db);
}
