// Gaps are data: each place a read stepped past is one row of sync.gaps, committed with the page that
// stepped past it; found again it keeps one row and the newer count; an unknown count stays NULL; a later
// complete read of its place closes it; status, sync.stream_freshness and /metrics read the open ones.
// Each test names, in a comment, the mistake (mutation) it catches.
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { describeUnread, statusTable } from "../../src/cli/status.command.js";
import { createDaemonMetrics } from "../../src/daemon/daemon.metrics.js";
import { LoaderInputError } from "../../src/errors.js";
import { yandexDirectEventsTable } from "../../src/warehouse/copy.columns.js";
import { type GapRecord, openGapSummaries } from "../../src/warehouse/gaps.repository.js";
import { loadBatch, type BatchToLoad } from "../../src/warehouse/batch.loader.js";
import { migrations } from "../../migrations/index.js";
import { migrateDown, migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { startRun } from "../support/runs.js";
import { streamStatuses } from "../../src/warehouse/status.repository.js";
import { openStreamRun, finishStreamRun } from "../../src/warehouse/stream-runs.repository.js";
import { ensureStream, resetStream } from "../../src/warehouse/streams.repository.js";
import type { YandexDirectEventRowInput } from "../../src/warehouse/copy.columns.js";
import { syntheticEvents } from "../support/synthetic-events.js";
import { createTestDatabase, emptyWarehouse, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});
beforeEach(async () => {
  await emptyWarehouse(database.warehouse);
});

const T = (iso: string) => new Date(`2026-03-01T${iso}Z`);
const stepped = (at: Date, unread: number | null, reason = "the server gave 5 rows of one millisecond"): GapRecord => ({
  kind: "stepped",
  at,
  until: null,
  unread,
  reason,
});

async function newStream(key: string) {
  return ensureStream(database.warehouse.db, { source: "yandex_direct", account: "gaps", streamKey: key });
}

const run = () => startRun(database.warehouse.db, "test");

async function load(
  page: Omit<BatchToLoad<YandexDirectEventRowInput>, "events"> & { events?: YandexDirectEventRowInput[] },
) {
  return loadBatch(database.warehouse.pool, yandexDirectEventsTable, { events: [], ...page });
}

async function gapsOf(streamId: number) {
  return database.warehouse.db
    .selectFrom("sync.gaps")
    .selectAll()
    .where("stream_id", "=", streamId)
    .orderBy("gap_id")
    .execute();
}

async function unreadOnStream(streamId: number) {
  return database.warehouse.db
    .selectFrom("sync.streams")
    .select(["unread_events", "unread_at"])
    .where("stream_id", "=", streamId)
    .executeTakeFirstOrThrow();
}

async function freshness(streamId: number) {
  const { rows } = await sql<{
    unread_events: number | null;
    unread_known: number;
    open_gaps: number;
    unread_at: Date | null;
  }>`select unread_events, unread_known, open_gaps, unread_at from sync.stream_freshness where stream_id = ${streamId}`.execute(
    database.warehouse.db,
  );
  return rows[0];
}

describe("a gap handed to the loader", () => {
  it("commits with the page that stepped past it, before the run ends", async () => {
    // Kills: writing gaps only when the stream run ends (a SIGKILL after the page loses them).
    const stream = await newStream("with-page");
    const runId = await run();
    const events = syntheticEvents(3, { login: stream.stream_key, start: T("10:00:00") });
    await load({ streamId: stream.stream_id, runId, events, cursor: T("10:00:03"), gaps: [stepped(T("10:00:01"), 5)] });
    // No finishStreamRun: what a process killed right after this commit leaves behind.
    expect(await gapsOf(stream.stream_id)).toMatchObject([
      {
        kind: "stepped",
        at: T("10:00:01"),
        until: null,
        unread_events: 5,
        found_run_id: runId,
        last_run_id: runId,
        closed_at: null,
        closed_run_id: null,
      },
    ]);
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: 5, unread_at: T("10:00:01") });
  });

  it("is not kept when the page's transaction fails", async () => {
    // Kills: recording gaps outside the page's transaction (on another connection, or after its commit).
    const stream = await newStream("rolled-back");
    const runId = await run();
    await sql`
      create function fail_counters() returns trigger language plpgsql as $$
      begin
        if new.stream_id = ${sql.lit(stream.stream_id)} then raise exception 'simulated failure'; end if;
        return new;
      end $$;
      create trigger fail_counters before insert on sync.stream_runs for each row execute function fail_counters();
    `.execute(database.warehouse.db);
    try {
      await expect(
        load({ streamId: stream.stream_id, runId, cursor: T("11:00:00"), gaps: [stepped(T("10:59:00"), 5)] }),
      ).rejects.toThrow(/simulated failure/);
    } finally {
      await sql`drop trigger fail_counters on sync.stream_runs; drop function fail_counters()`.execute(
        database.warehouse.db,
      );
    }
    expect(await gapsOf(stream.stream_id)).toEqual([]);
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: null, unread_at: null });
  });

  it("found again by later runs keeps one row and the newer count, never the sum", async () => {
    // Kills: adding counts instead of replacing them (3, 6, 9, 12 over lookback re-reads), and a second
    // row for the same place.
    const stream = await newStream("again");
    const at = T("12:00:00.250");
    const runs = [await run(), await run(), await run()];
    for (const [i, runId] of runs.entries()) {
      await load({ streamId: stream.stream_id, runId, gaps: [stepped(at, 3, `read ${i}`)] });
      await finishStreamRun(database.warehouse.db, runId, stream.stream_id, { status: "incomplete", error: "gap" });
    }
    const last = await run();
    await load({ streamId: stream.stream_id, runId: last, gaps: [stepped(at, 4, "read 3")] });
    const rows = await gapsOf(stream.stream_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ unread_events: 4, reason: "read 3", found_run_id: runs[0], last_run_id: last });
    expect((rows[0]?.last_seen_at.getTime() ?? 0) >= (rows[0]?.found_at.getTime() ?? Infinity)).toBe(true);
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: 4, unread_at: at });
    expect(await freshness(stream.stream_id)).toEqual({
      unread_events: 4,
      unread_known: 4,
      open_gaps: 1,
      unread_at: at,
    });
  });

  it("of unknown size stays NULL: unread_events is NULL, unread_known shows the known part", async () => {
    // Kills: storing an unknown count as 0, and an unknown gap hiding a known one (or a known one hiding
    // the unknown).
    const stream = await newStream("unknown");
    const runId = await run();
    await load({
      streamId: stream.stream_id,
      runId,
      gaps: [stepped(T("13:00:01"), null, "a second with events after 100 Offset pages"), stepped(T("13:00:00"), 7)],
    });
    const rows = await gapsOf(stream.stream_id);
    expect(rows.map((r) => r.unread_events).sort()).toEqual([7, null]);
    expect(await freshness(stream.stream_id)).toEqual({
      unread_events: null,
      unread_known: 7,
      open_gaps: 2,
      unread_at: T("13:00:00"),
    });
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: null, unread_at: T("13:00:00") });
    // Found again with a count: the row's count is now known.
    await load({ streamId: stream.stream_id, runId, gaps: [stepped(T("13:00:01"), 2)] });
    expect(await freshness(stream.stream_id)).toMatchObject({ unread_events: 9, unread_known: 9, open_gaps: 2 });
    // And unknown again: it goes back to NULL, not to the old count.
    await load({ streamId: stream.stream_id, runId, gaps: [stepped(T("13:00:01"), null)] });
    expect(await freshness(stream.stream_id)).toMatchObject({ unread_events: null, unread_known: 7, open_gaps: 2 });
    // The stream run says so too: what the run found sums to unknown, not to 7 (kills counting it as 0).
    await finishStreamRun(database.warehouse.db, runId, stream.stream_id, { status: "incomplete", error: "gaps" });
    const streamRun = await database.warehouse.db
      .selectFrom("sync.stream_runs")
      .select(["unread_events", "unread_at"])
      .where("run_id", "=", runId)
      .where("stream_id", "=", stream.stream_id)
      .executeTakeFirstOrThrow();
    expect(streamRun).toEqual({ unread_events: null, unread_at: T("13:00:00") });
  });

  it("is closed by a later batch that covers its place without meeting it, and only then", async () => {
    // Kills: never closing gaps; closing gaps outside `covered` (or at its exclusive end); closing a gap
    // the batch met again.
    const stream = await newStream("closed");
    const first = await run();
    const [before, inside, again, atEnd] = [T("13:59:59"), T("14:00:10"), T("14:00:20"), T("14:01:00")];
    await load({
      streamId: stream.stream_id,
      runId: first,
      gaps: [stepped(before, 1), stepped(inside, 2), stepped(again, 3), stepped(atEnd, 4)],
    });
    const second = await run();
    const result = await load({
      streamId: stream.stream_id,
      runId: second,
      covered: { from: T("14:00:00"), to: atEnd },
      gaps: [stepped(again, 5)],
    });
    expect(result).toEqual({ inserted: 0, duplicates: 0, rejects: 0 });
    const rows = Object.fromEntries((await gapsOf(stream.stream_id)).map((r) => [r.at.toISOString(), r]));
    expect(rows[inside.toISOString()]).toMatchObject({ closed_run_id: second, last_run_id: first });
    expect(rows[inside.toISOString()]?.closed_at).toBeInstanceOf(Date);
    for (const open of [before, again, atEnd]) expect(rows[open.toISOString()]?.closed_at).toBeNull();
    expect(rows[again.toISOString()]).toMatchObject({ unread_events: 5, last_run_id: second });
    expect(await freshness(stream.stream_id)).toEqual({
      unread_events: 10,
      unread_known: 10,
      open_gaps: 3,
      unread_at: before,
    });
    // Found again after it was closed: a new open row, the closed one stays as history.
    await load({ streamId: stream.stream_id, runId: second, gaps: [stepped(inside, 2)] });
    expect((await gapsOf(stream.stream_id)).filter((r) => r.at.getTime() === inside.getTime())).toHaveLength(2);
    // A complete read of everything closes the rest; the stream's unread columns follow.
    await load({ streamId: stream.stream_id, runId: second, covered: { from: T("00:00:00"), to: T("23:00:00") } });
    expect(await freshness(stream.stream_id)).toEqual({
      unread_events: null,
      unread_known: 0,
      open_gaps: 0,
      unread_at: null,
    });
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: null, unread_at: null });
  });

  it("is refused before any transaction when it does not fit", async () => {
    // Kills: storing a count of 0 for "unknown", or a gap without a place, instead of refusing it.
    const stream = await newStream("refused");
    const runId = await run();
    for (const [gaps, covered, field] of [
      [[stepped(T("15:00:00"), 0)], undefined, "gaps"],
      [[stepped(new Date(Number.NaN), 1)], undefined, "gaps"],
      [[{ ...stepped(T("15:00:00"), 1), kind: "count" }], undefined, "gaps"],
      [[{ ...stepped(T("15:00:00"), 1), until: T("14:00:00") }], undefined, "gaps"],
      [[stepped(T("15:00:00"), 1, "")], undefined, "gaps"],
      [[], { from: T("16:00:00"), to: T("15:00:00") }, "covered"],
    ] as const) {
      const error = await load({
        streamId: stream.stream_id,
        runId,
        gaps: gaps as readonly GapRecord[],
        ...(covered ? { covered } : {}),
      }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(LoaderInputError);
      expect((error as LoaderInputError).field).toBe(field);
    }
    expect(await gapsOf(stream.stream_id)).toEqual([]);
  });
});

describe("a stream run's end", () => {
  it("replaces the open count gap, then closes it with null, and leaves it alone when not checked", async () => {
    // Kills: adding a count gap to the last one; keeping one row per check; null not closing it;
    // undefined (not checked) closing it.
    const stream = await newStream("count");
    const runs = [await run(), await run(), await run(), await run()];
    const finish = async (runId: number, countGap?: { at: Date; unread: number; reason: string } | null) => {
      await openStreamRun(database.warehouse.db, runId, stream.stream_id);
      await finishStreamRun(database.warehouse.db, runId, stream.stream_id, {
        status: countGap ? "incomplete" : "succeeded",
        error: null,
        ...(countGap === undefined ? {} : { countGap }),
      });
      return database.warehouse.db
        .selectFrom("sync.stream_runs")
        .select(["unread_events", "unread_at"])
        .where("run_id", "=", runId)
        .where("stream_id", "=", stream.stream_id)
        .executeTakeFirstOrThrow();
    };
    expect(await finish(runs[0] as number, { at: T("16:00:00"), unread: 7, reason: "total_count 107" })).toEqual({
      unread_events: 7,
      unread_at: T("16:00:00"),
    });
    expect(await finish(runs[1] as number, { at: T("16:30:00"), unread: 4, reason: "total_count 104" })).toEqual({
      unread_events: 4,
      unread_at: T("16:30:00"),
    });
    expect(await gapsOf(stream.stream_id)).toMatchObject([
      { kind: "count", at: T("16:30:00"), unread_events: 4, reason: "total_count 104", found_run_id: runs[0] },
    ]);
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: 4, unread_at: T("16:30:00") });
    // Not checked: the gap stays open; this run found nothing itself.
    expect(await finish(runs[2] as number)).toEqual({ unread_events: null, unread_at: null });
    expect((await gapsOf(stream.stream_id))[0]?.closed_at).toBeNull();
    // Checked, no shortfall: closed.
    await finish(runs[3] as number, null);
    expect(await gapsOf(stream.stream_id)).toMatchObject([{ kind: "count", closed_run_id: runs[3] }]);
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: null, unread_at: null });
  });

  it("sums the gaps this run found on its stream-run row, even when the engine passes nothing", async () => {
    // Kills: taking the run's unread from the engine's summary, or from the stream's older gaps.
    const stream = await newStream("run-row");
    const earlier = await run();
    await load({ streamId: stream.stream_id, runId: earlier, gaps: [stepped(T("17:00:00"), 9)] });
    const runId = await run();
    await openStreamRun(database.warehouse.db, runId, stream.stream_id);
    await load({
      streamId: stream.stream_id,
      runId,
      gaps: [stepped(T("17:10:00"), 2), stepped(T("17:20:00"), 3)],
    });
    await finishStreamRun(database.warehouse.db, runId, stream.stream_id, { status: "incomplete", error: "gaps" });
    const row = await database.warehouse.db
      .selectFrom("sync.stream_runs")
      .select(["unread_events", "unread_at"])
      .where("run_id", "=", runId)
      .where("stream_id", "=", stream.stream_id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ unread_events: 5, unread_at: T("17:10:00") });
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: 14, unread_at: T("17:00:00") });
  });
});

describe("a reset before an open gap", () => {
  it("keeps the gap open and shown until the re-read covers its place", async () => {
    // Kills: a reset clearing the count by itself (status then shows a stream whose events are still
    // missing as whole).
    const stream = await newStream("reset");
    const runId = await run();
    await load({ streamId: stream.stream_id, runId, cursor: T("19:10:00"), gaps: [stepped(T("19:00:00"), 6)] });
    await resetStream(database.warehouse.db, stream.stream_id, T("18:00:00"));
    expect(await unreadOnStream(stream.stream_id)).toEqual({ unread_events: 6, unread_at: T("19:00:00") });
    const shown = (await streamStatuses(database.warehouse.db)).find((r) => r.stream === "reset");
    expect(shown).toMatchObject({ unread_events: 6, open_gaps: 1, unread_at: T("19:00:00") });
    const reread = await run();
    await load({ streamId: stream.stream_id, runId: reread, covered: { from: T("18:00:00"), to: T("19:10:00") } });
    expect((await streamStatuses(database.warehouse.db)).find((r) => r.stream === "reset")).toMatchObject({
      unread_events: null,
      open_gaps: 0,
      unread_at: null,
    });
  });
});

describe("status and metrics", () => {
  it("show a gap of unknown size as unknown, never as 0, -1 or ?", async () => {
    // Kills: showing an unknown count as 0 or "?" in status, and as -1 (or the unknown part as 0 events
    // without saying so) in /metrics.
    const [unknown, mixed, known, none] = [
      await newStream("s-unknown"),
      await newStream("s-mixed"),
      await newStream("s-known"),
      await newStream("s-none"),
    ];
    const runId = await run();
    await load({ streamId: unknown.stream_id, runId, gaps: [stepped(T("20:00:00"), null)] });
    await load({ streamId: mixed.stream_id, runId, gaps: [stepped(T("20:00:00"), 12), stepped(T("20:00:01"), null)] });
    await load({ streamId: known.stream_id, runId, gaps: [stepped(T("20:00:00"), 12)] });

    const rows = await streamStatuses(database.warehouse.db);
    const by = Object.fromEntries(rows.map((r) => [r.stream, r]));
    expect(by["s-unknown"]).toMatchObject({ unread_events: null, unread_known: 0, open_gaps: 1, unknown_gaps: 1 });
    expect(by["s-mixed"]).toMatchObject({ unread_events: null, unread_known: 12, open_gaps: 2, unknown_gaps: 1 });
    expect(by["s-known"]).toMatchObject({ unread_events: 12, unread_known: 12, open_gaps: 1, unknown_gaps: 0 });
    expect(by["s-none"]).toMatchObject({ unread_events: null, unread_at: null, open_gaps: 0 });
    const from = "from 2026-03-01T20:00:00Z";
    expect(describeUnread(by["s-unknown"] as (typeof rows)[number])).toBe(`unknown ${from}`);
    expect(describeUnread(by["s-mixed"] as (typeof rows)[number])).toBe(`≥ 12 (+1 gap of unknown size) ${from}`);
    expect(describeUnread(by["s-known"] as (typeof rows)[number])).toBe(`12 ${from}`);
    expect(describeUnread(by["s-none"] as (typeof rows)[number])).toBe("-");
    const table = statusTable(rows);
    expect(table).toContain(`unknown ${from}`);
    expect(table).not.toMatch(/\?|(^|\s)0 from/m);

    const summaries = await openGapSummaries(database.warehouse.db, [unknown.stream_id, none.stream_id]);
    expect([...summaries.keys()]).toEqual([unknown.stream_id]);

    const metrics = await createDaemonMetrics().render(database.warehouse);
    const series = (name: string, stream: string, extra = "") =>
      new RegExp(`^${name}\\{source="yandex_direct",account="gaps",stream="${stream}"${extra}\\} (-?\\d+)$`, "m").exec(
        metrics,
      )?.[1];
    expect(series("eventlog_sync_stream_unread_events", "s-unknown")).toBe("0");
    expect(series("eventlog_sync_stream_unread_events", "s-mixed")).toBe("12");
    expect(series("eventlog_sync_stream_unread_events", "s-known")).toBe("12");
    expect(series("eventlog_sync_stream_unread_events", "s-none")).toBeUndefined();
    expect(series("eventlog_sync_stream_gaps", "s-unknown", ',count="unknown"')).toBe("1");
    expect(series("eventlog_sync_stream_gaps", "s-unknown", ',count="known"')).toBe("0");
    expect(series("eventlog_sync_stream_gaps", "s-mixed", ',count="known"')).toBe("1");
    expect(series("eventlog_sync_stream_gaps", "s-mixed", ',count="unknown"')).toBe("1");
    expect(series("eventlog_sync_stream_gaps", "s-none", ',count="unknown"')).toBe("0");
    expect(metrics).not.toMatch(/^eventlog_sync_stream_unread_events\{.*\} -1$/m);
  });
});

describe("the migration", () => {
  let own: TestDatabase;
  beforeAll(async () => {
    own = await createTestDatabase();
  });
  afterAll(async () => {
    await own?.drop();
  });

  it("carries each stream's unread count over as one open gap, a 0 (the old unknown) as NULL", async () => {
    // Kills: dropping the counts streams held before, and carrying the old sum's 0-for-unknown over as 0.
    const db = own.warehouse.db;
    const later = Object.keys(migrations).filter((name) => name > "2026-12-03T0900_gaps").length;
    const reverted = (await migrateDown(db, later + 1)).at(-1);
    expect(reverted?.migrationName).toBe("2026-12-03T0900_gaps");
    // Reverted, the view still has a comment on every column.
    const uncommented = await sql<{ name: string }>`
      select a.attname as name from pg_attribute a
       where a.attrelid = 'sync.stream_freshness'::regclass and a.attnum > 0 and not a.attisdropped
         and col_description(a.attrelid, a.attnum) is null`.execute(db);
    expect(uncommented.rows).toEqual([]);
    const insert = (key: string, unread: number | null, at: Date | null) =>
      sql`insert into sync.streams (source, account, stream_key, unread_events, unread_at)
          values ('altcraft', 'old', ${key}, ${unread}, ${at}) returning stream_id`.execute(db);
    await insert("1", 5, T("21:00:00"));
    await insert("2", 0, T("21:30:00"));
    await insert("3", null, null);
    await migrateToLatest(db);
    const gaps = await sql<{ stream_key: string; kind: string; at: Date; unread_events: number | null }>`
      select s.stream_key, g.kind, g.at, g.unread_events
        from sync.gaps g join sync.streams s using (stream_id)
       where g.closed_at is null order by s.stream_key`.execute(db);
    expect(gaps.rows).toEqual([
      { stream_key: "1", kind: "stepped", at: T("21:00:00"), unread_events: 5 },
      { stream_key: "2", kind: "stepped", at: T("21:30:00"), unread_events: null },
    ]);
    const view = await sql<{ stream: string; unread_events: number | null; unread_known: number; open_gaps: number }>`
      select stream, unread_events, unread_known, open_gaps from sync.stream_freshness
       where account = 'old' order by stream`.execute(db);
    expect(view.rows).toEqual([
      { stream: "1", unread_events: 5, unread_known: 5, open_gaps: 1 },
      { stream: "2", unread_events: null, unread_known: 0, open_gaps: 1 },
      { stream: "3", unread_events: null, unread_known: 0, open_gaps: 0 },
    ]);
  });
});
