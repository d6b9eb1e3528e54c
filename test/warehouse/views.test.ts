// The analysts' views (campaign runs, money movements, stream freshness) answer correctly and to a read-only role.
import { randomBytes, randomUUID } from "node:crypto";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { down, up } from "../../migrations/2026-11-23T1600_analyst-views.js";
import { upsertCampaigns } from "../../src/warehouse/campaigns.repository.js";
import {
  type CampaignLogRowInput,
  campaignLogTable,
  type YandexDirectEventRowInput,
  yandexDirectEventsTable,
} from "../../src/warehouse/copy.columns.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { finishRun } from "../../src/warehouse/runs.repository.js";
import { startRun } from "../support/runs.js";
import { openStreamRun, finishStreamRun } from "../../src/warehouse/stream-runs.repository.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
let testStartedAt: Date;
const runs = { first: 0, second: 0, third: 0 };
const streams = { spring: 0, digest: 0, otherSpring: 0, clientA: 0, clientB: 0, clientC: 0 };

// ---- Altcraft campaign log -------------------------------------------------------------------------

function logRow(
  account: string,
  campaignId: number,
  time: string,
  level: string,
  message: string,
  state = "",
  value = "",
  valueMs: number | null = null,
): CampaignLogRowInput {
  return {
    event_key: randomUUID(),
    account,
    campaign_id: campaignId,
    time: new Date(time),
    level,
    message,
    state,
    value,
    value_ms: valueMs,
    occurrence: 0,
    raw: JSON.stringify({ level, message, time, state, value }),
  };
}
const begin = (account: string, id: number, time: string) =>
  logRow(account, id, time, "INFO", "Begin campaign", "start");
const finish = (account: string, id: number, time: string) =>
  logRow(account, id, time, "INFO", "Campaign finished", "end");
const total = (account: string, id: number, time: string, value: string, ms: number) =>
  logRow(account, id, time, "INFO", "Total time spent", "", value, ms);

// main/101 "Spring sale": two finished runs, then one still running.
const spring = [
  begin("main", 101, "2026-03-01T10:00:00.000Z"),
  logRow("main", 101, "2026-03-01T10:00:00.000Z", "WARNING", "Soft bounce"), // same millisecond as the start
  logRow("main", 101, "2026-03-01T10:00:01.000Z", "WARNING", "Retrying batch"),
  logRow("main", 101, "2026-03-01T10:00:01.500Z", "DEBUG", "Batch queued"),
  logRow("main", 101, "2026-03-01T10:00:02.000Z", "ERROR", "Hard bounce"),
  finish("main", 101, "2026-03-01T10:00:03.500Z"),
  total("main", 101, "2026-03-01T10:00:03.501Z", "3.501234s", 3501.234),
  logRow("main", 101, "2026-03-01T10:00:05.000Z", "WARNING", "Late delivery report"), // after the end: not the run's
  begin("main", 101, "2026-03-01T11:00:00.000Z"),
  logRow("main", 101, "2026-03-01T11:00:00.100Z", "ERROR", "SMTP connection refused"),
  finish("main", 101, "2026-03-01T11:00:01.000Z"),
  total("main", 101, "2026-03-01T11:00:01.000Z", "1s", 1000), // same millisecond as the end (a deactivated run)
  begin("main", 101, "2026-03-01T12:00:00.000Z"),
  logRow("main", 101, "2026-03-01T12:00:00.500Z", "WARNING", "Slow SMTP response"),
];
// main/202 "Weekly digest", interleaved in time with the first run of 101; its second run starts in the
// millisecond its first one ends; its first run has no "Total time spent" row.
const digest = [
  begin("main", 202, "2026-03-01T10:00:00.500Z"),
  logRow("main", 202, "2026-03-01T10:00:02.500Z", "WARNING", "Soft bounce"),
  finish("main", 202, "2026-03-01T10:00:04.000Z"),
  begin("main", 202, "2026-03-01T10:00:04.000Z"),
  logRow("main", 202, "2026-03-01T10:00:05.000Z", "INFO", "Messages sent", "", "120"),
  finish("main", 202, "2026-03-01T10:00:06.000Z"),
  total("main", 202, "2026-03-01T10:00:06.001Z", "2.0005s", 2000.5),
];
// other/101: another account with the same campaign id, never listed, whose log held begins inside a run.
const otherSpring = [
  logRow("other", 101, "2026-03-01T09:00:00.000Z", "ERROR", "Hard bounce"),
  finish("other", 101, "2026-03-01T09:00:01.000Z"),
  total("other", 101, "2026-03-01T09:00:01.001Z", "5m0s", 300_000),
  begin("other", 101, "2026-03-01T09:30:00.000Z"),
];

// ---- Yandex.Direct events --------------------------------------------------------------------------

interface Money {
  campaign_id?: number;
  account_id?: number;
  payed?: string;
  rest?: string;
  currency: string;
}

function event(login: string, time: string, type: string, money: Money): YandexDirectEventRowInput {
  return {
    event_key: randomUUID(),
    account: "agency",
    login,
    event_time: new Date(time),
    event_type: type,
    event_name: type,
    campaign_id: money.campaign_id ?? null,
    banner_id: null,
    phrase_id: null,
    account_id: money.account_id ?? null,
    text_description: null,
    moderation_result: null,
    is_edited_by_moderator: null,
    min_price: null,
    rest: money.rest ?? null,
    payed: money.payed ?? null,
    currency: money.currency,
    finish_date: null,
    old_place: null,
    stop_time: null,
    occurrence: 0,
    raw: JSON.stringify({ EventType: type, Timestamp: time, ...money }),
  };
}

const clientA = [
  event("client-a", "2026-03-01T08:00:00Z", "MoneyIn", { campaign_id: 5001, payed: "1000.50", currency: "RUB" }),
  event("client-a", "2026-03-01T09:00:00Z", "MoneyIn", { campaign_id: 5001, payed: "200.25", currency: "RUB" }),
  event("client-a", "2026-03-01T12:00:00Z", "MoneyIn", { account_id: 9001, payed: "3000.00", currency: "RUB" }), // shared account
  event("client-a", "2026-03-01T20:00:00Z", "MoneyWarning", { campaign_id: 5001, rest: "150.00", currency: "RUB" }),
  event("client-a", "2026-03-01T22:00:00Z", "MoneyWarning", { campaign_id: 5001, rest: "50.10", currency: "RUB" }),
  event("client-a", "2026-03-01T23:59:59Z", "MoneyOut", { campaign_id: 5001, rest: "0.00", currency: "RUB" }),
  event("client-a", "2026-03-02T00:00:00Z", "MoneyIn", { campaign_id: 5001, payed: "500.00", currency: "RUB" }),
  event("client-a", "2026-03-02T10:00:00Z", "MoneyWarning", { campaign_id: 5001, rest: "75.50", currency: "RUB" }),
  event("client-a", "2026-03-03T10:00:00Z", "BannerModerated", { campaign_id: 5001, currency: "RUB" }), // not money
];
const clientB = [
  event("client-b", "2026-03-01T10:00:00Z", "MoneyIn", { campaign_id: 6001, payed: "99.99", currency: "USD" }),
  event("client-b", "2026-03-02T11:00:00Z", "MoneyWarning", { campaign_id: 6001, rest: "10.00", currency: "USD" }),
  event("client-b", "2026-03-02T11:30:00Z", "MoneyOut", { campaign_id: 6001, currency: "USD" }), // reports no rest
];

// ---- Loading, as the sync does it ------------------------------------------------------------------

// Rows go in reversed: the views must not depend on the order rows were stored in.
async function loadLog(streamId: number, runId: number, rows: readonly CampaignLogRowInput[], cursor: string) {
  await loadBatch(database.warehouse.pool, campaignLogTable, {
    streamId,
    runId,
    events: [...rows].reverse(),
    cursor: new Date(cursor),
  });
}
async function loadEvents(streamId: number, runId: number, rows: readonly YandexDirectEventRowInput[], cursor: string) {
  await loadBatch(database.warehouse.pool, yandexDirectEventsTable, {
    streamId,
    runId,
    events: [...rows].reverse(),
    cursor: new Date(cursor),
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  testStartedAt = new Date(Date.now() - 1000);
  const db = database.warehouse.db;
  runs.first = await startRun(db, "sync");
  const id = async (source: "altcraft" | "yandex_direct", account: string, streamKey: string) =>
    (await ensureStream(db, { source, account, streamKey })).stream_id;
  streams.spring = await id("altcraft", "main", "101");
  streams.digest = await id("altcraft", "main", "202");
  streams.otherSpring = await id("altcraft", "other", "101");
  streams.clientA = await id("yandex_direct", "agency", "client-a");
  streams.clientB = await id("yandex_direct", "agency", "client-b");
  streams.clientC = await id("yandex_direct", "agency", "client-c"); // configured, never synced
  await upsertCampaigns(db, "main", [
    {
      campaign_id: 101,
      name: "Spring sale",
      type: "broadcast",
      is_active: true,
      ui_tags: null,
      groups: null,
      raw: { id: 101 },
    },
    {
      campaign_id: 202,
      name: "Weekly digest",
      type: "regular",
      is_active: true,
      ui_tags: null,
      groups: null,
      raw: { id: 202 },
    },
  ]);

  // Run 1: 101 succeeds, 202 stops at the tariff limit, other/101 is still in flight, both logins succeed.
  await openStreamRun(db, runs.first, streams.spring);
  await loadLog(streams.spring, runs.first, spring, "2026-03-01T12:00:00.500Z");
  await finishStreamRun(db, runs.first, streams.spring, { status: "succeeded", error: null, completenessGap: 0 });
  await openStreamRun(db, runs.first, streams.digest);
  await loadLog(streams.digest, runs.first, digest, "2026-03-01T10:00:06.001Z");
  await finishStreamRun(db, runs.first, streams.digest, {
    status: "partial",
    error: "Altcraft 402: tariff limit reached",
    completenessGap: 4,
  });
  await openStreamRun(db, runs.first, streams.otherSpring);
  await loadLog(streams.otherSpring, runs.first, otherSpring, "2026-03-01T09:30:00.000Z");
  await openStreamRun(db, runs.first, streams.clientA);
  await loadEvents(streams.clientA, runs.first, clientA, "2026-03-03T10:00:00Z");
  await finishStreamRun(db, runs.first, streams.clientA, { status: "succeeded", error: null });
  await openStreamRun(db, runs.first, streams.clientB);
  await loadEvents(streams.clientB, runs.first, clientB, "2026-03-02T11:30:00Z");
  await finishStreamRun(db, runs.first, streams.clientB, { status: "succeeded", error: null });

  // Run 2: client-a fails; run 3: another process held client-a, which does not hide run 2.
  runs.second = await startRun(db, "sync");
  await openStreamRun(db, runs.second, streams.clientA);
  await finishStreamRun(db, runs.second, streams.clientA, {
    status: "failed",
    error: "Yandex.Direct 53: authorization error",
  });
  runs.third = await startRun(db, "sync");
  await finishRun(db, runs.third, "succeeded", null, { streamsSkipped: 1 });
});

afterAll(async () => {
  await database.drop();
});

/** Dates as ISO strings, so rows compare as plain data. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}

describe("altcraft.campaign_runs", () => {
  it("pairs each start with its end: finished and running runs, several runs of a campaign, interleaved campaigns", async () => {
    const result = await sql<Record<string, unknown>>`
      select account, campaign_id, campaign_name, started_at, finished_at, duration::text as duration, duration_ms,
             time_spent_ms, warnings, errors, status
        from altcraft.campaign_runs
       order by account, campaign_id, started_at`.execute(database.warehouse.db);
    const run = (
      account: string,
      campaign_id: number,
      campaign_name: string | null,
      started_at: string,
      finished_at: string | null,
      duration: string | null,
      duration_ms: number | null,
      time_spent_ms: number | null,
      warnings: number,
      errors: number,
    ) => ({
      account,
      campaign_id,
      campaign_name,
      started_at,
      finished_at,
      duration,
      duration_ms,
      time_spent_ms,
      warnings,
      errors,
      status: finished_at === null ? "running" : "finished",
    });
    expect(result.rows.map(plain)).toEqual([
      run(
        "main",
        101,
        "Spring sale",
        "2026-03-01T10:00:00.000Z",
        "2026-03-01T10:00:03.500Z",
        "00:00:03.5",
        3500,
        3501.234,
        2,
        1,
      ),
      run(
        "main",
        101,
        "Spring sale",
        "2026-03-01T11:00:00.000Z",
        "2026-03-01T11:00:01.000Z",
        "00:00:01",
        1000,
        1000,
        0,
        1,
      ),
      run("main", 101, "Spring sale", "2026-03-01T12:00:00.000Z", null, null, null, null, 1, 0),
      run(
        "main",
        202,
        "Weekly digest",
        "2026-03-01T10:00:00.500Z",
        "2026-03-01T10:00:04.000Z",
        "00:00:03.5",
        3500,
        null,
        1,
        0,
      ),
      run(
        "main",
        202,
        "Weekly digest",
        "2026-03-01T10:00:04.000Z",
        "2026-03-01T10:00:06.000Z",
        "00:00:02",
        2000,
        2000.5,
        0,
        0,
      ),
      // The rows before the first start held (the end of an earlier run) belong to no run.
      run("other", 101, null, "2026-03-01T09:30:00.000Z", null, null, null, null, 0, 0),
    ]);
  });

  it("reads runs from their own table: a time range never touches the log", async () => {
    const plan = await sql<{ "QUERY PLAN": string }>`
      explain (costs off) select * from altcraft.campaign_runs
       where started_at >= '2026-03-01T10:30:00Z' and started_at < '2026-03-01T11:30:00Z'`.execute(
      database.warehouse.db,
    );
    const text = plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
    expect(text).not.toMatch(/campaign_log|WindowAgg|SubPlan/);
    expect(text).toMatch(/on runs/);
  });

  it("keeps the same runs whatever pages and order the log rows arrive in, and after rows are deleted", async () => {
    const db = database.warehouse.db;
    const runsOf = async (account: string) =>
      (
        await sql<Record<string, unknown>>`
          select campaign_id, started_at, finished_at, time_spent_ms, warnings, errors, status
            from altcraft.campaign_runs where account = ${account} order by campaign_id, started_at`.execute(db)
      ).rows.map(plain);
    const expected = await runsOf("main");
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 6; trial++) {
      const account = `pieces-${trial}`;
      const streamId = (await ensureStream(db, { source: "altcraft", account, streamKey: String(9000 + trial) }))
        .stream_id;
      const rows = [...spring, ...digest].map((r) => ({ ...r, event_key: randomUUID(), account }));
      // Random pages in a random order: late rows, starts arriving after the rows of their run.
      const shuffled =
        trial === 0
          ? rows
          : rows
              .map((r) => ({ r, k: random() }))
              .sort((a, b) => a.k - b.k)
              .map((x) => x.r);
      for (let at = 0; at < shuffled.length;) {
        const size = 1 + Math.floor(random() * 4);
        await loadLog(streamId, runs.first, shuffled.slice(at, at + size), "2026-03-01T12:00:00.500Z");
        at += size;
      }
      expect(await runsOf(account), account).toEqual(expected);
    }
    // Deleting the rows of the last run of 101 removes it; the earlier runs stay as they were.
    await sql`delete from altcraft.campaign_log where account = 'pieces-1' and campaign_id = 101 and time >= '2026-03-01T12:00:00Z'`.execute(
      db,
    );
    expect(await runsOf("pieces-1")).toEqual(
      expected.filter((r) => !(r.campaign_id === 101 && r.started_at === "2026-03-01T12:00:00.000Z")),
    );
    // Leave the warehouse as the other tests expect it.
    await sql`delete from altcraft.campaign_log where account like 'pieces-%'`.execute(db);
    expect((await sql`select 1 from altcraft.runs where account like 'pieces-%'`.execute(db)).rows).toEqual([]);
    await sql`delete from sync.stream_runs where stream_id in (select stream_id from sync.streams where account like 'pieces-%')`.execute(
      db,
    );
    await sql`delete from sync.streams where account like 'pieces-%'`.execute(db);
  });
});

describe("yandex_direct.money_movements", () => {
  it("sums credits and takes the last rest per login, campaign or shared account, UTC day and currency", async () => {
    const query = `select account, login, campaign_id, account_id, day::text as day, currency, money_in, money_in_count, last_rest, money_warnings, money_outs
                     from yandex_direct.money_movements order by login, day, campaign_id nulls last`;
    // The day is the UTC day whatever the session's time zone.
    const client = await database.warehouse.pool.connect();
    let rows: Array<Record<string, unknown>>;
    try {
      await client.query("set time zone 'Asia/Tokyo'");
      rows = (await client.query<Record<string, unknown>>(query)).rows;
    } finally {
      await client.query("reset time zone");
      client.release();
    }
    const day = (
      login: string,
      campaign_id: number | null,
      account_id: number | null,
      d: string,
      currency: string,
      money_in: string,
      money_in_count: number,
      last_rest: string | null,
      money_warnings: number,
      money_outs: number,
    ) => ({
      account: "agency",
      login,
      campaign_id,
      account_id,
      day: d,
      currency,
      money_in,
      money_in_count,
      last_rest,
      money_warnings,
      money_outs,
    });
    expect(rows).toEqual([
      day("client-a", 5001, null, "2026-03-01", "RUB", "1200.75", 2, "0.00", 2, 1),
      day("client-a", null, 9001, "2026-03-01", "RUB", "3000.00", 1, null, 0, 0),
      day("client-a", 5001, null, "2026-03-02", "RUB", "500.00", 1, "75.50", 1, 0),
      day("client-b", 6001, null, "2026-03-01", "USD", "99.99", 1, null, 0, 0),
      // The last event of the day is a MoneyOut without a rest: the rest is unknown, not the earlier warning's.
      day("client-b", 6001, null, "2026-03-02", "USD", "0", 0, null, 1, 1),
    ]);
  });
});

describe("sync.stream_freshness", () => {
  it("shows each stream's cursor, newest event, lag since its last complete read, rows held and last run", async () => {
    const result = await sql<Record<string, unknown>>`
      select * from sync.stream_freshness order by source, account, stream`.execute(database.warehouse.db);
    const after = Date.now();
    const recent = (value: unknown) =>
      value instanceof Date && value.getTime() >= testStartedAt.getTime() && value.getTime() <= after;
    // Lag counts from the last complete read, or from when the stream was first seen: never from the cursor.
    const check = await sql<{ ok: boolean }>`
      select bool_and(f.lag = now() - coalesce(f.last_read_at, s.created_at)
                      and f.lag_seconds = floor(extract(epoch from now() - coalesce(f.last_read_at, s.created_at)))) as ok
        from sync.stream_freshness f join sync.streams s using (stream_id)`.execute(database.warehouse.db);
    expect(check.rows[0]?.ok).toBe(true);
    for (const row of result.rows) expect(row.lag_seconds).toBeLessThan(600);

    const shown = result.rows.map((row) => ({
      ...plain(row),
      lag: undefined,
      lag_seconds: undefined,
      last_read_at: row.last_read_at === null ? null : recent(row.last_read_at) ? "recent" : row.last_read_at,
      last_success_at:
        row.last_success_at === null ? null : recent(row.last_success_at) ? "recent" : row.last_success_at,
      last_run_finished_at:
        row.last_run_finished_at === null
          ? null
          : recent(row.last_run_finished_at)
            ? "recent"
            : row.last_run_finished_at,
    }));
    const stream = (
      stream_id: number,
      source: string,
      account: string,
      name: string,
      status: string,
      cursor: string | null,
      last_event_at: string | null,
      last_read_at: string | null,
      last_success_at: string | null,
      last_error: string | null,
      rows_held: number,
      last_run_id: number | null,
      last_run_status: string | null,
      last_run_finished_at: string | null,
      completeness_gap: number | null,
    ) => ({
      stream_id,
      source,
      account,
      stream: name,
      status,
      cursor,
      last_event_at,
      last_read_at,
      lag: undefined,
      lag_seconds: undefined,
      last_success_at,
      last_error,
      rows_held,
      last_run_id,
      last_run_status,
      last_run_finished_at,
      completeness_gap,
      unread_events: null,
      unread_at: null,
      retired_at: null,
      unread_known: 0,
      open_gaps: 0,
    });
    expect(shown).toEqual([
      stream(
        streams.spring,
        "altcraft",
        "main",
        "101",
        "succeeded",
        "2026-03-01T12:00:00.500Z",
        "2026-03-01T12:00:00.500Z",
        "recent",
        "recent",
        null,
        spring.length,
        runs.first,
        "succeeded",
        "recent",
        0,
      ),
      stream(
        streams.digest,
        "altcraft",
        "main",
        "202",
        "partial",
        "2026-03-01T10:00:06.001Z",
        "2026-03-01T10:00:06.001Z",
        null,
        null,
        "Altcraft 402: tariff limit reached",
        digest.length,
        runs.first,
        "partial",
        "recent",
        4,
      ),
      stream(
        streams.otherSpring,
        "altcraft",
        "other",
        "101",
        "running",
        "2026-03-01T09:30:00.000Z",
        "2026-03-01T09:30:00.000Z",
        null,
        null,
        null,
        otherSpring.length,
        runs.first,
        "running",
        null,
        null,
      ),
      // Failed in run 2: its last complete read is still run 1's.
      stream(
        streams.clientA,
        "yandex_direct",
        "agency",
        "client-a",
        "failed",
        "2026-03-03T10:00:00.000Z",
        "2026-03-03T10:00:00.000Z",
        "recent",
        "recent",
        "Yandex.Direct 53: authorization error",
        clientA.length,
        runs.second,
        "failed",
        "recent",
        null,
      ),
      stream(
        streams.clientB,
        "yandex_direct",
        "agency",
        "client-b",
        "succeeded",
        "2026-03-02T11:30:00.000Z",
        "2026-03-02T11:30:00.000Z",
        "recent",
        "recent",
        null,
        clientB.length,
        runs.first,
        "succeeded",
        "recent",
        null,
      ),
      stream(
        streams.clientC,
        "yandex_direct",
        "agency",
        "client-c",
        "new",
        null,
        null,
        null,
        null,
        null,
        0,
        null,
        null,
        null,
        null,
      ),
    ]);
  });
});

describe("views", () => {
  it("are all commented, and so is every column", async () => {
    const views = await sql<{ name: string }>`
      select n.nspname || '.' || c.relname as name
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('sync', 'altcraft', 'yandex_direct') and c.relkind in ('v', 'm')
       order by 1`.execute(database.warehouse.db);
    expect(views.rows.map((r) => r.name)).toEqual([
      "altcraft.campaign_runs",
      "sync.stream_freshness",
      "yandex_direct.money_movements",
    ]);
    const missing = await sql<{ item: string }>`
      select n.nspname || '.' || c.relname as item
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('sync', 'altcraft', 'yandex_direct') and c.relkind in ('v', 'm')
         and coalesce(obj_description(c.oid, 'pg_class'), '') = ''
      union all
      select n.nspname || '.' || c.relname || '.' || a.attname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       where n.nspname in ('sync', 'altcraft', 'yandex_direct') and c.relkind in ('v', 'm')
         and coalesce(col_description(c.oid, a.attnum), '') = ''`.execute(database.warehouse.db);
    expect(missing.rows.map((r) => r.item)).toEqual([]);
  });

  it("can be read by a read-only BI role, which cannot write", async () => {
    const role = `bi_reader_${randomBytes(6).toString("hex")}`;
    const password = randomBytes(18).toString("base64url");
    const db = database.warehouse.db;
    // The statements of the README ("Querying from BI tools"), run by the role that owns the tables.
    await sql
      .raw(
        `
      create role ${role} login password '${password}';
      grant connect on database ${database.name} to ${role};
      grant usage on schema altcraft, yandex_direct, sync to ${role};
      grant select on all tables in schema altcraft, yandex_direct, sync to ${role};
      alter default privileges in schema altcraft, yandex_direct, sync grant select on tables to ${role};
    `,
      )
      .execute(db);
    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    const reader = new pg.Client({ connectionString: url.toString() });
    try {
      await reader.connect();
      const counts = await reader.query<{ runs: number; money: number; streams: number; events: number }>(`
        select (select count(*)::int from altcraft.campaign_runs) as runs,
               (select count(*)::int from yandex_direct.money_movements) as money,
               (select count(*)::int from sync.stream_freshness) as streams,
               (select count(*)::int from yandex_direct.events) as events`);
      expect(counts.rows[0]).toEqual({ runs: 6, money: 5, streams: 6, events: clientA.length + clientB.length });
      await expect(reader.query("insert into sync.runs (command, host, pid) values ('bi', 'bi', 1)")).rejects.toThrow(
        /permission denied/,
      );
      await expect(reader.query("delete from altcraft.campaign_log")).rejects.toThrow(/permission denied/);
      await expect(reader.query("update sync.streams set cursor = null")).rejects.toThrow(/permission denied/);
      await expect(reader.query("create table altcraft.scratch (x int)")).rejects.toThrow(/permission denied/);
      // Tables and views a later migration creates are readable too (default privileges).
      await sql`create view altcraft.bi_probe as select 1 as one`.execute(db);
      expect((await reader.query("select one from altcraft.bi_probe")).rows).toEqual([{ one: 1 }]);
    } finally {
      await reader.end().catch(() => undefined);
      await sql`drop view if exists altcraft.bi_probe`.execute(db);
      await sql.raw(`drop owned by ${role}; drop role ${role}`).execute(db);
    }
  });

  it("are dropped by the migration's down and created again by its up", async () => {
    const db = database.warehouse.db as unknown as Kysely<unknown>;
    const count = async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from pg_views where schemaname in ('sync', 'altcraft', 'yandex_direct')`.execute(
          db,
        )
      ).rows[0]?.n;
    await down(db);
    expect(await count()).toBe(0);
    await up(db);
    expect(await count()).toBe(3);
  });
});
