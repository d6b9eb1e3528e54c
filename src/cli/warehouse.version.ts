/**
 * Where the warehouse's schema stands against this binary, for commands that only read (status): migrations
 * a newer eventlog-sync applied, migrations still pending, or none applied at all. Reads only.
 */
import type { Kysely } from "kysely";
import { migrations } from "../../migrations/index.js";
import { NewerWarehouseError, pendingMigrations, unknownMigrations } from "../warehouse/migrations.runner.js";

export interface WarehouseVersion {
  /** What an operator should know before reading the answer; undefined when the schema is what this binary expects. */
  notice?: string;
  /** No migration applied: there is nothing to read. */
  empty: boolean;
}

export async function warehouseVersion<DB>(db: Kysely<DB>): Promise<WarehouseVersion> {
  const unknown = await unknownMigrations(db);
  if (unknown.length > 0) return { notice: new NewerWarehouseError(unknown).message, empty: false };
  const pending = await pendingMigrations(db);
  if (pending.length === Object.keys(migrations).length)
    return {
      notice: "the warehouse has no eventlog-sync tables yet: `eventlog-sync migrate` (or a first sync) creates them",
      empty: true,
    };
  if (pending.length > 0)
    return {
      notice: `the warehouse is ${pending.length} migration${pending.length === 1 ? "" : "s"} behind this binary (next: ${pending[0]}): \`eventlog-sync migrate\` applies ${pending.length === 1 ? "it" : "them"}; showing what the warehouse holds`,
      empty: false,
    };
  return { empty: false };
}
