/**
 * The real CLI (`node bin/eventlog-sync.js sync`) as a child process, killed with SIGKILL right after every page
 * it commits, again and again until a run gets to the end by itself. Each source sits behind a capping proxy
 * whose cap is drawn at random for every response, so every read takes many pages of changing sizes, and the
 * kills land among them. What is promised: whatever page a kill follows, the next process goes on from the
 * committed cursor, and at the end the warehouse holds exactly the source's records (Yandex.Direct), or all but
 * the rows the server would not give with open gaps counting exactly those (Altcraft: log_v2 cannot page inside
 * one millisecond) — never a row twice, never a stream `succeeded` with rows missing.
 *
 * How a kill follows a page: the test polls the streams' cursors (one short query every few milliseconds) and
 * kills the process as soon as the cursor of a stream still behind the backfill's end has moved — a page of it
 * was committed. Pages of streams already caught up (a few new seconds of a live log) do not count, so a run
 * that starts with every stream caught up is never killed and exits by itself; that ends the kills.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { altcraftCopiesBeyondSource } from "../support/altcraft-ground-truth.js";
import { type CappingProxy, type CapPolicy, randomCap, startCappingProxy } from "../support/capping-proxy.js";
import { type CliExit, type CliProcess, killRunningClis } from "../support/cli.js";
import { copiesBeyondSource, expectGroundTruth } from "../support/ground-truth.js";
import { multisetDifference } from "../support/multiset.js";
import { useProcessTest } from "../support/process-test.js";
import { waitForOtherSessions } from "../support/sessions.js";

const MINUTE = 60_000;
/** Processes started in one test before it gives up: far more than the backfill's pages. */
const MAX_PROCESSES = 80;
/** Latency of every simulator answer: a page takes a few of them, far longer than one poll of the cursors. */
const LATENCY_MS = 12;
/** Interval of the polls of the cursors while a process runs, ms. */
const POLL_MS = 4;

const processes = useProcessTest({ name: "kill-every-page", cliTimeoutMs: 30_000 });

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  killRunningClis();
  for (const close of closers.splice(0).reverse()) await close();
});

type Source = "yandex_direct" | "altcraft";

/** What one source brings to the test: its config, and the checks of the warehouse against its simulator. */
interface Subject {
  source: Source;
  account: string;
  config: string;
  env: Record<string, string>;
  proxy: CappingProxy;
  /** The cursor each stream must reach for the backfill to be over; streams with nothing to read are absent. */
  targets: Map<string, number>;
  /** After a kill: nothing twice, nothing invented, and before each cursor exactly what can be read. */
  checkConsistent(label: string): Promise<void>;
  /** After the final run: the warehouse against the simulator, every stream's status against its gaps. */
  checkFinal(finalRunId: number): Promise<number>;
}

async function cursorsOf(warehouse: Warehouse, source: Source, account: string): Promise<Map<string, number | null>> {
  const rows = await warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_key", "cursor"])
    .where("source", "=", source)
    .where("account", "=", account)
    .execute();
  return new Map(rows.map((r) => [r.stream_key, r.cursor?.getTime() ?? null]));
}

/**
 * Waits until a page of one of `watched` (stream → cursor when the process started) is committed, and kills the
 * process right then. Returns false when the process exited first, by itself.
 */
async function killAfterNextPage(
  cli: CliProcess,
  warehouse: Warehouse,
  subject: Subject,
  watched: ReadonlyMap<string, number | null>,
): Promise<boolean> {
  let exited = false;
  void cli.exited.then(() => (exited = true));
  while (!exited) {
    const cursors = await cursorsOf(warehouse, subject.source, subject.account);
    for (const [key, before] of watched) {
      if ((cursors.get(key) ?? null) !== before) return cli.kill();
    }
    // Poll again soon: often enough to act within a few milliseconds of the commit, seldom enough to leave the
    // CPU to the process under test.
    await sleep(POLL_MS);
  }
  return false;
}

/** Stream statuses, and the statuses and gaps of each stream's stream runs, for the final checks. */
async function streamStatuses(warehouse: Warehouse, account: string) {
  const streams = await warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_id", "stream_key", "status"])
    .where("account", "=", account)
    .execute();
  const runs = await warehouse.db
    .selectFrom("sync.stream_runs")
    .select(["stream_id", "run_id", "status", "unread_at"])
    .execute();
  const gaps = await warehouse.db
    .selectFrom("sync.gaps")
    .select(["stream_id", "kind", "at", "unread_events", "last_run_id", "closed_at"])
    .where("closed_at", "is", null)
    .execute();
  return { streams, runs, gaps };
}

async function startYandex(warehouse: Warehouse, url: string): Promise<Subject> {
  const logins = ["client-1", "client-2"];
  // Real clock: the CLI reads up to its own now − settleLag. 40 min at 120 events an hour per login, windows of at
  // most 10 min (≈ 20 events) read by a cap drawn in [1, 20] per response: 4 windows per login, each a few
  // responses and one committed page.
  const sim: YandexDirectSimulator = await startYandexDirectSimulator({
    seed: 9001,
    clientLogins: 2,
    historyDays: 0.1,
    eventsPerHour: 120,
    latencyMs: LATENCY_MS,
  });
  closers.push(() => sim.close());
  const proxy = await startCappingProxy({
    upstream: sim.endpoint,
    source: "yandex_direct",
    policy: randomCap(17, 1, 20),
  });
  closers.push(() => proxy.close());
  const now = Date.now();
  const startTime = Math.ceil((now - 40 * MINUTE) / MINUTE) * MINUTE;
  // Identical events in one second, more than any response holds: paged by Offset inside that second.
  sim.addBurst("client-1", { at: startTime + 13 * MINUTE + 3_000, count: 45 });
  sim.addBurst("client-2", { at: startTime + 24 * MINUTE + 7_000, count: 33 });
  const settleLagMs = 2_000;
  const config = await processes.writeConfig({
    sync: { parallelStreams: 2 },
    sources: {
      yandex_direct: {
        accounts: [
          {
            name: "agency",
            token: "${YD_TOKEN}",
            endpoint: proxy.url,
            currency: "RUB",
            logins,
            startTime: new Date(startTime).toISOString(),
            settleLag: "2s",
            lookback: "10m",
            maxWindow: "10m",
            pageLimit: 50,
            concurrency: 2,
            timeout: "5s",
            retries: 6,
            retryMinDelay: "5ms",
            retryMaxDelay: "50ms",
          },
        ],
      },
    },
  });
  const check = { sim, warehouse, account: "agency", streams: logins, startTime };
  // A complete run started from now on reads up to at least this second.
  const end = Math.floor((now - settleLagMs) / 1000) * 1000;
  return {
    source: "yandex_direct",
    account: "agency",
    config,
    env: { DATABASE_URL: url, YD_TOKEN: "agency-token" },
    proxy,
    targets: new Map(logins.map((login) => [login, end])),
    async checkConsistent(label) {
      expect(await copiesBeyondSource(check), `${label}: rows held beyond the source`).toEqual([]);
      await expectGroundTruth({ ...check, label, beyondCursor: "subset" });
    },
    async checkFinal(finalRunId) {
      expect(await copiesBeyondSource(check), "rows held beyond the source").toEqual([]);
      const rows = await expectGroundTruth({ ...check, label: "after the final run" });
      const { streams, runs, gaps } = await streamStatuses(warehouse, "agency");
      expect(gaps, "open gaps").toEqual([]);
      for (const stream of streams) {
        expect(stream.status, `status of ${stream.stream_key}`).toBe("succeeded");
        const last = runs.find((r) => r.stream_id === stream.stream_id && r.run_id === finalRunId);
        expect(last?.status, `final run of ${stream.stream_key}`).toBe("succeeded");
      }
      return rows;
    },
  };
}

async function startAltcraft(warehouse: Warehouse, url: string): Promise<Subject> {
  // Real clock. 2 campaigns, each with a row every 80 s over the 35 min read (no generated runs: the log does not
  // depend on the time of day the test runs), read by a cap drawn in [3, 20] per response: a few pages per
  // campaign, each its own transaction.
  const sim: AltcraftSimulator = await startAltcraftSimulator({
    seed: 4711,
    campaigns: 2,
    historyDays: 0.1,
    runsPerDay: 0.001,
    completedShare: 0,
    inactiveShare: 0,
    latencyMs: LATENCY_MS,
  });
  closers.push(() => sim.close());
  const maxCap = 20;
  const random = randomCap(23, 3, maxCap);
  // A response that would hold one millisecond only gets the most the server ever gives, so that exactly the
  // rows of a millisecond beyond `maxCap` are unreadable. (Fewer there is the server model too, but the reader
  // then takes the millisecond for read whole: see server-model.property.test.ts.)
  const timeOf = (record: unknown) => (record as { time?: unknown }).time;
  const policy: CapPolicy = (request, records) => {
    const n = Math.min(records.length, random(request, records));
    return n > 0 && timeOf(records[0]) === timeOf(records[n - 1]) ? maxCap : n;
  };
  const proxy = await startCappingProxy({ upstream: sim.url, source: "altcraft", policy });
  closers.push(() => proxy.close());
  const now = Date.now();
  const startTime = Math.ceil((now - 35 * MINUTE) / MINUTE) * MINUTE;
  const ids = sim.campaigns().map((c) => c.id);
  for (const [k, id] of ids.entries()) {
    const rows = [];
    for (let at = startTime + 30_000 + k * 7_000; at < now - MINUTE; at += 80_000)
      rows.push({
        time: at,
        level: "INFO" as const,
        message: `Delivered batch ${rows.length + 1}`,
        value: String(at % 997),
      });
    sim.addLogRows(id, rows);
  }
  // Identical rows in one millisecond, more than any response holds: beyond the first `maxCap`, unreadable. Each
  // between two rows of its own, so that the log goes on after it, and where the final run's lookback does not
  // reach, so that its gap stays as the backfill found it.
  const bursts = [
    { id: ids[0] as number, time: startTime + 10 * MINUTE + 321, count: maxCap + 9 },
    { id: ids[1] as number, time: startTime + 18 * MINUTE + 654, count: maxCap + 4 },
  ];
  for (const b of bursts) {
    sim.addLogRows(b.id, [
      { time: b.time - 5, level: "INFO", message: "Sending started" },
      { time: b.time + 5, level: "INFO", message: "Sending paused" },
    ]);
    sim.addBurst(b.id, { time: b.time, count: b.count });
  }
  const config = await processes.writeConfig({
    sync: { parallelStreams: 2 },
    sources: {
      altcraft: {
        accounts: [
          {
            name: "main",
            token: "${AC_TOKEN}",
            url: proxy.url,
            startTime: new Date(startTime).toISOString(),
            pageLimit: 20,
            lookback: "5m",
            concurrency: 2,
            timeout: "5s",
            retries: 6,
            retryMinDelay: "5ms",
            retryMaxDelay: "50ms",
          },
        ],
      },
    },
  });
  const targets = new Map<string, number>();
  for (const id of ids) {
    const latest = sim.log(id, { from: startTime, to: now }).at(-1);
    if (latest) targets.set(String(id), Date.parse(latest.time));
  }
  const check = { sim, warehouse, account: "main", startTime };

  /**
   * Per campaign and millisecond up to `upTo(cursor)`: the rows held are rows of the log, and where some are
   * missing an open gap at that millisecond counts exactly those; everywhere else the rows held are all of it.
   */
  const compare = async (label: string, whole: boolean): Promise<number> => {
    const cursors = await cursorsOf(warehouse, "altcraft", "main");
    const streamIds = new Map(
      (
        await warehouse.db
          .selectFrom("sync.streams")
          .select(["stream_id", "stream_key"])
          .where("account", "=", "main")
          .execute()
      ).map((s) => [s.stream_key, s.stream_id]),
    );
    const openGaps = await warehouse.db
      .selectFrom("sync.gaps")
      .select(["stream_id", "kind", "at", "unread_events"])
      .where("closed_at", "is", null)
      .execute();
    let held = 0;
    for (const id of ids) {
      const cursor = cursors.get(String(id)) ?? null;
      const where = `${label}: campaign ${id} up to ${cursor === null ? "(no cursor)" : new Date(cursor).toISOString()}`;
      const rows = await warehouse.db
        .selectFrom("altcraft.campaign_log")
        .select(["raw", "time"])
        .where("account", "=", "main")
        .where("campaign_id", "=", id)
        .execute();
      // Whole: up to and with the cursor's millisecond; after a kill that millisecond may be partly stored.
      const limit = cursor === null ? -Infinity : whole ? cursor : cursor - 1;
      const kept = rows.filter((r) => r.time.getTime() <= limit).map((r) => canonicalJson(r.raw));
      const truth = cursor === null ? [] : sim.log(id, { from: startTime, to: limit }).map((r) => canonicalJson(r));
      expect(multisetDifference(kept, truth), `${where}: rows held that the log does not have`).toEqual([]);
      if (whole) expect(rows.length - kept.length, `${where}: rows after the cursor`).toBe(0);
      const perMs = (texts: string[]) => {
        const counts = new Map<number, number>();
        for (const t of texts) {
          const at = Date.parse((JSON.parse(t) as { time: string }).time);
          counts.set(at, (counts.get(at) ?? 0) + 1);
        }
        return counts;
      };
      const want = perMs(truth);
      const have = perMs(kept);
      const missing = new Map<number, number>();
      for (const [at, n] of want) if (n > (have.get(at) ?? 0)) missing.set(at, n - (have.get(at) ?? 0));
      const streamId = streamIds.get(String(id));
      const gaps = new Map(
        openGaps
          .filter((g) => g.stream_id === streamId && g.kind === "stepped" && g.at.getTime() <= limit)
          .map((g) => [g.at.getTime(), g.unread_events === null ? null : Number(g.unread_events)]),
      );
      const show = (m: Map<number, number | null>) =>
        Object.fromEntries([...m].sort(([a], [b]) => a - b).map(([at, n]) => [new Date(at).toISOString(), n]));
      expect(show(gaps), `${where}: open gaps against the rows missing, per millisecond`).toEqual(show(missing));
      held += kept.length;
    }
    expect(await altcraftCopiesBeyondSource(check), `${label}: rows held beyond the source`).toEqual([]);
    return held;
  };

  return {
    source: "altcraft",
    account: "main",
    config,
    env: { DATABASE_URL: url, AC_TOKEN: sim.tokens[0] ?? "" },
    proxy,
    targets,
    async checkConsistent(label) {
      await compare(label, false);
    },
    async checkFinal(finalRunId) {
      const held = await compare("after the final run", true);
      const { streams, runs, gaps } = await streamStatuses(warehouse, "main");
      expect(
        gaps.filter((g) => g.kind !== "stepped"),
        "open count gaps (total_count counts rows from from_time on: none is short)",
      ).toEqual([]);
      // What cannot be read is exactly each burst beyond the first `maxCap` rows: one open gap each, that count.
      expect(
        gaps
          .map((g) => [
            streams.find((s) => s.stream_id === g.stream_id)?.stream_key,
            g.at.getTime(),
            Number(g.unread_events),
          ])
          .sort((a, b) => Number(a[1]) - Number(b[1])),
        "open gaps",
      ).toEqual(
        bursts.map((b) => [String(b.id), b.time, b.count - maxCap]).sort((a, b) => Number(a[1]) - Number(b[1])),
      );
      for (const stream of streams) {
        expect(["succeeded", "incomplete"], `status of campaign ${stream.stream_key}`).toContain(stream.status);
        const last = runs.find((r) => r.stream_id === stream.stream_id && r.run_id === finalRunId);
        expect(last?.status, `final run of campaign ${stream.stream_key}`).toBe(stream.status);
        // The status says what the final run found: incomplete exactly when it met a gap it could not read.
        const foundByFinal = gaps.some((g) => g.stream_id === stream.stream_id && Number(g.last_run_id) === finalRunId);
        expect(
          stream.status === "incomplete",
          `campaign ${stream.stream_key}: incomplete ⇔ the final run met a gap`,
        ).toBe(foundByFinal);
      }
      // No stream run that met a gap ended `succeeded`.
      const metGap = runs.filter((r) => r.unread_at !== null && r.status === "succeeded");
      expect(metGap, "stream runs that met a gap and ended succeeded").toEqual([]);
      return held;
    },
  };
}

describe.each<Source>(["yandex_direct", "altcraft"])("%s killed right after every page", (source) => {
  // Kills: a cursor committed apart from its rows (a kill after the commit then loses the page or stores it again);
  // occurrences numbered across a restart (identical events stored twice); a gap not committed with the page that
  // stepped past it (lost at the next kill); a resumed read that skips what the killed one had not committed.
  it("ends with the exact ground truth (or its gaps counted exactly), nothing twice, after more than 3 kills", async () => {
    const database = await processes.newDatabase();
    const { warehouse } = database;
    const subject =
      source === "yandex_direct"
        ? await startYandex(warehouse, database.url)
        : await startAltcraft(warehouse, database.url);
    expect(subject.targets.size, "streams with something to read").toBeGreaterThan(1);

    let kills = 0;
    const killedPids: number[] = [];
    let selfExit: CliExit | undefined;
    for (let k = 0; selfExit === undefined; k++) {
      expect(k, `the backfill did not end within ${MAX_PROCESSES} processes`).toBeLessThan(MAX_PROCESSES);
      const cursors = await cursorsOf(warehouse, subject.source, subject.account);
      const behind = new Map<string, number | null>();
      for (const [key, target] of subject.targets) {
        const cursor = cursors.get(key) ?? null;
        if (cursor === null || cursor < target) behind.set(key, cursor);
      }
      const cli = processes.startCli(["sync", "-c", subject.config], subject.env);
      const killed = behind.size > 0 && (await killAfterNextPage(cli, warehouse, subject, behind));
      const exit = await cli.exited;
      if (!killed) {
        selfExit = exit;
        break;
      }
      expect(exit.signal, `process ${k}: ${exit.stderr.slice(-500)}`).toBe("SIGKILL");
      kills++;
      killedPids.push(cli.pid);
      await waitForOtherSessions(warehouse);
      await subject.checkConsistent(`after kill ${kills}`);
    }
    expect(kills, "processes killed right after a page").toBeGreaterThan(3);
    expect([0, 2], `the run that exited by itself: ${selfExit.stderr.slice(-2000)}`).toContain(selfExit.code);

    const final = processes.startCli(["sync", "-c", subject.config], subject.env);
    const exit = await final.exited;
    const runs = await warehouse.db
      .selectFrom("sync.runs")
      .select(["run_id", "pid", "status"])
      .orderBy("run_id")
      .execute();
    const finalRun = runs.find((r) => r.pid === final.pid);
    expect(finalRun, `the final run: ${exit.stderr.slice(-2000)}`).toBeDefined();
    const held = await subject.checkFinal(finalRun?.run_id ?? -1);
    expect(held, "rows held").toBeGreaterThan(subject.source === "yandex_direct" ? 150 : 60);
    const statuses = await warehouse.db
      .selectFrom("sync.streams")
      .select("status")
      .where("account", "=", subject.account)
      .execute();
    // The run: succeeded when every stream did, failed when none did (all incomplete), partial otherwise.
    const succeeded = statuses.filter((s) => s.status === "succeeded").length;
    const runStatus = succeeded === statuses.length ? "succeeded" : succeeded === 0 ? "failed" : "partial";
    expect(finalRun?.status, `the final run: ${JSON.stringify(statuses)}`).toBe(runStatus);
    expect(exit.code, exit.stderr.slice(-2000)).toBe(runStatus === "succeeded" ? 0 : 2);
    // Every killed process's run was found without its process and marked abandoned, but for one whose end was
    // recorded before the kill landed (the page that ended the backfill, the other streams already done beside it);
    // nothing is left running.
    const killedRuns = killedPids.map((pid) => ({ pid, status: runs.find((r) => r.pid === pid)?.status }));
    for (const { pid, status } of killedRuns)
      expect(["abandoned", "succeeded", "partial"], `run of killed pid ${pid}`).toContain(status);
    expect(killedRuns.filter((r) => r.status !== "abandoned").length, "killed runs that had ended").toBeLessThan(2);
    const running = await warehouse.db
      .selectFrom("sync.stream_runs")
      .select("run_id")
      .where("status", "=", "running")
      .execute();
    expect(running).toEqual([]);
    // Enough reads to matter: the proxy cut responses (passed fewer records than the server gave) in every
    // process, not only a page or two. (How many responses in all depends on how far each process reads ahead of
    // the page its kill waits for: a count of them would measure the machine's speed.)
    const cut = subject.proxy.responses.filter((r) => r.passedRecords < r.upstreamRecords).length;
    expect(cut, "responses the proxy cut").toBeGreaterThan(kills + 1);
  }, 120_000); // 10–15 s each (6 or 7 processes killed, 2 that end by themselves) with the 2 cores busy elsewhere
  // too; a CLI start alone then takes 2 s, so the limit leaves room
});
