// A run registers its streams at once when it plans (registerStreams): the streams the warehouse does not know
// get their row as ensureStream would make it, the known ones come back as they are, and copies that plan the
// same streams at the same moment end with the same rows. Under a stream's lock the run opens its stream run
// in the statement that reads the stream again (openStreamRun), unless another run read it whole this round.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStreamRun } from "../../src/warehouse/stream-runs.repository.js";
import {
  ensureStream,
  registerStreams,
  resetStream,
  type StreamIdentity,
  streamLabel,
} from "../../src/warehouse/streams.repository.js";
import { startRun } from "../support/runs.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const identities = (account: string, n: number): StreamIdentity[] =>
  Array.from({ length: n }, (_, i) => ({ source: "yandex_direct", account, streamKey: `client-${i}` }));

describe("registerStreams", () => {
  // Kills: a registration that returns only the rows it inserted (the known streams would be registered again,
  // one by one, when taken), or that resets what a known stream holds.
  it("makes the rows it lacks and returns the known ones as they are", async () => {
    const db = database.warehouse.db;
    const known = await ensureStream(db, { source: "yandex_direct", account: "mixed", streamKey: "client-0" });
    const cursor = new Date("2026-11-01T10:00:00Z");
    await resetStream(db, known.stream_id, cursor);
    const streams = identities("mixed", 5);
    const registered = await registerStreams(db, streams);
    expect([...registered.keys()].sort()).toEqual(streams.map(streamLabel).sort());
    const first = registered.get(streamLabel(streams[0] as StreamIdentity));
    expect(first?.stream_id).toBe(known.stream_id);
    expect(first?.cursor?.toISOString()).toBe(cursor.toISOString());
    for (const stream of streams.slice(1)) {
      const row = registered.get(streamLabel(stream));
      expect(row).toMatchObject({ cursor: null, status: "new", last_run_id: null });
      // The same row ensureStream finds: nothing is registered twice.
      expect((await ensureStream(db, stream)).stream_id).toBe(row?.stream_id);
    }
    expect(await registerStreams(db, [])).toEqual(new Map());
  });

  // Kills: copies planning at once ending with different rows for one stream, or one failing (a unique
  // violation, a deadlock when their lists overlap in another order). Each row inserted waits 2 ms here (a
  // trigger in this file's database), so the four statements surely overlap: inserted in the order given, two
  // lists in opposite orders each wait for a row the other holds.
  it("gives copies that register overlapping streams at once the same rows", async () => {
    const db = database.warehouse.db;
    const { pool } = database.warehouse;
    await pool.query(`create or replace function public.test_slow_insert() returns trigger language plpgsql as
      $$ begin perform pg_sleep(0.002); return new; end $$`);
    await pool.query(`create trigger test_slow_insert before insert on sync.streams
      for each row execute function public.test_slow_insert()`);
    const streams = identities("together", 400);
    const lists = [streams, [...streams].reverse(), streams.slice(100), [...streams.slice(0, 300)].reverse()];
    const results = await Promise.all(lists.map((list) => registerStreams(db, list))).finally(() =>
      pool.query("drop trigger test_slow_insert on sync.streams; drop function public.test_slow_insert()"),
    );
    const ids = new Map<string, number>();
    for (const [i, result] of results.entries()) {
      expect(result.size, `copy ${i}`).toBe(lists[i]?.length);
      for (const [label, row] of result) {
        expect(ids.get(label) ?? row.stream_id, label).toBe(row.stream_id);
        ids.set(label, row.stream_id);
      }
    }
    const { rows } = await database.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from sync.streams where account = 'together'",
    );
    expect(rows[0]?.n).toBe(400);
  });
});

describe("openStreamRun", () => {
  // Kills: the stream opened again when another run read it whole since this run's round began (two copies
  // read one stream in one round), or never opened when its last read came before the round.
  it("opens the stream's run unless another run read it whole since the round began", async () => {
    const db = database.warehouse.db;
    const stream = await ensureStream(db, { source: "altcraft", account: "round", streamKey: "42" });
    const other = await startRun(db, "sync");
    await db
      .updateTable("sync.streams")
      .set({ last_read_at: new Date("2026-11-20T12:00:00Z"), last_run_id: other })
      .where("stream_id", "=", stream.stream_id)
      .execute();
    const mine = await startRun(db, "sync");
    const readSince = await openStreamRun(db, mine, stream.stream_id, new Date("2026-11-20T11:59:00Z"));
    expect(readSince.opened).toBe(false);
    expect(readSince.stream.stream_id).toBe(stream.stream_id);
    const runs = () =>
      db.selectFrom("sync.stream_runs").selectAll().where("stream_id", "=", stream.stream_id).execute();
    expect(await runs()).toEqual([]);

    const readBefore = await openStreamRun(db, mine, stream.stream_id, new Date("2026-11-20T12:01:00Z"));
    expect(readBefore.opened).toBe(true);
    // The stream as it was read, before it was marked running.
    expect(readBefore.stream.last_run_id).toBe(other);
    expect(await runs()).toMatchObject([{ run_id: mine, status: "running" }]);
    const marked = await db
      .selectFrom("sync.streams")
      .selectAll()
      .where("stream_id", "=", stream.stream_id)
      .executeTakeFirst();
    expect(marked).toMatchObject({ status: "running", last_run_id: mine });
    await expect(openStreamRun(db, mine, 987_654_321)).rejects.toThrow(/no stream with stream_id 987654321/);
  });
});
