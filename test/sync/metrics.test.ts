// The daemon's metrics after real runs against the simulators: counters at 0 before the first run, process and Node
// runtime metrics, one latency observation per request made (by source and outcome), retries and quota hits per
// account, rows loaded per stream equal to the warehouse's rows, and the same from a real daemon's /metrics.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseConfig } from "../../src/config/config.loader.js";
import { configuredAccounts, createDaemonMetrics } from "../../src/daemon/daemon.metrics.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { findFreePort } from "../../src/postgres/port.finder.js";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runSync } from "../../src/sync/run-sync.engine.js";
import { killRunningClis, startCli } from "../support/cli.js";
import { createTestDatabase, emptyWarehouse, type TestDatabase } from "../support/test-database.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const YD_TOKEN = "agency-token";
const clock = { now: Date.UTC(2026, 10, 20, 12) };
let database: TestDatabase;
let altcraft: AltcraftSimulator;
let yandex: YandexDirectSimulator;
let acToken: string;

beforeAll(async () => {
  database = await createTestDatabase();
  altcraft = await startAltcraftSimulator({ seed: 7, campaigns: 3, historyDays: 4, clock: () => clock.now });
  for (const c of altcraft.campaigns()) altcraft.setCampaignState(c.id, "completed");
  yandex = await startYandexDirectSimulator({
    seed: 4,
    clientLogins: 2,
    historyDays: 3,
    eventsPerHour: 6,
    clock: () => clock.now,
  });
  acToken = altcraft.tokens[0] ?? "";
});
afterAll(async () => {
  killRunningClis();
  await altcraft?.close();
  await yandex?.close();
  await database?.drop();
});
beforeEach(async () => {
  await emptyWarehouse(database.warehouse);
  altcraft.resetRequestCounts();
  yandex.resetRequestCounts();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a Prometheus text page (comments and blank lines skipped). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    samples.push({ name: match[1] ?? "", labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include `labels`; undefined when there is none. */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? undefined : hits.reduce((n, s) => n + s.value, 0);
}

const total = (counts: Record<string, Record<string, number>>, token: string) =>
  Object.values(counts[token] ?? {}).reduce((n, c) => n + c, 0);

function config() {
  const quick = {
    startTime: new Date(clock.now - 5 * DAY).toISOString(),
    timeout: "3s",
    retries: 3,
    retryMinDelay: "1ms",
    retryMaxDelay: "5ms",
  };
  return parseConfig(
    {
      sources: {
        altcraft: { accounts: [{ name: "main", token: "${AC_TOKEN}", url: altcraft.url, ...quick }] },
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: yandex.endpoint,
              currency: "RUB",
              logins: ["client-1", "client-2"],
              settleLag: "60s",
              ...quick,
            },
          ],
        },
      },
    },
    { AC_TOKEN: acToken, YD_TOKEN },
  );
}

/** Event rows the warehouse holds per stream, keyed `source/account/stream`. */
async function rowsPerStream(): Promise<Map<string, number>> {
  const { rows } = await sql<{ key: string; n: number }>`
    select s.source || '/' || s.account || '/' || s.stream_key as key, count(*)::int as n
      from sync.streams s join (select stream_id from altcraft.campaign_log union all select stream_id from yandex_direct.events) e using (stream_id)
     group by 1`.execute(database.warehouse.db);
  return new Map(rows.map((r) => [r.key, r.n]));
}

describe("the daemon's metrics", () => {
  it("start at 0, then count every request by source and outcome, retries and quota hits per account, and rows per stream", async () => {
    const cfg = config();
    const metrics = createDaemonMetrics({ accounts: configuredAccounts(cfg) });
    const scrape = async () => parse(await metrics.render(database.warehouse));

    // Before any run: process and runtime metrics, and every counter with known labels at 0.
    const before = await scrape();
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_version_info",
    ]) {
      expect(value(before, name), name).toBeDefined();
    }
    for (const status of ["succeeded", "partial", "failed", "interrupted"])
      expect(value(before, "eventlog_sync_runs_total", { status })).toBe(0);
    expect(value(before, "eventlog_sync_skipped_ticks_total")).toBe(0);
    for (const account of [
      { source: "altcraft", account: "main" },
      { source: "yandex_direct", account: "agency" },
    ]) {
      for (const name of [
        "eventlog_sync_requests_total",
        "eventlog_sync_retries_total",
        "eventlog_sync_quota_hits_total",
      ])
        expect(value(before, name, account), `${name} ${account.source}`).toBe(0);
      for (const name of [
        "eventlog_sync_events_loaded_total",
        "eventlog_sync_events_duplicate_total",
        "eventlog_sync_rejects_total",
      ])
        expect(value(before, name, { source: account.source })).toBe(0);
      expect(
        value(before, "eventlog_sync_request_duration_seconds_count", { source: account.source, outcome: "ok" }),
      ).toBe(0);
    }
    expect(value(before, "eventlog_sync_stream_rows_loaded_total")).toBeUndefined();
    expect(value(before, "eventlog_sync_warehouse_up")).toBe(1);

    // A run in which the campaign listing is retried twice (HTTP 503) and GetEventsLog twice (an API 503 body
    // and an HTTP 502).
    altcraft.failNext(acToken, 2, 503);
    yandex.failNext(YD_TOKEN, 503, 1);
    yandex.failNext(YD_TOKEN, 502, 1);
    const sync = () =>
      runSync({
        warehouse: database.warehouse,
        config: cfg,
        log: createLogger({ level: "silent" }),
        signal: new AbortController().signal,
        command: "test",
        now: () => new Date(clock.now),
        requests: metrics.requestObserver,
      });
    const first = await sync();
    expect(
      first.status,
      JSON.stringify([first.accounts, first.streams.map((s) => [s.identity, s.status, s.error])]),
    ).toBe("succeeded");
    metrics.recordRun(first, 1);

    const after = await scrape();
    const acRequests = total(altcraft.requestCounts(), acToken);
    const ydRequests = total(yandex.requestCounts(), YD_TOKEN);
    expect(acRequests).toBeGreaterThan(3);
    expect(ydRequests).toBeGreaterThan(2);
    expect(value(after, "eventlog_sync_requests_total", { source: "altcraft", account: "main" })).toBe(acRequests);
    expect(value(after, "eventlog_sync_requests_total", { source: "yandex_direct", account: "agency" })).toBe(
      ydRequests,
    );
    // One latency observation per request, by outcome.
    expect(value(after, "eventlog_sync_request_duration_seconds_count", { source: "altcraft" })).toBe(acRequests);
    expect(
      value(after, "eventlog_sync_request_duration_seconds_count", { source: "altcraft", outcome: "api_error" }),
    ).toBe(2);
    expect(value(after, "eventlog_sync_request_duration_seconds_count", { source: "altcraft", outcome: "ok" })).toBe(
      acRequests - 2,
    );
    expect(value(after, "eventlog_sync_request_duration_seconds_count", { source: "yandex_direct" })).toBe(ydRequests);
    expect(
      value(after, "eventlog_sync_request_duration_seconds_count", { source: "yandex_direct", outcome: "api_error" }),
    ).toBe(1);
    expect(
      value(after, "eventlog_sync_request_duration_seconds_count", { source: "yandex_direct", outcome: "http_error" }),
    ).toBe(1);
    expect(
      value(after, "eventlog_sync_request_duration_seconds_count", { source: "yandex_direct", outcome: "ok" }),
    ).toBe(ydRequests - 2);
    // Buckets are cumulative and end at the count.
    for (const source of ["altcraft", "yandex_direct"]) {
      const buckets = after.filter(
        (s) =>
          s.name === "eventlog_sync_request_duration_seconds_bucket" &&
          s.labels["source"] === source &&
          s.labels["outcome"] === "ok",
      );
      expect(buckets.map((b) => b.labels["le"]).at(-1)).toBe("+Inf");
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]?.value).toBeGreaterThanOrEqual(buckets[i - 1]?.value ?? 0);
      expect(buckets.at(-1)?.value).toBe(
        value(after, "eventlog_sync_request_duration_seconds_count", { source, outcome: "ok" }),
      );
      expect(value(after, "eventlog_sync_request_duration_seconds_sum", { source, outcome: "ok" })).toBeGreaterThan(0);
    }
    // The listing's retries count for the account although no stream's summary holds them.
    expect(value(after, "eventlog_sync_retries_total", { source: "altcraft", account: "main" })).toBe(2);
    expect(first.streams.filter((s) => s.identity.source === "altcraft").reduce((n, s) => n + s.retries, 0)).toBe(0);
    expect(value(after, "eventlog_sync_retries_total", { source: "yandex_direct", account: "agency" })).toBe(2);
    expect(value(after, "eventlog_sync_quota_hits_total")).toBe(0);

    // Rows loaded per stream are the warehouse's rows, and every stream has its series.
    const held = await rowsPerStream();
    expect(held.size).toBe(altcraft.campaigns().length + 2);
    const loaded = after.filter((s) => s.name === "eventlog_sync_stream_rows_loaded_total");
    expect(
      new Map(loaded.map((s) => [`${s.labels["source"]}/${s.labels["account"]}/${s.labels["stream"]}`, s.value])),
    ).toEqual(held);
    expect([...held.values()].every((n) => n > 0)).toBe(true);
    expect(value(after, "eventlog_sync_events_loaded_total")).toBe([...held.values()].reduce((n, c) => n + c, 0));
    expect(value(after, "eventlog_sync_runs_total", { status: "succeeded" })).toBe(1);

    // A spent tariff: the listing is refused with 402, a quota hit of the account, not retried.
    altcraft.resetRequestCounts();
    altcraft.failNext(acToken, 1, 402);
    const second = await sync();
    expect(second.accounts).toEqual([expect.objectContaining({ source: "altcraft", account: "main" })]);
    metrics.recordRun(second, 1);
    const quota = await scrape();
    expect(total(altcraft.requestCounts(), acToken)).toBe(1);
    expect(value(quota, "eventlog_sync_quota_hits_total", { source: "altcraft", account: "main" })).toBe(1);
    expect(value(quota, "eventlog_sync_quota_hits_total", { source: "yandex_direct", account: "agency" })).toBe(0);
    expect(value(quota, "eventlog_sync_request_duration_seconds_count", { source: "altcraft", outcome: "quota" })).toBe(
      1,
    );
    expect(value(quota, "eventlog_sync_requests_total", { source: "altcraft", account: "main" })).toBe(acRequests + 1);
    expect(value(quota, "eventlog_sync_retries_total", { source: "altcraft", account: "main" })).toBe(2);
    // Nothing new was loaded: rows per stream still match the warehouse.
    const still = quota.filter((s) => s.name === "eventlog_sync_stream_rows_loaded_total");
    expect(
      new Map(still.map((s) => [`${s.labels["source"]}/${s.labels["account"]}/${s.labels["stream"]}`, s.value])),
    ).toEqual(await rowsPerStream());
  });

  it("report the points a discovering account's listing spent and has left, as its Units header said", async () => {
    const cfg = parseConfig(
      {
        sources: {
          yandex_direct: {
            accounts: [
              {
                name: "agency",
                token: "${YD_TOKEN}",
                endpoint: yandex.endpoint,
                currency: "RUB",
                logins: "all",
                startTime: new Date(clock.now - DAY).toISOString(),
              },
            ],
          },
        },
      },
      { YD_TOKEN },
    );
    const metrics = createDaemonMetrics({ accounts: configuredAccounts(cfg) });
    yandex.resetPoints(YD_TOKEN);
    const summary = await runSync({
      warehouse: database.warehouse,
      config: cfg,
      log: createLogger({ level: "silent" }),
      signal: new AbortController().signal,
      command: "test",
      now: () => new Date(clock.now),
      requests: metrics.requestObserver,
    });
    expect(summary.status).toBe("succeeded");
    const points = yandex.points(YD_TOKEN);
    const samples = parse(await metrics.render(database.warehouse));
    const labels = { source: "yandex_direct", account: "agency" };
    expect(points.spent).toBeGreaterThan(0);
    expect(value(samples, "eventlog_sync_api_units_spent_total", labels)).toBe(points.spent);
    expect(value(samples, "eventlog_sync_api_units_remaining", labels)).toBe(points.remaining);
    expect(value(samples, "eventlog_sync_api_units_daily", labels)).toBe(points.daily);
  });

  it("are served by a real daemon at /metrics: runtime metrics, and one latency observation per request it made", async () => {
    const dir = await mkdtemp(join(tmpdir(), "eventlog-sync-metrics-"));
    try {
      const sim = await startYandexDirectSimulator({ seed: 9, clientLogins: 2, historyDays: 2, eventsPerHour: 5 });
      try {
        const port = await findFreePort();
        const file = join(dir, "config.yaml");
        await writeFile(
          file,
          stringify({
            // Once at start, then not again this year: the counts are stable once the first run ends.
            daemon: { schedule: "0 0 1 1 *", port, runOnStart: true },
            sources: {
              yandex_direct: {
                accounts: [
                  {
                    name: "agency",
                    token: "${YD_TOKEN}",
                    endpoint: sim.endpoint,
                    currency: "RUB",
                    logins: ["client-1", "client-2"],
                    startTime: new Date(Math.floor((Date.now() - 24 * HOUR) / HOUR) * HOUR).toISOString(),
                    settleLag: "2s",
                    retryMinDelay: "5ms",
                    retryMaxDelay: "50ms",
                  },
                ],
              },
            },
          }),
        );
        sim.failNext(YD_TOKEN, 503, 1);
        const daemon = startCli(["daemon", "-c", file], {
          env: { DATABASE_URL: database.url, YD_TOKEN },
          timeoutMs: 90_000,
        });
        const base = `http://127.0.0.1:${port}`;
        let page: { type: string | null; samples: Sample[] } | undefined;
        for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
          const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) }).catch(
            () => undefined,
          );
          if (!response?.ok) continue;
          const samples = parse(await response.text());
          if (
            value(samples, "eventlog_sync_runs_total", { status: "succeeded" }) === 1 &&
            value(samples, "eventlog_sync_run_in_progress") === 0
          ) {
            page = { type: response.headers.get("content-type"), samples };
            break;
          }
        }
        if (!page)
          throw new Error(`no finished run on /metrics: ${(await daemon.exited.catch(() => undefined))?.stderr ?? ""}`);
        const { samples } = page;
        expect(page.type).toMatch(/^text\/plain; version=0\.0\.4/);
        for (const name of [
          "process_cpu_seconds_total",
          "process_resident_memory_bytes",
          "nodejs_eventloop_lag_seconds",
          "nodejs_heap_size_total_bytes",
        ])
          expect(value(samples, name), name).toBeDefined();
        const made = total(sim.requestCounts(), YD_TOKEN);
        expect(made).toBeGreaterThan(1);
        expect(value(samples, "eventlog_sync_requests_total", { source: "yandex_direct", account: "agency" })).toBe(
          made,
        );
        expect(value(samples, "eventlog_sync_request_duration_seconds_count", { source: "yandex_direct" })).toBe(made);
        expect(
          value(samples, "eventlog_sync_request_duration_seconds_count", {
            source: "yandex_direct",
            outcome: "api_error",
          }),
        ).toBe(1);
        expect(value(samples, "eventlog_sync_retries_total", { source: "yandex_direct", account: "agency" })).toBe(1);
        const held = await rowsPerStream();
        for (const login of ["client-1", "client-2"]) {
          expect(
            value(samples, "eventlog_sync_stream_rows_loaded_total", {
              source: "yandex_direct",
              account: "agency",
              stream: login,
            }),
            login,
          ).toBe(held.get(`yandex_direct/agency/${login}`));
        }
        process.kill(daemon.pid, "SIGTERM");
        expect((await daemon.exited).code).toBe(0);
      } finally {
        await sim.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
