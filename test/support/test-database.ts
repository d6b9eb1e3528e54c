/**
 * Databases for tests, on the server the global setup provides: each test file works in a clone of the
 * migrated template (or in an empty database when it tests the migrations themselves), so files run in
 * parallel and never see each other's rows.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { withDatabase } from "./database-url.js";

export interface TestDatabase {
  name: string;
  url: string;
  warehouse: Warehouse;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Runs `run` on a session of the server's administrator (create and drop databases and roles), then ends it. */
export async function asAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("pgAdminUrl") });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function create(template: string | undefined): Promise<TestDatabase> {
  const name = `eventlog_test_${randomBytes(6).toString("hex")}`;
  await asAdmin((c) => c.query(`create database ${name}${template ? ` template ${template}` : ""}`));
  const url = withDatabase(inject("pgAdminUrl"), name);
  const warehouse = openWarehouse(url);
  return {
    name,
    url,
    warehouse,
    drop: async () => {
      await warehouse.close();
      await asAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** Drops roles a test created on the shared server (after the databases holding their objects are dropped). */
export async function dropRoles(...roles: readonly string[]): Promise<void> {
  await asAdmin(async (c) => {
    for (const role of roles) await c.query(`drop role if exists ${role}`);
  });
}

/**
 * A connected session of its own to `url`, outside any pool: a reader, a lock holder or a connection killer.
 * `applicationName` is what pg_stat_activity shows for it. The caller ends it.
 */
export async function connectClient(url: string, applicationName?: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    ...(applicationName === undefined ? {} : { application_name: applicationName }),
  });
  await client.connect();
  return client;
}

/** A database of its own for one test file, cloned from the migrated template. */
export function createTestDatabase(): Promise<TestDatabase> {
  return create(inject("pgTemplate"));
}

/** An empty database (no migrations applied), for testing the migrations themselves. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return create(undefined);
}

/** Empties every event and bookkeeping table, so the next test of a file starts from a fresh warehouse. */
export async function emptyWarehouse(warehouse: Warehouse): Promise<void> {
  await warehouse.pool.query(
    "truncate altcraft.campaign_log, altcraft.campaigns, yandex_direct.events, yandex_direct.clients, sync.rejects, sync.gaps, sync.stream_runs, sync.streams, sync.runs cascade",
  );
}
