/** Waiting for the sessions of a killed or finished process to be gone from the database. */
import { sql } from "kysely";
import { setTimeout as sleep } from "node:timers/promises";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";

/**
 * Waits until no other session holds an advisory lock or an open transaction on the database (a killed process's
 * backends are gone).
 */
export async function waitForOtherSessions(warehouse: Warehouse): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await sql<{ n: number }>`
      select (select count(*) from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = current_database())
           + (select count(*) from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid() and state in ('active', 'idle in transaction', 'idle in transaction (aborted)'))
           as n`.execute(warehouse.db);
    if (rows[0]?.n === 0) return;
    await sleep(50);
  }
  throw new Error("sessions of a finished process still hold locks or transactions after 10 s");
}
