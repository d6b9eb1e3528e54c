/**
 * PromQL read by the Prometheus project's own grammar (@prometheus-io/lezer-promql), for the tests of the
 * queries shipped in deploy/ (the Grafana dashboard, the alert rules): an expression's syntax errors, its
 * vector selectors (metric name and label matchers), and the labels its by/without/on/ignoring/group_left/
 * group_right clauses name, with the metrics each applies to. Grafana's variables are substituted first, the
 * way Grafana does before it sends a query (`grafanaQuery`).
 */
import { parser } from "@prometheus-io/lezer-promql";

type Node = ReturnType<typeof parser.parse>["topNode"];

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcher {
  label: string;
  op: MatchOp;
  /** The matched value, unquoted. */
  value: string;
}

export interface Selector {
  /** The metric name: the selector's identifier, or its `__name__="…"` matcher; undefined when neither. */
  metric: string | undefined;
  /** The matchers in braces, `__name__` left out. */
  matchers: LabelMatcher[];
}

export type GroupingClause = "by" | "without" | "on" | "ignoring" | "group_left" | "group_right";

/** Labels named by one grouping clause, and the metrics of the selectors they must be found on. */
export interface Grouping {
  clause: GroupingClause;
  labels: string[];
  metrics: string[];
}

export interface SyntaxError {
  /** Offset in the expression. */
  at: number;
  /** The expression from a little before the error to a little after. */
  near: string;
}

export interface ParsedQuery {
  expr: string;
  errors: SyntaxError[];
  selectors: Selector[];
  groupings: Grouping[];
}

/** Parses `expr`: its syntax errors (error nodes of the grammar), selectors and grouping clauses. */
export function parsePromql(expr: string): ParsedQuery {
  const tree = parser.parse(expr);
  const errors: SyntaxError[] = [];
  const selectors: Selector[] = [];
  const groupings: Grouping[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) errors.push({ at: ref.from, near: expr.slice(Math.max(0, ref.from - 20), ref.to + 20) });
      if (ref.name === "VectorSelector") selectors.push(selectorOf(ref.node, expr));
      if (ref.name === "AggregateExpr") groupings.push(...aggregateGroupings(ref.node, expr));
      if (ref.name === "BinaryExpr") groupings.push(...matchingGroupings(ref.node, expr));
    },
  });
  return { expr, errors, selectors, groupings };
}

const text = (node: Node, expr: string) => expr.slice(node.from, node.to);

/** The value of a PromQL string literal: "…" and '…' with Go escapes, `…` raw. */
export function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (literal.startsWith("`")) return body;
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r" })[c] ?? c);
}

function selectorOf(node: Node, expr: string): Selector {
  const identifier = node.getChild("Identifier");
  let metric = identifier ? text(identifier, expr) : undefined;
  const matchers: LabelMatcher[] = [];
  for (const m of node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
    const label = m.getChild("LabelName");
    const op = m.getChild("MatchOp");
    const value = m.getChild("StringLiteral");
    if (!label || !op || !value) continue;
    matchers.push({ label: text(label, expr), op: text(op, expr) as MatchOp, value: unquote(text(value, expr)) });
  }
  for (const m of node.getChild("LabelMatchers")?.getChildren("QuotedLabelName") ?? []) {
    metric = unquote(text(m, expr));
  }
  const name = matchers.find((m) => m.label === "__name__" && m.op === "=");
  if (name) metric = name.value;
  return { metric, matchers: matchers.filter((m) => m.label !== "__name__") };
}

/** The metric names of the selectors inside `node` (or inside [from, to) of it). */
function metricsWithin(node: Node, expr: string, from = node.from, to = node.to): string[] {
  const metrics = new Set<string>();
  node.cursor().iterate((ref) => {
    if (ref.name !== "VectorSelector" || ref.from < from || ref.to > to) return;
    const metric = selectorOf(ref.node, expr).metric;
    if (metric) metrics.add(metric);
  });
  return [...metrics];
}

const labelsOf = (grouping: Node | null, expr: string) =>
  grouping?.getChildren("LabelName").map((l) => text(l, expr)) ?? [];

/** `sum by (a) (x)` / `sum(x) without (a)`: the labels apply to every selector aggregated. */
function aggregateGroupings(node: Node, expr: string): Grouping[] {
  const modifier = node.getChild("AggregateModifier");
  if (!modifier) return [];
  const clause: GroupingClause = modifier.getChild("Without") ? "without" : "by";
  return [{ clause, labels: labelsOf(modifier.getChild("GroupingLabels"), expr), metrics: metricsWithin(node, expr) }];
}

/**
 * `a / on (x) group_left (y) b`: on/ignoring labels apply to both sides' selectors; group_left's labels are
 * copied from the right side ("one" side), group_right's from the left.
 */
function matchingGroupings(node: Node, expr: string): Grouping[] {
  const clause = node.getChild("MatchingModifierClause");
  if (!clause) return [];
  const groupings: Grouping[] = [];
  const [matching, grouping] = clause.getChildren("GroupingLabels");
  const matchingClause: GroupingClause = clause.getChild("Ignoring") ? "ignoring" : "on";
  if (clause.getChild("On") || clause.getChild("Ignoring"))
    groupings.push({
      clause: matchingClause,
      labels: labelsOf(matching ?? null, expr),
      metrics: metricsWithin(node, expr),
    });
  const left = metricsWithin(node, expr, node.from, clause.from);
  const right = metricsWithin(node, expr, clause.to, node.to);
  if (clause.getChild("GroupLeft"))
    groupings.push({ clause: "group_left", labels: labelsOf(grouping ?? null, expr), metrics: right });
  if (clause.getChild("GroupRight"))
    groupings.push({ clause: "group_right", labels: labelsOf(grouping ?? null, expr), metrics: left });
  return groupings;
}

/** Grafana's interval variables, as a dashboard on a 15 s scrape interval over the last hour gets them. */
const GRAFANA_INTERVALS: Record<string, string> = {
  __rate_interval: "1m",
  __interval: "15s",
  __interval_ms: "15000",
  __range: "1h",
  __range_s: "3600",
  __range_ms: "3600000",
};

/**
 * A dashboard query as Grafana sends it to Prometheus: `$__rate_interval`, `$__interval` and `$__range` (and
 * their _s/_ms forms) become durations; a template variable (`$var`, `${var}`, `${var:format}`, `[[var]]`)
 * becomes `values[var]`, by default a plausible label value (`value`).
 */
export function grafanaQuery(expr: string, values: Record<string, string> = {}): string {
  return expr.replace(
    /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g,
    (_, braced?: string, bracketed?: string, bare?: string) => {
      const name = (braced ?? bracketed ?? bare) as string;
      return GRAFANA_INTERVALS[name] ?? values[name] ?? "value";
    },
  );
}

/** One (metric, label) pair a query uses, with how it uses it. */
export interface LabelUse {
  metric: string;
  label: string;
  /** `=`, `!=`, `=~`, `!~` for a matcher (with its value), else the grouping clause. */
  how: MatchOp | GroupingClause;
  value?: string;
}

/** Every metric a query names (selectors without a name left out). */
export function metricsOf(query: ParsedQuery): string[] {
  return [...new Set(query.selectors.flatMap((s) => (s.metric ? [s.metric] : [])))];
}

/** Every (metric, label) a query uses: its matchers, and the labels of its grouping clauses on each metric. */
export function labelUsesOf(query: ParsedQuery): LabelUse[] {
  const uses: LabelUse[] = [];
  for (const s of query.selectors) {
    if (!s.metric) continue;
    for (const m of s.matchers) uses.push({ metric: s.metric, label: m.label, how: m.op, value: m.value });
  }
  for (const g of query.groupings) {
    for (const metric of g.metrics) for (const label of g.labels) uses.push({ metric, label, how: g.clause });
  }
  return uses;
}
