/**
 * Process-level tests of Altcraft: the real CLI (`node bin/eventlog-sync.js sync -c <file>`) as child
 * processes against the Altcraft simulator on 127.0.0.1 with its real clock. What is promised across
 * processes: a SIGKILL at any moment loses and duplicates nothing (rows and cursor commit together), JSON
 * and XML accounts load the same rows, a refused token fails only its account, and tokens never reach the
 * output or the warehouse.
 */
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { createRandom } from "../../src/simulators/common/seeded.random.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { altcraftCopiesBeyondSource, expectAltcraftGroundTruth } from "../support/altcraft-ground-truth.js";
import { type CliExit, killRunningClis } from "../support/cli.js";
import { killAfterCommits, storedRows } from "../support/kill-loop.js";
import { startTimeDaysAgo, useProcessTest } from "../support/process-test.js";
import type { TestDatabase } from "../support/test-database.js";

/** Distinctive tokens, so that any leak of them is found by a plain substring search. */
const TOKEN = "ac-tok-7f3e9b2c41d8a6e5";
/** A second token of the same platform: one url and token in two accounts is a config error. */
const SECOND_TOKEN = "ac-tok-second-5a9c2e7d13b4";
const LIMITED_TOKEN = "ac-tok-limited-0b5d93aa17c2";
const REFUSED_TOKEN = "ac-tok-refused-c8e14f6d2a90";
/** Latency of every simulator answer outside the kill test. */
const LATENCY_MS = 3;
const PAGE_LIMIT = 50;
/** Requests in flight per account (the request gate). */
const CONCURRENCY = 3;

let sim: AltcraftSimulator;

beforeAll(async () => {
  // Real clock (Date.now); 8 campaigns with 3 days of history at 8 runs a day of ≈ 40 rows each. With
  // pageLimit 50 a campaign's day is ≈ 5 pages, each its own transaction.
  sim = await startAltcraftSimulator({
    host: "127.0.0.1",
    seed: 2024,
    tokens: [TOKEN, SECOND_TOKEN, { token: LIMITED_TOKEN, methods: ["campaigns/list", "campaigns/get_status"] }],
    campaigns: 8,
    historyDays: 3,
    runsPerDay: 8,
    rowsPerRun: 40,
    latencyMs: LATENCY_MS,
  });
});

// A failed test leaves no process behind to compete with the next one.
afterEach(() => {
  killRunningClis();
});

afterAll(async () => {
  await sim?.close();
});

const processes = useProcessTest({ name: "altcraft-processes", cliTimeoutMs: 90_000 });
const { newDatabase, startCli, runCli } = processes;

function account(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    name: "main",
    token: "${AC_TOKEN}",
    url: sim.url,
    pageLimit: PAGE_LIMIT,
    concurrency: CONCURRENCY,
    timeout: "5s",
    retries: 6,
    retryMinDelay: "5ms",
    retryMaxDelay: "50ms",
    ...fields,
  };
}

const writeConfig = (accounts: Array<Record<string, unknown>>): Promise<string> =>
  processes.writeConfig({ sync: { parallelStreams: 4 }, sources: { altcraft: { accounts } } });

const campaignIds = (): number[] => sim.campaigns().map((c) => c.id);

/**
 * Rows of one account with their typed columns, per campaign, each as one canonical string, up to a time per campaign.
 */
async function typedRows(
  warehouse: Warehouse,
  accountName: string,
  upTo: ReadonlyMap<number, number>,
): Promise<Map<number, string[]>> {
  const rows = await warehouse.db
    .selectFrom("altcraft.campaign_log")
    .select(["campaign_id", "time", "level", "message", "state", "value", "value_ms", "occurrence", "raw"])
    .where("account", "=", accountName)
    .execute();
  const out = new Map<number, string[]>();
  for (const r of rows) {
    if (r.time.getTime() > (upTo.get(r.campaign_id) ?? -Infinity)) continue;
    const list = out.get(r.campaign_id) ?? [];
    list.push(
      canonicalJson({
        time: r.time.toISOString(),
        level: r.level,
        message: r.message,
        state: r.state,
        value: r.value,
        value_ms: r.value_ms,
        occurrence: r.occurrence,
        raw: r.raw,
      }),
    );
    out.set(r.campaign_id, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}

async function cursorsOf(warehouse: Warehouse, accountName: string): Promise<Map<number, number | null>> {
  const rows = await warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_key", "cursor"])
    .where("source", "=", "altcraft")
    .where("account", "=", accountName)
    .execute();
  return new Map(rows.map((r) => [Number(r.stream_key), r.cursor?.getTime() ?? null]));
}

describe("eventlog-sync sync of Altcraft as processes", () => {
  it("loses and duplicates nothing when killed with SIGKILL at random moments, then completes", async () => {
    const database = await newDatabase();
    const { warehouse } = database;
    const startTime = startTimeDaysAgo(2);
    const config = await writeConfig([account({ startTime: new Date(startTime).toISOString() })]);
    const env = { DATABASE_URL: database.url, AC_TOKEN: TOKEN };
    const check = { sim, warehouse, account: "main", startTime };

    // While killing, every answer takes 250 ms. A full backfill needs at least one log_v2 page per
    // PAGE_LIMIT rows of every campaign, at most CONCURRENCY in flight: that lower bound is computed below
    // and must exceed the seeded delays after each process's first commit taken together (with room for the
    // first page each process commits before its delay starts), so every process is
    // killed mid-run, the later ones deeper into the backfill. Where each kill lands (stream start, a
    // request in flight, a COPY, a COMMIT) is timing-dependent; what is asserted holds for any instant.
    const killLatencyMs = 250;
    const random = createRandom(7);
    const delays = Array.from({ length: 5 }, () => random.int(300, 1500));
    const pages = campaignIds().reduce(
      (n, id) => n + Math.ceil(sim.log(id, { from: startTime }).length / PAGE_LIMIT),
      0,
    );
    const backfillMs = (pages * killLatencyMs) / CONCURRENCY;
    expect(
      backfillMs,
      `${pages} pages at ${killLatencyMs} ms, ${CONCURRENCY} at once, outlast the kill delays ${delays.join(", ")} ms`,
    ).toBeGreaterThan(delays.reduce((a, b) => a + b, 0) * 1.3);

    sim.setOptions({ latencyMs: killLatencyMs });
    let killed: number[];
    try {
      killed = await killAfterCommits({
        source: "altcraft",
        warehouse,
        start: () => startCli(["sync", "-c", config], env),
        delays,
        afterKill: async (k) => {
          // Consistent at every kill: no identity twice, every row real, and before each cursor exactly the
          // rows of the API (lookback 0: nothing is stored beyond a cursor, rows and cursor commit together).
          // The cursor's own millisecond may be partial: a full page can end inside it, and the cursor is a
          // from_time position (the next page, or the next run, reads from cursor − 1 ms and completes it).
          expect(await altcraftCopiesBeyondSource(check), `duplicates after kill ${k}`).toEqual([]);
          await expectAltcraftGroundTruth({ ...check, label: `after kill ${k}`, cursorMillisecond: "subset" });
        },
      });
    } finally {
      sim.setOptions({ latencyMs: LATENCY_MS });
    }
    const partway = await storedRows(warehouse, "altcraft");
    expect(partway, "the killed runs stored some rows").toBeGreaterThan(0);

    const finalStart = Date.now();
    const final = startCli(["sync", "-c", config], env);
    const exit = await final.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/run \d+: succeeded/);
    expect(await altcraftCopiesBeyondSource(check)).toEqual([]);
    const total = await expectAltcraftGroundTruth({ ...check, label: "after the clean run", completeAt: finalStart });
    expect(total).toBeGreaterThan(pages * (PAGE_LIMIT / 2));
    expect(total).toBeGreaterThan(partway);

    const runs = await warehouse.db
      .selectFrom("sync.runs")
      .select(["run_id", "pid", "status", "finished_at"])
      .orderBy("run_id")
      .execute();
    expect(runs).toHaveLength(6);
    for (const pid of killed) {
      expect(
        runs.find((r) => r.pid === pid),
        `run of killed pid ${pid}`,
      ).toMatchObject({ status: "abandoned", finished_at: expect.any(Date) });
    }
    const finalRun = runs.find((r) => r.pid === final.pid);
    expect(finalRun).toMatchObject({ status: "succeeded", finished_at: expect.any(Date) });
    const finalStreams = await warehouse.db
      .selectFrom("sync.stream_runs")
      .select(["status"])
      .where("run_id", "=", finalRun?.run_id ?? -1)
      .execute();
    expect(finalStreams.length).toBeGreaterThan(0);
    expect(finalStreams.filter((s) => s.status !== "succeeded")).toEqual([]);
    const streams = await warehouse.db
      .selectFrom("sync.streams")
      .select(["stream_key", "status"])
      .where("account", "=", "main")
      .orderBy("stream_key")
      .execute();
    expect(streams.map((s) => Number(s.stream_key)).sort((a, b) => a - b)).toEqual(campaignIds());
    expect(streams.filter((s) => s.status !== "succeeded")).toEqual([]);
  }, 120_000); // ≈ 25 s on an idle 2-core machine; six CLI starts take much longer on a loaded one

  describe("accounts side by side", () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await newDatabase();
    });

    it("loads the same rows through a JSON account and an XML account with the token in a header", async () => {
      const { warehouse } = database;
      const startTime = startTimeDaysAgo(0.5);
      const config = await writeConfig([
        account({ name: "json", startTime: new Date(startTime).toISOString() }),
        account({
          name: "xml",
          token: "${AC_SECOND_TOKEN}",
          format: "xml",
          tokenIn: "header",
          startTime: new Date(startTime).toISOString(),
        }),
      ]);
      // XML strings in quotes, as the documentation's example writes them (JSON answers are unchanged).
      sim.setOptions({ xmlQuotedStrings: true });
      const before = Date.now();
      let exit: CliExit;
      try {
        exit = await runCli(["sync", "-c", config], {
          DATABASE_URL: database.url,
          AC_TOKEN: TOKEN,
          AC_SECOND_TOKEN: SECOND_TOKEN,
        });
      } finally {
        sim.setOptions({ xmlQuotedStrings: false });
      }
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout).toMatch(/run \d+: succeeded/);
      expect(exit.stdout).toMatch(/altcraft\/json\/\d+\s+succeeded/);
      expect(exit.stdout).toMatch(/altcraft\/xml\/\d+\s+succeeded/);
      for (const name of ["json", "xml"])
        expect(await altcraftCopiesBeyondSource({ sim, warehouse, account: name, startTime })).toEqual([]);
      const json = await expectAltcraftGroundTruth({ sim, warehouse, account: "json", startTime, completeAt: before });
      const xml = await expectAltcraftGroundTruth({ sim, warehouse, account: "xml", startTime, completeAt: before });
      expect(json).toBeGreaterThan(50);
      expect(xml).toBeGreaterThan(50);

      // The clock is real: rows a live campaign writes between the two accounts' reads may be in one only.
      // Up to the earlier of the two cursors of each campaign, both hold the same raw records and typed
      // columns, occurrences included.
      const jsonCursors = await cursorsOf(warehouse, "json");
      const xmlCursors = await cursorsOf(warehouse, "xml");
      expect([...xmlCursors.keys()].sort((a, b) => a - b)).toEqual([...jsonCursors.keys()].sort((a, b) => a - b));
      const common = new Map<number, number>();
      for (const [id, cursor] of jsonCursors)
        common.set(id, Math.min(cursor ?? -Infinity, xmlCursors.get(id) ?? -Infinity));
      const jsonRows = await typedRows(warehouse, "json", common);
      const xmlRows = await typedRows(warehouse, "xml", common);
      expect([...jsonRows.values()].reduce((n, l) => n + l.length, 0)).toBeGreaterThan(50);
      for (const id of campaignIds())
        expect(xmlRows.get(id) ?? [], `rows of campaign ${id}`).toEqual(jsonRows.get(id) ?? []);
    });

    it("exits 2 naming the account whose token is refused (401), while the other account holds exact ground truth", async () => {
      const { warehouse } = database;
      const startTime = startTimeDaysAgo(0.5);
      const config = await writeConfig([
        account({ name: "revoked", token: "${AC_BAD_TOKEN}", startTime: new Date(startTime).toISOString() }),
        account({ name: "good", startTime: new Date(startTime).toISOString() }),
      ]);
      const before = Date.now();
      const exit = await runCli(["sync", "-c", config], {
        DATABASE_URL: database.url,
        AC_TOKEN: TOKEN,
        AC_BAD_TOKEN: REFUSED_TOKEN,
      });
      expect(exit.code, exit.stderr).toBe(2);
      expect(exit.stdout).toMatch(/run \d+: partial/);
      expect(exit.stdout).toMatch(/altcraft\/revoked\s+failed\s+altcraft API error 401\b[^\n]*altcraft\/revoked/);
      expect(exit.stdout).not.toMatch(/altcraft\/revoked\/\d+/);
      for (const id of campaignIds()) expect(exit.stdout).toMatch(new RegExp(`altcraft/good/${id}\\s+succeeded`));

      expect(
        await expectAltcraftGroundTruth({ sim, warehouse, account: "good", startTime, completeAt: before }),
      ).toBeGreaterThan(50);
      const revokedRows = await warehouse.db
        .selectFrom("altcraft.campaign_log")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("account", "=", "revoked")
        .executeTakeFirstOrThrow();
      expect(Number(revokedRows.n)).toBe(0);
      const run = await warehouse.db
        .selectFrom("sync.runs")
        .select(["status", "error"])
        .orderBy("run_id", "desc")
        .executeTakeFirstOrThrow();
      expect(run.status).toBe("partial");
      expect(run.error).toMatch(/altcraft API error 401.*altcraft\/revoked/);
    });

    it("never writes a token to stdout, stderr or the warehouse, at debug level, with retries, a refused and a restricted token", async () => {
      const { warehouse } = database;
      const startTime = startTimeDaysAgo(0.25);
      const config = await writeConfig([
        account({ name: "debug-body", startTime: new Date(startTime).toISOString() }),
        account({
          name: "debug-header",
          token: "${AC_SECOND_TOKEN}",
          format: "xml",
          tokenIn: "header",
          startTime: new Date(startTime).toISOString(),
        }),
        account({ name: "debug-refused", token: "${AC_BAD_TOKEN}", startTime: new Date(startTime).toISOString() }),
        // May list campaigns but not read their logs: log_v2 answers 403, which fails the account's streams.
        account({
          name: "debug-limited",
          token: "${AC_LIMITED_TOKEN}",
          tokenIn: "header",
          startTime: new Date(startTime).toISOString(),
        }),
      ]);
      sim.resetRequestCounts();
      sim.failNext(TOKEN, 2, 503);
      sim.failNext(TOKEN, 1, 502);
      const exit = await runCli(["--log-level", "debug", "sync", "-c", config], {
        DATABASE_URL: database.url,
        AC_TOKEN: TOKEN,
        AC_SECOND_TOKEN: SECOND_TOKEN,
        AC_BAD_TOKEN: REFUSED_TOKEN,
        AC_LIMITED_TOKEN: LIMITED_TOKEN,
      });
      expect(exit.code, exit.stderr).toBe(2);
      expect(exit.stdout).toMatch(/altcraft\/debug-refused\s+failed\s+altcraft API error 401/);
      expect(exit.stdout).toMatch(/altcraft\/debug-limited\/\d+\s+failed/);
      expect(exit.stdout).toContain("altcraft API error 403");
      for (const token of [TOKEN, SECOND_TOKEN, REFUSED_TOKEN, LIMITED_TOKEN]) {
        expect(exit.stdout, "stdout").not.toContain(token);
        expect(exit.stderr, "stderr").not.toContain(token);
      }
      const errors = await sql<{ text: string }>`
        select coalesce(error, '') as text from sync.stream_runs
        union all select coalesce(last_error, '') from sync.streams
        union all select coalesce(error, '') from sync.runs
        union all select reason || payload::text from sync.rejects`.execute(warehouse.db);
      expect(errors.rows.filter((r) => r.text !== "").length, "errors were recorded").toBeGreaterThan(0);
      for (const row of errors.rows)
        for (const token of [TOKEN, SECOND_TOKEN, REFUSED_TOKEN, LIMITED_TOKEN]) expect(row.text).not.toContain(token);
      // Accounts are planned one after the other, so the three injected failures hit debug-body's
      // campaigns/list and are retried: each full-rights account lists as often as the limited one, debug-body three
      // more times.
      const counts = sim.requestCounts();
      const listPages = counts[LIMITED_TOKEN]?.["campaigns/list"] ?? 0;
      expect(listPages).toBeGreaterThan(0);
      expect(counts[TOKEN]?.["campaigns/list"], "the injected failures were retried").toBe(listPages + 3);
      expect(counts[SECOND_TOKEN]?.["campaigns/list"]).toBe(listPages);
      expect(counts[REFUSED_TOKEN]?.["campaigns/list"], "a refused token is not retried").toBe(1);
      await expectAltcraftGroundTruth({ sim, warehouse, account: "debug-body", startTime });
      await expectAltcraftGroundTruth({ sim, warehouse, account: "debug-header", startTime });
    });
  });
});
