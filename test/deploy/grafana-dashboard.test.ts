// deploy/grafana/eventlog-sync.json, the daemon's Grafana dashboard: an importable dashboard on any Prometheus
// (a datasource variable), whose every query parses as PromQL by the Prometheus project's own grammar and
// names only series and labels the daemon serves. The served names come from the product: the daemon's own
// metrics registry built in-process and rendered (the warehouse's stream gauges from one stream with open
// gaps), not a list kept by hand. The PromQL reader (test/support/promql.ts) is checked here too.
import { describe, expect, it, vi } from "vitest";
import { createDaemonMetrics } from "../../src/daemon/daemon.metrics.js";
import type { RunSummary } from "../../src/sync/run-sync.engine.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { parseExposition, type Served, unservedUses } from "../support/exposition.js";
import { allPanels, dashboardQueries, readDashboard, variablePromql } from "../support/monitoring-queries.js";
import { grafanaQuery, labelUsesOf, metricsOf, parsePromql } from "../support/promql.js";

// The warehouse's rows behind the stream gauges: one stream with open gaps of known and unknown size.
vi.mock("../../src/warehouse/stream-gauges.repository.js", () => ({
  streamGauges: () =>
    Promise.resolve([
      {
        source: "altcraft",
        account: "main",
        stream_key: "42",
        status: "incomplete",
        lag: 30,
        gaps: { openGaps: 2, unreadKnown: 7, unknownGaps: 1, unreadAt: new Date() },
      },
    ]),
}));

/** The page the daemon serves after a run, a quota hit, a response with API points and a skipped tick, rendered in-process. */
async function servedByTheDaemon(): Promise<Served> {
  const metrics = createDaemonMetrics({ accounts: [{ source: "altcraft", account: "main" }] });
  const stream = { identity: { source: "altcraft", account: "main", streamKey: "42" }, inserted: 5 };
  metrics.recordRun({ runId: 1, status: "partial", streams: [stream], accounts: [] } as unknown as RunSummary, 3);
  metrics.recordSkippedTick();
  metrics.setRunning(false);
  const observer = metrics.requestObserver("altcraft", "main");
  observer.request("ok", 0.02);
  observer.request("quota", 0.3);
  observer.units?.({ spent: 10, remaining: 90, daily: 100 });
  return parseExposition(await metrics.render({} as Warehouse));
}

const dashboard = readDashboard();
const queries = dashboardQueries(dashboard);

describe("the PromQL reader", () => {
  it("reads selectors, matchers and the labels of grouping clauses with the metrics they apply to", () => {
    // Kills: a reader that misses a selector, a matcher, a grouping clause or the side group_left applies to.
    const q = parsePromql(
      'sum by (le, source) (rate(a_bucket{outcome="ok", source=~"x|y"}[5m])) / on (source) group_left (account) max without (stream) (b{__name__="b"})',
    );
    expect(q.errors).toEqual([]);
    expect(q.selectors).toEqual([
      {
        metric: "a_bucket",
        matchers: [
          { label: "outcome", op: "=", value: "ok" },
          { label: "source", op: "=~", value: "x|y" },
        ],
      },
      { metric: "b", matchers: [] },
    ]);
    expect(q.groupings).toEqual([
      { clause: "on", labels: ["source"], metrics: ["a_bucket", "b"] },
      { clause: "group_left", labels: ["account"], metrics: ["b"] },
      { clause: "by", labels: ["le", "source"], metrics: ["a_bucket"] },
      { clause: "without", labels: ["stream"], metrics: ["b"] },
    ]);
    expect(metricsOf(q)).toEqual(["a_bucket", "b"]);
    expect(labelUsesOf(q)).toContainEqual({ metric: "b", label: "account", how: "group_left" });
  });

  it("finds the grammar's error nodes", () => {
    // Kills: a reader that reports no error for a broken query (every check below would pass vacuously).
    for (const broken of ["sum(rate(a[5m])", "a{b=}", "rate(a[$__rate_interval])", "a without (b)", "sum by (a b) (c)"])
      expect(parsePromql(broken).errors, broken).not.toEqual([]);
  });

  it("substitutes Grafana's variables the way Grafana does before sending a query", () => {
    // Kills: a $__rate_interval left in (a syntax error) or a variable left unsubstituted.
    expect(
      grafanaQuery('rate(a{s=~"$source", t="${account}", u=~"${job:regex}"}[$__rate_interval])', { source: "x" }),
    ).toBe('rate(a{s=~"x", t="value", u=~"value"}[1m])');
    expect(grafanaQuery("increase(a[$__range]) / $__range_s + $__interval_ms")).toBe("increase(a[1h]) / 3600 + 15000");
    expect(variablePromql('label_values(a{b=~"x"}, c)')).toBe('group by (c) (a{b=~"x"})');
  });

  it("reports a metric or a label the daemon does not serve", async () => {
    // Kills: a check that accepts any name (a renamed metric or label would reach Grafana unnoticed).
    const served = await servedByTheDaemon();
    const check = (expr: string) => unservedUses(parsePromql(expr), served);
    expect(check("eventlog_sync_stream_lag_second")).toEqual(["eventlog_sync_stream_lag_second is not served"]);
    expect(check("sum by (stream) (eventlog_sync_requests_total)")).toEqual([
      "eventlog_sync_requests_total is not served with the label stream (by)",
    ]);
    expect(check('eventlog_sync_runs_total{status="success"}')).toHaveLength(1);
    expect(check('eventlog_sync_last_run_timestamp_seconds{status=~"succeeded|partal"}')).toEqual([
      'eventlog_sync_last_run_timestamp_seconds{status=~"succeeded|partal"}: no series serves status="partal"',
    ]);
    expect(check('eventlog_sync_stream_gaps{count=~"known|unknown", stream=~"4.*"}')).toEqual([]);
    // ignoring/without only drop a label: one side having it is enough, none having it is a slip.
    expect(check("eventlog_sync_warehouse_up unless ignoring (status) eventlog_sync_runs_total")).toEqual([]);
    expect(check("eventlog_sync_warehouse_up unless ignoring (state) eventlog_sync_runs_total")).toHaveLength(2);
    expect(check("max without (stream) (eventlog_sync_streams)")).toEqual([
      "eventlog_sync_streams is not served with the label stream (without)",
    ]);
    expect(check('eventlog_sync_request_duration_seconds{outcome="ok"}')).toHaveLength(1);
    expect(check('sum by (le) (eventlog_sync_request_duration_seconds_bucket{outcome="ok"}) + up{job="x"}')).toEqual(
      [],
    );
  });
});

describe("deploy/grafana/eventlog-sync.json", () => {
  it("is one dashboard with a fixed uid and title, on a Prometheus datasource variable", () => {
    // Kills: a dashboard tied to one Grafana's datasource uid, a changing uid (imports would duplicate it),
    // an old schema, panels without a description or unit.
    expect(dashboard).toMatchObject({ uid: "eventlog-sync", title: "eventlog-sync" });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.datasource).toMatchObject({ type: "datasource", query: "prometheus" });
    for (const name of ["source", "account"]) {
      expect(variables[name]).toMatchObject({
        type: "query",
        datasource: { type: "prometheus", uid: "${datasource}" },
      });
      expect(JSON.stringify(variables[name]?.query)).toMatch(new RegExp(`label_values\\(.*, ${name}\\)`));
    }
    const panels = allPanels(dashboard.panels).filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThan(15);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(panel.description, panel.title).toMatch(/\w{10}/);
      expect(panel.fieldConfig?.defaults?.unit, panel.title).toMatch(/^(s|short|reqps|bytes|percentunit)$/);
      for (const target of panel.targets ?? []) {
        expect(target.expr, panel.title).toBeDefined();
        for (const [, range] of target.expr!.matchAll(/\b(?:rate|increase)\([^[]*\[([^\]]*)\]/g))
          expect(range, `${panel.title}: ${target.expr}`).toBe("$__rate_interval");
      }
    }
  });

  it("shows every metric family of the daemon's own (eventlog_sync_*)", async () => {
    // Kills: a panel dropped (its family then has no query), e.g. the unread events or the quota hits.
    const named = new Set(queries.flatMap((q) => metricsOf(parsePromql(q.expr))));
    const own = [...(await servedByTheDaemon()).keys()]
      .filter((name) => name.startsWith("eventlog_sync_"))
      .map((name) => name.replace(/_(bucket|sum)$/, "_count"));
    expect(own.length).toBeGreaterThan(20);
    expect([...new Set(own)].filter((name) => !named.has(name))).toEqual([]);
  });

  it("has only queries that parse as PromQL", () => {
    // Kills: a syntax error in any panel target or variable query (a typo, an unbalanced parenthesis, a
    // Grafana variable where PromQL cannot take it).
    expect(queries.length).toBeGreaterThan(20);
    const broken = queries.filter((q) => parsePromql(q.expr).errors.length > 0);
    expect(broken).toEqual([]);
  });

  it("names only series and labels the daemon serves", async () => {
    // Kills: a metric or label renamed in src/daemon (or misspelt in the dashboard), a histogram queried
    // without its _bucket suffix, a status or outcome value the daemon never serves.
    const served = await servedByTheDaemon();
    const problems = queries.flatMap((q) => unservedUses(parsePromql(q.expr), served).map((p) => `${q.where}: ${p}`));
    expect(problems).toEqual([]);
  });
});
