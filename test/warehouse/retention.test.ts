// Retention of the bookkeeping: a year of rounds keeps every bookkeeping table within a stated size while the
// event rows of pruned runs stay; a running run is never pruned; a stream keeps its status line when its runs
// go; and the job prunes at the end of a run.
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { RETENTION_DEFAULTS } from "../../src/config/config.schema.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { runSync } from "../../src/sync/run-sync.engine.js";
import { pruneBookkeeping } from "../../src/warehouse/bookkeeping.retention.js";
import { streamStatuses } from "../../src/warehouse/status.repository.js";
import { createTestDatabase, emptyWarehouse, type TestDatabase } from "../support/test-database.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await emptyWarehouse(database.warehouse);
  await database.warehouse.pool.query("truncate yandex_direct.client_listings");
});
afterAll(async () => {
  await database?.drop();
});

const query = <R extends object = Record<string, unknown>>(text: string, values: unknown[] = []) =>
  database.warehouse.pool.query<R>(text, values).then((r) => r.rows);

const count = async (table: string, where = "true") =>
  Number((await query<{ n: string }>(`select count(*) as n from ${table} where ${where}`))[0]?.n);

/** Streams of one agency account, `s-1` … `s-<n>`. */
async function createStreams(n: number): Promise<number[]> {
  const rows = await query<{ stream_id: number }>(
    `insert into sync.streams (source, account, stream_key)
     select 'yandex_direct', 'agency', 's-' || i from generate_series(1, $1) i returning stream_id`,
    [n],
  );
  return rows.map((r) => Number(r.stream_id)).sort((a, b) => a - b);
}

/** A run as sync.runs records it, started at `at`. */
async function insertRun(at: Date, status = "succeeded"): Promise<number> {
  const rows = await query<{ run_id: number }>(
    `insert into sync.runs (command, host, pid, started_at, finished_at, status)
     values ('daemon', 'copy', 1, $1, case when $2 = 'running' then null else $1::timestamptz + interval '2 minutes' end, $2)
     returning run_id`,
    [at, status],
  );
  return Number(rows[0]?.run_id);
}

/** What one run records for a stream: its stream run, and the stream pointed at the run when it read it. */
async function insertStreamRun(runId: number, streamId: number, at: Date, status = "succeeded"): Promise<void> {
  await query(
    `insert into sync.stream_runs (run_id, stream_id, started_at, finished_at, status)
     values ($1, $2, $3, $3::timestamptz + interval '1 minute', $4)`,
    [runId, streamId, at, status],
  );
  if (status !== "skipped")
    await query("update sync.streams set last_run_id = $1, status = $3 where stream_id = $2", [
      runId,
      streamId,
      status,
    ]);
}

/** Event rows a run loaded for a stream, `n` of them at `at`. */
async function insertEvents(runId: number, streamId: number, at: Date, n: number): Promise<void> {
  await query(
    `insert into yandex_direct.events (event_key, stream_id, account, login, event_time, event_type, occurrence, raw, run_id)
     select gen_random_uuid(), s.stream_id, s.account, s.stream_key, $3::timestamptz + i * interval '1 second', 'MoneyIn', 0,
            jsonb_build_object('i', i), $1
       from sync.streams s, generate_series(1, $4) i where s.stream_id = $2`,
    [runId, streamId, at, n],
  );
}

const TABLES = ["sync.runs", "sync.stream_runs", "sync.rejects", "yandex_direct.client_listings", "sync.gaps"];

async function sizes(): Promise<Record<string, { rows: number; bytes: number }>> {
  const out: Record<string, { rows: number; bytes: number }> = {};
  for (const table of TABLES) {
    const bytes = (await query<{ b: string }>("select pg_total_relation_size($1::regclass) as b", [table]))[0]?.b;
    out[table] = { rows: await count(table), bytes: Number(bytes) };
  }
  return out;
}

describe("a year of rounds", () => {
  it("keeps every bookkeeping table within 90 days of rows and a steady size, and keeps the event rows of pruned runs", async () => {
    // Four copies, a round a day, 20 streams: each stream read by one copy and skipped by the others (80
    // stream runs a round), one client listing a round, a closed gap a round, a run with 200 rejects every
    // 30 days, two event rows per stream read. Retention as the job applies it after each round, with the
    // defaults (90 days) and a clock passed in; VACUUM once a simulated week, as autovacuum would.
    const COPIES = 4;
    const ROUNDS = 365;
    const STREAMS = 20;
    const streams = await createStreams(STREAMS);
    const start = Date.UTC(2025, 0, 1);
    const policy = { ...RETENTION_DEFAULTS };
    let firstRun = 0;
    let events = 0;
    let steady: Awaited<ReturnType<typeof sizes>> | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const at = new Date(start + round * DAY);
      const runs: number[] = [];
      for (let copy = 0; copy < COPIES; copy++) runs.push(await insertRun(new Date(at.getTime() + copy * 1000)));
      if (round === 0) {
        firstRun = runs[0] as number;
        // A gap that stays open: the run that found it stays with it.
        await query(
          `insert into sync.gaps (stream_id, kind, at, reason, found_run_id, last_run_id, found_at, last_seen_at)
           values ($1, 'stepped', $2, 'the server would not give this second whole', $3, $3, $2, $2)`,
          [streams[0], at, firstRun],
        );
      }
      // Each stream read by one copy and skipped by the others (counted on their runs); the stream points to
      // the run that read it.
      const read = streams.map((_, i) => runs[(i + round) % COPIES] as number);
      await query(
        `with sr as (
           insert into sync.stream_runs (run_id, stream_id, started_at, finished_at, status, events_fetched, events_inserted)
           select s.reader, s.stream_id, $3, $3::timestamptz + interval '1 minute', 'succeeded', 2, 2
             from unnest($1::bigint[], $2::bigint[]) s(stream_id, reader)
           returning 1),
         skips as (
           update sync.runs r set streams_skipped = $5 - (select count(*) from unnest($2::bigint[]) x where x = r.run_id)
            where r.run_id = any($4::bigint[])
           returning 1)
         update sync.streams t set last_run_id = s.reader, status = 'succeeded'
           from unnest($1::bigint[], $2::bigint[]) s(stream_id, reader) where t.stream_id = s.stream_id`,
        [streams, read, at, runs, STREAMS],
      );
      await query(
        `insert into yandex_direct.client_listings (run_id, account, started_at, finished_at, complete, pages, requests, clients)
         values ($1, 'agency', $2, $2, true, 1, 1, $3)`,
        [runs[0], at, STREAMS],
      );
      await query(
        `insert into sync.gaps (stream_id, kind, at, reason, found_run_id, last_run_id, found_at, last_seen_at, closed_at, closed_run_id)
         values ($1, 'stepped', $2, 'stepped past', $3, $3, $2, $2, $2::timestamptz + interval '1 hour', $3)`,
        [streams[round % STREAMS], at, runs[0]],
      );
      if (round % 30 === 15)
        await query(
          `insert into sync.rejects (stream_id, run_id, rejected_at, reason, payload, occurrence, reject_key)
           select $1, $2, $3, 'Timestamp: expected a time', jsonb_build_object('i', i, 'padding', repeat('x', 200)), 0, gen_random_uuid()
             from generate_series(1, 200) i`,
          [streams[1], runs[1], at],
        );
      await query(
        `insert into yandex_direct.events (event_key, stream_id, account, login, event_time, event_type, occurrence, raw, run_id)
         select gen_random_uuid(), t.stream_id, t.account, t.stream_key, $3::timestamptz + i * interval '1 second', 'MoneyIn', 0,
                jsonb_build_object('i', i), s.reader
           from unnest($1::bigint[], $2::bigint[]) s(stream_id, reader)
           join sync.streams t on t.stream_id = s.stream_id, generate_series(1, 2) i`,
        [streams, read, at],
      );
      events += 2 * STREAMS;
      await pruneBookkeeping(database.warehouse.db, policy, { now: new Date(at.getTime() + 3 * 60_000) });
      if (round % 7 === 6) await query(`vacuum ${TABLES.join(", ")}`);
      if (round === 120) steady = await sizes();
    }
    await query(`vacuum ${TABLES.join(", ")}`);
    const end = await sizes();

    // 90 days of rounds: 91 counting the one at the cutoff.
    const kept = 91;
    expect(end["sync.runs"]?.rows).toBeLessThanOrEqual(COPIES * kept + 1);
    expect(end["sync.stream_runs"]?.rows).toBeLessThanOrEqual(STREAMS * kept);
    expect(end["yandex_direct.client_listings"]?.rows).toBeLessThanOrEqual(kept);
    expect(end["sync.rejects"]?.rows).toBeLessThanOrEqual(200 * 4);
    expect(end["sync.gaps"]?.rows).toBeLessThanOrEqual(kept + 1);
    // Without retention they would hold a year: 1,460 runs, 7,300 stream runs, 365 listings and gaps.
    expect(end["sync.stream_runs"]?.rows).toBeGreaterThan(STREAMS * 85);
    // The size stays where it was after four months: stated bound 1.25 times, and 3 MB in all.
    for (const table of TABLES)
      expect(
        end[table]?.bytes,
        `${table}: ${JSON.stringify({ steady: steady?.[table], end: end[table] })}`,
      ).toBeLessThanOrEqual(Math.max(1.25 * (steady?.[table]?.bytes ?? 0), 64 * 1024));
    const total = Object.values(end).reduce((a, t) => a + t.bytes, 0);
    expect(total).toBeLessThan(3 * 1024 * 1024);

    // Every event row stays, those of pruned runs too.
    expect(await count("yandex_direct.events")).toBe(events);
    const orphaned = await count(
      "yandex_direct.events e",
      "not exists (select 1 from sync.runs r where r.run_id = e.run_id)",
    );
    expect(orphaned).toBeGreaterThan(events * 0.7);
    // The run an open gap points to stays; every stream still shows its last run.
    expect(await count("sync.runs", `run_id = ${firstRun}`)).toBe(1);
    const status = await streamStatuses(database.warehouse.db);
    expect(status).toHaveLength(STREAMS);
    for (const line of status) {
      expect(line.last_run_status).toBe("succeeded");
      expect(line.last_run_id).not.toBeNull();
    }
  }, 240_000);
});

describe("what retention keeps", () => {
  it("never prunes a running run, its stream runs or its rejects, however old", async () => {
    const [streamId] = await createStreams(1);
    const now = new Date(Date.UTC(2026, 5, 1));
    const old = new Date(now.getTime() - 200 * DAY);
    const running = await insertRun(old, "running");
    await insertRun(new Date(old.getTime() + HOUR));
    await insertStreamRun(running, streamId as number, old, "running");
    await query(
      `insert into sync.rejects (stream_id, run_id, rejected_at, reason, payload, occurrence, reject_key)
       values ($1, $2, $3, 'bad', '{}', 0, gen_random_uuid())`,
      [streamId, running, old],
    );
    const pruned = await pruneBookkeeping(database.warehouse.db, { ...RETENTION_DEFAULTS, batchSize: 1 }, { now });
    expect(pruned).toMatchObject({ streamRuns: 0, rejects: 0, runs: 1 });
    expect(await query("select run_id, status from sync.runs")).toEqual([{ run_id: running, status: "running" }]);
    expect(await count("sync.stream_runs", `run_id = ${running}`)).toBe(1);
    expect(await count("sync.rejects", `run_id = ${running}`)).toBe(1);
  });

  it("keeps a stream's newest stream run and the run its last_run_id names; a run deleted by hand leaves the stream in status and its event rows", async () => {
    const [streamId] = await createStreams(1);
    const id = streamId as number;
    const now = new Date(Date.UTC(2026, 5, 1));
    const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
    const first = await insertRun(at(300));
    await insertStreamRun(first, id, at(300));
    const last = await insertRun(at(200));
    await insertStreamRun(last, id, at(200));
    await insertEvents(last, id, at(200), 5);
    // A run that left the stream to another copy: no stream run of its own.
    await insertRun(at(150));

    const pruned = await pruneBookkeeping(database.warehouse.db, RETENTION_DEFAULTS, { now });
    expect(pruned).toMatchObject({ streamRuns: 1, runs: 2 });
    expect(await query("select run_id from sync.runs")).toEqual([{ run_id: last }]);
    let [line] = await streamStatuses(database.warehouse.db);
    expect(line).toMatchObject({ stream: "s-1", last_run_id: last, last_run_status: "succeeded" });

    // An operator deletes that run too: its stream run goes with it, the stream stays, its rows stay.
    await query("delete from sync.runs where run_id = $1", [last]);
    [line] = await streamStatuses(database.warehouse.db);
    expect(line).toMatchObject({
      stream: "s-1",
      status: "succeeded",
      last_run_id: null,
      rows_held: expect.any(Number),
    });
    expect(await count("yandex_direct.events", `run_id = ${last}`)).toBe(5);
    expect(await query("select last_run_id from sync.streams")).toEqual([{ last_run_id: null }]);
  });

  it("keeps what a table's setting says forever, and prunes rejects, listings and closed gaps by their own settings", async () => {
    const [streamId] = await createStreams(1);
    const id = streamId as number;
    const now = new Date(Date.UTC(2026, 5, 1));
    const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY);
    const old = await insertRun(at(40));
    await insertStreamRun(old, id, at(40));
    await query(
      `insert into sync.rejects (stream_id, run_id, rejected_at, reason, payload, occurrence, reject_key)
       select $1, $2, $3, 'bad', jsonb_build_object('i', i), 0, gen_random_uuid() from generate_series(1, 25) i`,
      [id, old, at(40)],
    );
    const newer = await insertRun(at(1));
    await insertStreamRun(newer, id, at(1));
    for (const runId of [old, newer])
      await query(
        `insert into yandex_direct.client_listings (run_id, account, started_at, finished_at, complete, pages, requests)
         values ($1, 'agency', $2, $2, true, 1, 1)`,
        [runId, runId === old ? at(40) : at(1)],
      );
    await query(
      `insert into sync.gaps (stream_id, kind, at, reason, found_at, last_seen_at, closed_at)
       values ($1, 'stepped', $2, 'closed', $2, $2, $2), ($1, 'stepped', $2, 'open', $2, $2, null)`,
      [id, at(40)],
    );
    const policy = { ...RETENTION_DEFAULTS, batchSize: 10 };
    const forever = await pruneBookkeeping(
      database.warehouse.db,
      { ...policy, runs: null, streamRuns: null, rejects: null, clientListings: null, closedGaps: null },
      { now },
    );
    expect(forever).toEqual({ streamRuns: 0, rejects: 0, clientListings: 0, closedGaps: 0, runs: 0 });
    const pruned = await pruneBookkeeping(
      database.warehouse.db,
      {
        ...policy,
        runs: 30 * DAY,
        streamRuns: null,
        rejects: 30 * DAY,
        clientListings: 30 * DAY,
        closedGaps: 30 * DAY,
      },
      { now },
    );
    // The run stays: its stream run is kept forever.
    expect(pruned).toEqual({ streamRuns: 0, rejects: 25, clientListings: 1, closedGaps: 1, runs: 0 });
    expect(await count("sync.gaps")).toBe(1);
    expect(await count("sync.runs")).toBe(2);
  });
});

describe("the retention settings", () => {
  const account = { name: "agency", token: "${T}", currency: "RUB" };
  const parse = (retention: unknown) =>
    parseConfig({ retention, sources: { yandex_direct: { accounts: [account] } } }, { T: "t" }).retention;

  it("default to 90 days each in batches of 1,000, take durations and forever, and name a wrong value", () => {
    expect(parse(undefined)).toEqual({
      runs: 90 * DAY,
      streamRuns: 90 * DAY,
      rejects: 90 * DAY,
      clientListings: 90 * DAY,
      closedGaps: 90 * DAY,
      batchSize: 1000,
    });
    expect(parse({ rejects: "forever", runs: "30d", batchSize: 500 })).toMatchObject({
      rejects: null,
      runs: 30 * DAY,
      streamRuns: 90 * DAY,
      batchSize: 500,
    });
    expect(() => parse({ streamRuns: "always" })).toThrow(/retention\.streamRuns/);
  });
});

describe("the job", () => {
  it("prunes at the end of a run and logs how many rows went", async () => {
    await createStreams(1);
    const old = new Date(Date.now() - 200 * DAY);
    for (let i = 0; i < 3; i++) {
      // Runs that left the stream to other copies.
      await insertRun(old);
    }
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = parseConfig(
      { sources: { yandex_direct: { accounts: [{ name: "agency", token: "${T}", currency: "RUB" }] } } },
      { T: "t" },
    );
    // No account selected: the run plans nothing, finishes, and prunes.
    const summary = await runSync(
      {
        warehouse: database.warehouse,
        config,
        log: createLogger({ level: "info", destination: sink }),
        signal: new AbortController().signal,
        command: "test",
      },
      { accounts: ["none"] },
    );
    expect(summary.status).toBe("succeeded");
    expect(await query("select run_id from sync.runs")).toEqual([{ run_id: summary.runId }]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        pruned: { streamRuns: 0, rejects: 0, clientListings: 0, closedGaps: 0, runs: 3 },
        msg: "bookkeeping pruned: 3 rows past their retention",
      }),
    );
  });
});
