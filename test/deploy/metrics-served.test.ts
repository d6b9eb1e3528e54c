// What the shipped monitoring asks of /metrics is what a real daemon serves. A daemon (the built CLI) runs
// once against the simulators, in a small world where every family of its own appears: of two Altcraft
// campaigns, one the server would not give whole (a 5-row page cap and a burst of 12 rows in one millisecond:
// an open gap of known size, so unread events); a Yandex.Direct agency whose clients are listed (API v5, a
// Units header: the API points gauges) and whose daily call limit is spent mid-read (a quota hit); request
// latency and lag per stream. The run ends partial. Its /metrics page is then the reference for every query
// of deploy/grafana/eventlog-sync.json and every rule expr of deploy/prometheus/*.yaml: each metric named is
// a served series (histograms by _bucket/_count/_sum, `le` on _bucket), each label matched or grouped by is
// served on it, and an equality matcher on status, outcome or count names a value served. Prometheus's own
// series (`up`, `scrape_*`) and target labels (`job`, `instance`) are allowed. A metric renamed in src/daemon
// fails here rather than on the pager.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../../src/postgres/port.finder.js";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { parseExposition, type Served, unservedUses } from "../support/exposition.js";
import { dashboardQueries, ruleFiles, ruleQueries, type ShippedQuery } from "../support/monitoring-queries.js";
import { useProcessTest } from "../support/process-test.js";
import { parsePromql } from "../support/promql.js";
import { until } from "../support/until.js";

const HOUR = 3_600_000;
const AC_TOKEN = "ac-metrics-served-5d1c0e";
const YD_TOKEN = "yd-metrics-served-token";
const test = useProcessTest({ name: "metrics-served", cliTimeoutMs: 110_000 });
let altcraft: AltcraftSimulator;
let yandex: YandexDirectSimulator;

beforeAll(async () => {
  // Every response capped at 5 rows: a burst of 12 rows in one millisecond cannot be read whole.
  altcraft = await startAltcraftSimulator({
    host: "127.0.0.1",
    seed: 11,
    tokens: [AC_TOKEN],
    campaigns: 2,
    historyDays: 1,
    runsPerDay: 2,
    rowsPerRun: 6,
    maxLimit: 5,
    overMaxLimit: "clamp",
  });
  const [campaign] = altcraft.campaigns().map((c) => c.id) as [number];
  const at = Date.now() - HOUR + 17;
  altcraft.addBurst(campaign, { time: at, count: 12, level: "WARNING", message: "Duplicate send", value: "" });
  // Two calls a day: the agency's client listing (API v5, with a Units header: the API points gauges) and
  // the login's first page; the next call is refused with error 56.
  yandex = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 11,
    clientLogins: 1,
    historyDays: 1,
    eventsPerHour: 3,
    dailyCallLimit: 2,
    agencyToken: YD_TOKEN,
  });
});

afterAll(async () => {
  await altcraft?.close();
  await yandex?.close();
});

interface Health {
  running: boolean;
  lastRun: { status: string } | null;
}

/** The /metrics page of a daemon that ran once against both simulators. */
async function scrapeAfterOneRun(): Promise<Served> {
  const database = await test.newDatabase();
  const port = await findFreePort();
  const config = await test.writeConfig({
    // Once at start, then not again this year.
    daemon: { schedule: "0 0 1 1 *", port, runOnStart: true },
    sources: {
      altcraft: { accounts: [{ name: "main", token: "${AC_TOKEN}", url: altcraft.url, startTime: "2d" }] },
      yandex_direct: {
        accounts: [
          {
            name: "agency",
            token: "${YD_TOKEN}",
            endpoint: yandex.endpoint,
            currency: "RUB",
            logins: "all",
            startTime: new Date(Math.floor((Date.now() - 20 * HOUR) / HOUR) * HOUR).toISOString(),
            settleLag: "2s",
            retryMinDelay: "5ms",
            retryMaxDelay: "50ms",
          },
        ],
      },
    },
  });
  const daemon = test.startCli(["daemon", "-c", config], {
    DATABASE_URL: database.url,
    AC_TOKEN,
    YD_TOKEN,
  });
  const base = `http://127.0.0.1:${port}`;
  const health = await until(
    "the daemon's first run to finish",
    async () => {
      const h = (await (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) })).json()) as Health;
      return h.lastRun !== null && !h.running ? h : undefined;
    },
    { timeoutMs: 90_000, everyMs: 100, errorsMeanNotYet: true },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${daemon.stderr().slice(-3_000)}`);
  });
  expect(health.lastRun?.status, daemon.stderr().slice(-3_000)).toBe("partial");
  const page = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  process.kill(daemon.pid, "SIGTERM");
  const exit = await daemon.exited;
  expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
  return parseExposition(page);
}

/** What each query uses that `served` does not serve, `where: problem`. */
function unserved(queries: readonly ShippedQuery[], served: Served, recorded?: ReadonlySet<string>): string[] {
  return queries.flatMap((q) => {
    const parsed = parsePromql(q.expr);
    const errors = parsed.errors.map((e) => `${q.where}: syntax error near ${JSON.stringify(e.near)}`);
    return [...errors, ...unservedUses(parsed, served, recorded).map((p) => `${q.where}: ${p}`)];
  });
}

let served: Served;

describe("the metrics the shipped dashboard and alert rules use", () => {
  beforeAll(async () => {
    served = await scrapeAfterOneRun();
  }, 120_000);

  it("are all served by a real daemon once a run has ended, every family of its own among them", () => {
    // Kills: a scenario that leaves a family out (the check below would then pass on fewer series): no gap,
    // no quota hit, no stream gauges.
    const value = (name: string) => served.get(name);
    for (const name of [
      "eventlog_sync_runs_total",
      "eventlog_sync_skipped_ticks_total",
      "eventlog_sync_events_loaded_total",
      "eventlog_sync_events_duplicate_total",
      "eventlog_sync_rejects_total",
      "eventlog_sync_stream_rows_loaded_total",
      "eventlog_sync_requests_total",
      "eventlog_sync_retries_total",
      "eventlog_sync_quota_hits_total",
      "eventlog_sync_request_duration_seconds_bucket",
      "eventlog_sync_request_duration_seconds_count",
      "eventlog_sync_request_duration_seconds_sum",
      "eventlog_sync_run_in_progress",
      "eventlog_sync_last_run_timestamp_seconds",
      "eventlog_sync_last_run_duration_seconds",
      "eventlog_sync_warehouse_up",
      "eventlog_sync_streams",
      "eventlog_sync_stream_lag_seconds",
      "eventlog_sync_stream_unread_events",
      "eventlog_sync_stream_gaps",
      "eventlog_sync_api_units_spent_total",
      "eventlog_sync_api_units_remaining",
      "eventlog_sync_api_units_daily",
      "process_resident_memory_bytes",
    ])
      expect(value(name), name).toBeDefined();
    expect(value("eventlog_sync_stream_lag_seconds")?.get("source")).toEqual(new Set(["altcraft", "yandex_direct"]));
    expect(value("eventlog_sync_stream_unread_events")?.get("source")).toEqual(new Set(["altcraft"]));
    expect(value("eventlog_sync_stream_gaps")?.get("count")).toEqual(new Set(["known", "unknown"]));
    // A request refused for a spent quota was observed (the quota hit counters are served at 0 from the start).
    const outcomes = value("eventlog_sync_request_duration_seconds_count")?.get("outcome");
    expect([...(outcomes ?? [])]).toEqual(expect.arrayContaining(["ok", "quota"]));
    expect(value("eventlog_sync_request_duration_seconds_bucket")?.has("le")).toBe(true);
  });

  it("the dashboard's: every panel target and variable query", () => {
    // Kills: a metric or label renamed in src/daemon that the dashboard still names (renaming
    // eventlog_sync_stream_lag_seconds fails here), a histogram queried without its suffix.
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    expect(unserved(queries, served)).toEqual([]);
  });

  it("the alert rules': every rule expr of deploy/prometheus/*.yaml (unit tests aside)", () => {
    // Kills: an alert on a metric or label the daemon does not serve (it would never fire).
    const { queries, recorded } = ruleQueries(ruleFiles());
    expect(unserved(queries, served, recorded)).toEqual([]);
  });

  it("are checked for rule files too: an alert on an unserved metric or label is caught", async () => {
    // Kills: rule files read but not checked (an empty or broken reading would pass the test above).
    // A rule file beside the test's config files, in its temporary directory.
    const file = join(await test.writeConfig({}), "..", "rules.yaml");
    await writeFile(
      file,
      [
        "groups:",
        "  - name: eventlog-sync",
        "    rules:",
        "      - record: source:eventlog_sync_requests:rate5m",
        "        expr: sum by (source) (rate(eventlog_sync_requests_total[5m]))",
        "      - alert: Recorded",
        "        expr: source:eventlog_sync_requests:rate5m > 0",
        "      - alert: Renamed",
        "        expr: max(eventlog_sync_stream_lag_second) > 7200",
        "      - alert: NoSuchLabel",
        '        expr: eventlog_sync_runs_total{state="failed"} > 0',
        "      - alert: NoSuchStatus",
        '        expr: eventlog_sync_runs_total{status="failure"} > 0',
        "      - alert: Down",
        '        expr: up{job="eventlog-sync"} == 0 or eventlog_sync_warehouse_up == 0',
        "",
      ].join("\n"),
    );
    const { queries, recorded } = ruleQueries([file]);
    expect(queries.map((q) => q.where.replace(/^.* rule /, ""))).toEqual([
      "source:eventlog_sync_requests:rate5m",
      "Recorded",
      "Renamed",
      "NoSuchLabel",
      "NoSuchStatus",
      "Down",
    ]);
    expect(unserved(queries, served, recorded).map((p) => p.replace(/^.* rule /, ""))).toEqual([
      "Renamed: eventlog_sync_stream_lag_second is not served",
      "NoSuchLabel: eventlog_sync_runs_total is not served with the label state (=)",
      'NoSuchStatus: eventlog_sync_runs_total{status="failure"}: no series serves status="failure"',
    ]);
  });
});
