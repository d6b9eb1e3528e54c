/**
 * Status is the truth: an account that fails as a whole fails its streams, a run in which nothing
 * succeeded is failed, freshness counts from the last complete read, streams no longer configured retire
 * and come back, and the README's alert query returns exactly the streams that need a person.
 */
import { readFile } from "node:fs/promises";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { down, up } from "../../migrations/2026-11-28T1400_status-truth.js";
import { parseConfig } from "../../src/config/config.loader.js";
import { createDaemonMetrics } from "../../src/daemon/daemon.metrics.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runSync, type SyncSelection } from "../../src/sync/run-sync.engine.js";
import { streamStatuses } from "../../src/warehouse/status.repository.js";
import { readmeQuery } from "../support/readme.js";
import { createTestDatabase, emptyWarehouse, type TestDatabase } from "../support/test-database.js";

const DAY = 86_400_000;
const clock = { now: Date.UTC(2026, 10, 20, 12) };
let database: TestDatabase;
let altcraft: AltcraftSimulator;
let yandex: YandexDirectSimulator;

beforeAll(async () => {
  database = await createTestDatabase();
  // Every campaign finished long ago: a synced campaign's cursor is days old while it is fully read.
  altcraft = await startAltcraftSimulator({ seed: 5, campaigns: 3, historyDays: 6, clock: () => clock.now });
  for (const c of altcraft.campaigns()) altcraft.setCampaignState(c.id, "completed");
  clock.now += 2 * DAY;
  yandex = await startYandexDirectSimulator({
    seed: 3,
    clientLogins: 3,
    historyDays: 3,
    eventsPerHour: 4,
    clock: () => clock.now,
  });
});
afterAll(async () => {
  await altcraft?.close();
  await yandex?.close();
  await database?.drop();
});
beforeEach(async () => {
  await emptyWarehouse(database.warehouse);
});

interface Setup {
  altcraft?: Array<{ name: string; token?: string; campaignIds?: number[] }>;
  yandex?: Array<{ name: string; logins?: string[] }>;
}

function config(setup: Setup) {
  const startTime = new Date(clock.now - 5 * DAY).toISOString();
  const quick = { startTime, timeout: "3s", retries: 1, retryMinDelay: "1ms", retryMaxDelay: "5ms" };
  return parseConfig(
    {
      sources: {
        ...(setup.altcraft
          ? {
              altcraft: {
                accounts: setup.altcraft.map((a) => ({
                  name: a.name,
                  token: a.token ?? "${AC_TOKEN}",
                  url: altcraft.url,
                  ...(a.campaignIds ? { campaigns: { ids: a.campaignIds } } : {}),
                  ...quick,
                })),
              },
            }
          : {}),
        ...(setup.yandex
          ? {
              yandex_direct: {
                accounts: setup.yandex.map((a) => ({
                  name: a.name,
                  token: "${YD_TOKEN}",
                  endpoint: yandex.endpoint,
                  currency: "RUB",
                  ...(a.logins ? { logins: a.logins } : {}),
                  settleLag: "60s",
                  ...quick,
                })),
              },
            }
          : {}),
      },
    },
    { AC_TOKEN: altcraft.tokens[0] ?? "", BAD_TOKEN: "revoked-token", YD_TOKEN: "agency-token" },
  );
}

const sync = (setup: Setup, selection: SyncSelection = {}) =>
  runSync(
    {
      warehouse: database.warehouse,
      config: config(setup),
      log: createLogger({ level: "silent" }),
      signal: new AbortController().signal,
      command: "test",
      now: () => new Date(clock.now),
    },
    selection,
  );

async function streams() {
  const rows = await database.warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_id", "source", "account", "stream_key", "status", "last_error", "retired_at"])
    .orderBy("stream_id")
    .execute();
  return rows.map((r) => ({ ...r, key: `${r.source}/${r.account}/${r.stream_key}` }));
}

const campaignIds = () => altcraft.campaigns().map((c) => c.id);

describe("an account that fails as a whole", () => {
  it("marks its known streams failed with the error; a run in which nothing succeeded is failed; the next good run brings them back", async () => {
    const good = await sync({ altcraft: [{ name: "main" }] });
    expect(good.status).toBe("succeeded");
    expect((await streams()).map((s) => s.status)).toEqual(campaignIds().map(() => "succeeded"));

    const refused = await sync({ altcraft: [{ name: "main", token: "${BAD_TOKEN}" }] });
    expect(refused.status).toBe("failed");
    expect(refused.accounts).toEqual([
      { source: "altcraft", account: "main", error: expect.stringMatching(/API error 401/) },
    ]);
    const run = await database.warehouse.db
      .selectFrom("sync.runs")
      .select(["status", "error"])
      .where("run_id", "=", refused.runId)
      .executeTakeFirstOrThrow();
    expect(run).toEqual({ status: "failed", error: expect.stringMatching(/API error 401.*altcraft\/main/) });
    for (const s of await streams())
      expect(s, s.key).toMatchObject({ status: "failed", last_error: expect.stringMatching(/API error 401/) });
    const rows = await database.warehouse.db
      .selectFrom("sync.stream_runs")
      .select(["status", "error"])
      .where("run_id", "=", refused.runId)
      .execute();
    expect(rows).toHaveLength(campaignIds().length);
    for (const r of rows) expect(r).toEqual({ status: "failed", error: expect.stringMatching(/API error 401/) });
    const view = await sql<{
      status: string;
      last_run_status: string;
      last_error: string;
    }>`select status, last_run_status, last_error from sync.stream_freshness`.execute(database.warehouse.db);
    for (const r of view.rows)
      expect(r).toEqual({
        status: "failed",
        last_run_status: "failed",
        last_error: expect.stringMatching(/API error 401/),
      });

    // With another account that loads, the same failure makes the run partial.
    const mixed = await sync({
      altcraft: [{ name: "main", token: "${BAD_TOKEN}" }],
      yandex: [{ name: "agency", logins: ["client-1"] }],
    });
    expect(mixed.status).toBe("partial");

    // Finished campaigns are on the slow poll schedule, yet the failed ones are read at once when the token works.
    const back = await sync({ altcraft: [{ name: "main" }], yandex: [{ name: "agency", logins: ["client-1"] }] });
    expect(back.status).toBe("succeeded");
    for (const s of await streams()) expect(s.status, s.key).toBe("succeeded");
  });

  it("in a run restricted to some streams, marks only those", async () => {
    await sync({ altcraft: [{ name: "main" }] });
    const [first] = campaignIds();
    const refused = await sync({ altcraft: [{ name: "main", token: "${BAD_TOKEN}" }] }, { streams: [String(first)] });
    expect(refused.status).toBe("failed");
    for (const s of await streams())
      expect(s.status, s.key).toBe(s.stream_key === String(first) ? "failed" : "succeeded");
  });
});

describe("freshness", () => {
  it("counts from the last complete read, not from the cursor; last_event_at is the newest event held", async () => {
    await sync({ altcraft: [{ name: "main" }], yandex: [{ name: "agency", logins: ["client-1"] }] });
    const rows = await sql<{
      stream: string;
      source: string;
      cursor: Date;
      last_event_at: Date;
      lag_seconds: number;
      newest: Date;
    }>`
      select f.stream, f.source, f.cursor, f.last_event_at, f.lag_seconds,
             coalesce((select max(time) from altcraft.campaign_log l where l.stream_id = f.stream_id),
                      (select max(event_time) from yandex_direct.events e where e.stream_id = f.stream_id)) as newest
        from sync.stream_freshness f`.execute(database.warehouse.db);
    expect(rows.rows).toHaveLength(campaignIds().length + 1);
    for (const r of rows.rows) {
      expect(r.last_event_at, r.stream).toEqual(r.newest);
      expect(r.lag_seconds, r.stream).toBeLessThan(60);
    }
    // The campaigns ended days before the clock: their cursors are that old, their lag is not.
    const idle = rows.rows.filter((r) => r.source === "altcraft");
    for (const r of idle) expect(clock.now - r.cursor.getTime(), r.stream).toBeGreaterThan(DAY);

    // The next run leaves the finished campaigns to the slow schedule: the listing still confirms them.
    await database.warehouse.pool.query("update sync.streams set last_read_at = now() - interval '3 hours'");
    const next = await sync({ altcraft: [{ name: "main" }], yandex: [{ name: "agency", logins: ["client-1"] }] });
    expect(next.streams.filter((s) => s.identity.source === "altcraft")).toEqual([]);
    const after = await sql<{ lag_seconds: number }>`select lag_seconds from sync.stream_freshness`.execute(
      database.warehouse.db,
    );
    for (const r of after.rows) expect(r.lag_seconds).toBeLessThan(60);
  });

  // Statistics that make the plain time indexes look as good as the streams' own: one campaign and one login hold
  // every row. Kills: the newest event found by `order by time desc` under an equality (the planner then walks
  // campaign_log_time_idx or events_time_idx, filtered, down to a stream's first row).
  it("reads the newest event of each stream with one backward step of its own index, whatever the statistics say", async () => {
    const client = await database.warehouse.pool.connect();
    try {
      await client.query("begin");
      const run = await client.query<{ run_id: string }>(
        "insert into sync.runs (command, host, pid) values ('plan', 'test', 1) returning run_id",
      );
      const streams = await client.query<{ stream_id: string; stream_key: string }>(
        `insert into sync.streams (source, account, stream_key)
         values ('altcraft', 'plan', '7'), ('altcraft', 'plan', '8'),
                ('yandex_direct', 'plan', 'one'), ('yandex_direct', 'plan', 'other')
         returning stream_id, stream_key`,
      );
      const id = (key: string) => streams.rows.find((r) => r.stream_key === key)?.stream_id;
      const params = [run.rows[0]?.run_id, id("7"), id("one")];
      await client.query(
        `insert into altcraft.campaign_log (event_key, stream_id, account, campaign_id, time, occurrence, raw, run_id)
         select gen_random_uuid(), $2, 'plan', 7, now() - make_interval(secs => g), 0, '{}', $1
           from generate_series(1, 20000) g`,
        params.slice(0, 2),
      );
      await client.query(
        `insert into yandex_direct.events (event_key, stream_id, account, login, event_time, event_type, occurrence, raw, run_id)
         select gen_random_uuid(), $2, 'plan', 'one', now() - make_interval(secs => g), 'LowCTR', 0, '{}', $1
           from generate_series(1, 20000) g`,
        [params[0], params[2]],
      );
      await client.query("analyze altcraft.campaign_log");
      await client.query("analyze yandex_direct.events");
      await client.query("set local enable_seqscan = off");
      const plan = await client.query<{ "QUERY PLAN": string }>(
        "explain (costs off) select stream, last_event_at from sync.stream_freshness",
      );
      const text = plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(text).toMatch(/Index (Only )?Scan Backward using campaign_log_campaign_time_idx/);
      expect(text).toMatch(/Index (Only )?Scan Backward using events_login_time_idx/);
      expect(text).not.toMatch(/campaign_log_time_idx|events_time_idx/);
      const newest = await client.query<{ stream: string; last_event_at: Date | null }>(
        "select stream, last_event_at from sync.stream_freshness where account = 'plan' order by stream",
      );
      expect(newest.rows.map((r) => [r.stream, r.last_event_at !== null])).toEqual([
        ["7", true],
        ["8", false],
        ["one", true],
        ["other", false],
      ]);
    } finally {
      await client.query("rollback");
      client.release();
    }
  });

  it("the README's alert query lists the streams that failed or went 2 hours without a complete read, and nothing retired or fresh", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const alert = readmeQuery(readme, "Streams without a complete read for 2 hours");
    await sync({ yandex: [{ name: "agency", logins: ["client-1", "client-2", "client-3", "stranger"] }] });
    // client-2 stale, client-3 retired while stale, stranger failed (not a client of the agency).
    await database.warehouse.pool.query(
      "update sync.streams set last_read_at = now() - interval '3 hours' where stream_key in ('client-2', 'client-3')",
    );
    await database.warehouse.pool.query(
      "update sync.streams set status = 'retired', retired_at = now() where stream_key = 'client-3'",
    );
    const rows = (await database.warehouse.pool.query<{ stream: string; status: string }>(alert)).rows;
    expect(rows.map((r) => [r.stream, r.status]).sort()).toEqual([
      ["client-2", "succeeded"],
      ["stranger", "failed"],
    ]);
  });
});

describe("retired streams", () => {
  it("retire when their login or account leaves the configuration, keep their rows, leave metrics and status, and come back", async () => {
    const full: Setup = {
      altcraft: [{ name: "main" }],
      yandex: [{ name: "agency", logins: ["client-1", "client-2"] }],
    };
    expect((await sync(full)).status).toBe("succeeded");
    const held = async (key: string) =>
      Number(
        (await database.warehouse.pool.query("select count(*) as n from yandex_direct.events where login = $1", [key]))
          .rows[0]?.n,
      );
    const client2Rows = await held("client-2");
    expect(client2Rows).toBeGreaterThan(0);

    // A run restricted to one stream decides nothing about the others.
    await sync({ yandex: [{ name: "agency", logins: ["client-1"] }] }, { streams: ["client-1"] });
    expect((await streams()).filter((s) => s.status === "retired")).toEqual([]);
    // A run restricted to Yandex.Direct retires only Yandex.Direct streams.
    await sync({ yandex: [{ name: "agency", logins: ["client-1"] }] }, { sources: ["yandex_direct"] });
    expect((await streams()).filter((s) => s.status === "retired").map((s) => s.key)).toEqual([
      "yandex_direct/agency/client-2",
    ]);
    expect(await held("client-2")).toBe(client2Rows);
    // An unrestricted run retires the Altcraft account that is gone too.
    const run = await sync({ yandex: [{ name: "agency", logins: ["client-1"] }] });
    expect(run.status).toBe("succeeded");
    const now = await streams();
    expect(
      now
        .filter((s) => s.status === "retired")
        .map((s) => s.key)
        .sort(),
    ).toEqual([...campaignIds().map((id) => `altcraft/main/${id}`), "yandex_direct/agency/client-2"].sort());
    for (const s of now.filter((x) => x.status === "retired")) expect(s.retired_at).toBeInstanceOf(Date);

    expect((await streamStatuses(database.warehouse.db)).map((r) => `${r.source}/${r.account}/${r.stream}`)).toEqual([
      "yandex_direct/agency/client-1",
    ]);
    expect(await streamStatuses(database.warehouse.db, { includeRetired: true })).toHaveLength(now.length);
    const metrics = await createDaemonMetrics().render(database.warehouse);
    expect(metrics).toMatch(/^eventlog_sync_streams\{status="succeeded"\} 1$/m);
    expect(metrics).not.toMatch(/status="retired"/);
    expect(metrics).not.toMatch(/stream="client-2"/);
    expect(metrics).toMatch(
      /^eventlog_sync_stream_lag_seconds\{source="yandex_direct",account="agency",stream="client-1"\} \d+$/m,
    );
    expect(metrics).toMatch(/^eventlog_sync_warehouse_up 1$/m);

    // Configured again: back, with the status its run gives, reading on from its cursor.
    clock.now += 3_600_000;
    const again = await sync(full);
    expect(again.status).toBe("succeeded");
    for (const s of await streams()) expect(s, s.key).toMatchObject({ status: "succeeded", retired_at: null });
    expect(await held("client-2")).toBeGreaterThan(client2Rows);
  });

  it("retire an Altcraft campaign a complete listing no longer returns, and bring it back when listed again", async () => {
    const ids = campaignIds();
    await sync({ altcraft: [{ name: "main" }] });
    const [dropped, ...kept] = ids;
    await sync({ altcraft: [{ name: "main", campaignIds: kept }] });
    expect((await streams()).filter((s) => s.status === "retired").map((s) => s.stream_key)).toEqual([String(dropped)]);
    // A listing that fails retires nothing.
    await sync({ altcraft: [{ name: "main", token: "${BAD_TOKEN}", campaignIds: [] }] });
    expect((await streams()).filter((s) => s.status === "retired").map((s) => s.stream_key)).toEqual([String(dropped)]);
    await sync({ altcraft: [{ name: "main" }] });
    for (const s of await streams()) expect(s.status, s.key).toBe("succeeded");
  });

  it("the migration's down gives retired streams their last run's status back, and its up applies again", async () => {
    await sync({ yandex: [{ name: "agency", logins: ["client-1", "client-2"] }] });
    await sync({ yandex: [{ name: "agency", logins: ["client-1"] }] });
    const db = database.warehouse.db as unknown as Kysely<unknown>;
    const allowed = async () =>
      (
        await sql<{
          def: string;
        }>`select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'streams_status_check'`.execute(
          db,
        )
      ).rows[0]?.def;
    const before = await allowed();
    await down(db);
    const statuses = await database.warehouse.pool.query<{ stream_key: string; status: string }>(
      "select stream_key, status from sync.streams order by stream_key",
    );
    expect(statuses.rows).toEqual([
      { stream_key: "client-1", status: "succeeded" },
      { stream_key: "client-2", status: "succeeded" },
    ]);
    await expect(database.warehouse.pool.query("update sync.streams set status = 'retired'")).rejects.toThrow(
      /streams_status_check/,
    );
    await up(db);
    const comments = await sql<{ n: number }>`
      select count(*)::int as n from pg_attribute a
       where a.attrelid = 'sync.stream_freshness'::regclass and a.attnum > 0 and col_description(a.attrelid, a.attnum) is null`.execute(
      database.warehouse.db,
    );
    expect(comments.rows[0]?.n).toBe(0);
    // Whatever earlier migrations allow is kept.
    expect(await allowed()).toBe(before);
  });
});
