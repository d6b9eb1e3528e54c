// The lock keys: derived from the warehouse's secret, different for every purpose and id, full int4 range;
// the migration that makes the secret folds the skipped stream runs of old into a count on their run.
import { Migrator, sql } from "kysely";
import { MIGRATION_LOCK_TABLE, MIGRATION_SCHEMA, MIGRATION_TABLE } from "../../src/warehouse/migrations.tables.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../../migrations/index.js";
import { lockKeysFrom, lockKeysOf, readLockSecret } from "../../src/warehouse/lock.keys.js";
import { createEmptyDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createEmptyDatabase();
});
afterAll(async () => {
  await database.drop();
});

const migrator = () =>
  new Migrator({
    db: database.warehouse.db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: MIGRATION_SCHEMA,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });

describe("lock keys", () => {
  it("differ by secret, purpose and id, and are int4 values", () => {
    const a = lockKeysFrom("secret-a");
    const b = lockKeysFrom("secret-b");
    const all = [
      a.of("stream", 1),
      a.of("stream", 2),
      a.of("budget slot", 1),
      a.of("budget slot", "abc:0"),
      a.of("budget slot", "abc:1"),
      b.of("stream", 1),
    ].map((k) => k.join(","));
    expect(new Set(all).size).toBe(all.length);
    expect(a.of("stream", 1)).toEqual(lockKeysFrom("secret-a").of("stream", 1));
    for (const key of all.flatMap((k) => k.split(",").map(Number))) {
      expect(Number.isInteger(key)).toBe(true);
      expect(key).toBeGreaterThanOrEqual(-(2 ** 31));
      expect(key).toBeLessThan(2 ** 31);
    }
  });

  it("come from a secret the migration makes; skipped stream runs of old become a count on their run", async () => {
    await expect(readLockSecret(database.warehouse.pool)).rejects.toThrow(/cannot read the warehouse's lock secret/);
    expect((await migrator().migrateTo("2026-12-03T0900_gaps")).error).toBeUndefined();
    await sql`
      insert into sync.runs (run_id, command, host, pid, status) overriding system value values (1, 'sync', 'h', 1, 'succeeded'),
                                                                       (2, 'sync', 'h', 2, 'succeeded');
      insert into sync.streams (stream_id, source, account, stream_key) overriding system value values (1, 'altcraft', 'a', '1'),
                                                                              (2, 'altcraft', 'a', '2'),
                                                                              (3, 'altcraft', 'a', '3');
      insert into sync.stream_runs (run_id, stream_id, status) values (1, 1, 'succeeded'), (1, 2, 'skipped'),
                                                                     (1, 3, 'skipped'), (2, 1, 'skipped'),
                                                                     (2, 2, 'failed')`.execute(database.warehouse.db);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    const runs = await sql<{ run_id: number; streams_skipped: number }>`
      select run_id, streams_skipped from sync.runs order by run_id`.execute(database.warehouse.db);
    expect(runs.rows).toEqual([
      { run_id: 1, streams_skipped: 2 },
      { run_id: 2, streams_skipped: 1 },
    ]);
    const left = await sql<{ status: string }>`select status from sync.stream_runs order by run_id, stream_id`.execute(
      database.warehouse.db,
    );
    expect(left.rows.map((r) => r.status)).toEqual(["succeeded", "failed"]);
    await expect(
      sql`insert into sync.stream_runs (run_id, stream_id, status) values (2, 3, 'skipped')`.execute(
        database.warehouse.db,
      ),
    ).rejects.toThrow(/stream_runs_status_check/);

    const secret = await readLockSecret(database.warehouse.pool);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const keys = await lockKeysOf(database.warehouse.pool);
    expect(keys.of("stream", 7)).toEqual(lockKeysFrom(secret).of("stream", 7));
    const grants = await sql<{ acl: string | null }>`
      select nspacl::text as acl from pg_namespace where nspname = 'sync_private'
      union all select relacl::text from pg_class where oid = 'sync_private.lock_secret'::regclass`.execute(
      database.warehouse.db,
    );
    // Nobody but the owner: no ACL entry for PUBLIC (=…) nor any other role.
    for (const { acl } of grants.rows) expect(acl ?? "{}").not.toMatch(/(^\{|,)=/);

    expect((await migrator().migrateTo("2026-12-03T1200_prunable-runs")).error).toBeUndefined();
    const gone = await sql<{ n: number }>`
      select count(*)::int as n from pg_namespace where nspname = 'sync_private'`.execute(database.warehouse.db);
    expect(gone.rows[0]?.n).toBe(0);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
  });
});
