/**
 * What a /metrics page serves, and whether a PromQL query (test/support/promql.ts) uses only that: every
 * metric it names is a served series name (a histogram's `_bucket`, `_count`, `_sum`, `le` on `_bucket` only,
 * as Prometheus stores them), every label it matches or groups by is served on that metric, and an equality
 * matcher (or a plain alternation `a|b`) on a label whose values the daemon enumerates names values it serves
 * (`unservedUses`).
 */
import { metricsOf, type ParsedQuery } from "./promql.js";

/** Series name → label name → the values served. */
export type Served = Map<string, Map<string, Set<string>>>;

/** The series of a Prometheus text exposition page (version 0.0.4), by name, with their labels' values. */
export function parseExposition(page: string): Served {
  const served: Served = new Map();
  for (const line of page.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+\S+(?:\s+\d+)?$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = served.get(match[1]!) ?? new Map<string, Set<string>>();
    served.set(match[1]!, labels);
    for (const [, name, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      const values = labels.get(name!) ?? new Set<string>();
      values.add(value!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)));
      labels.set(name!, values);
    }
  }
  return served;
}

/** Series Prometheus makes for every target itself, not served by the target. */
export const SYNTHETIC_SERIES = /^(up|scrape_\w+)$/;
/** Labels Prometheus adds to every series it scrapes (the target's `job` and `instance`). */
export const TARGET_LABELS = new Set(["job", "instance"]);
/** Labels whose values the daemon enumerates from a fixed list: an equality matcher must name one it serves. */
export const ENUMERATED_LABELS = new Set(["status", "outcome", "count"]);

/** The values of `label` served on any series. */
function servedValues(served: Served, label: string): Set<string> {
  const values = new Set<string>();
  for (const labels of served.values()) for (const v of labels.get(label) ?? []) values.add(v);
  return values;
}

/** The values an equality matcher, or a regex matcher that is a plain alternation (`a|b`), names. */
function namedValues(op: string, value: string): string[] {
  if (op === "=") return [value];
  return op === "=~" && /^\w+(\|\w+)*$/.test(value) ? value.split("|") : [];
}

/** Clauses that only drop a label: harmless on a series without it, but a label none of their series has is a slip. */
const DROPPING = new Set(["without", "ignoring"]);

/**
 * What `query` uses that `served` does not serve, one sentence each; empty when it uses only served series.
 * A matcher's label must be served on its metric; a by/on/group_left/group_right label on every metric it
 * applies to; a without/ignoring label on at least one of them. `recorded`: series that recording rules make
 * (their labels are not checked).
 */
export function unservedUses(query: ParsedQuery, served: Served, recorded: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  for (const metric of metricsOf(query)) {
    if (!served.has(metric) && !SYNTHETIC_SERIES.test(metric) && !recorded.has(metric))
      problems.push(`${metric} is not served`);
  }
  for (const s of query.selectors) {
    const labels = s.metric === undefined ? undefined : served.get(s.metric);
    if (!labels) continue;
    for (const m of s.matchers) {
      if (TARGET_LABELS.has(m.label)) continue;
      if (!labels.has(m.label)) problems.push(`${s.metric} is not served with the label ${m.label} (${m.op})`);
      else if (ENUMERATED_LABELS.has(m.label)) {
        const values = servedValues(served, m.label);
        for (const value of namedValues(m.op, m.value).filter((v) => !values.has(v)))
          problems.push(`${s.metric}{${m.label}${m.op}"${m.value}"}: no series serves ${m.label}="${value}"`);
      }
    }
  }
  for (const g of query.groupings) {
    const metrics = g.metrics.filter((metric) => served.has(metric));
    for (const label of g.labels.filter((l) => !TARGET_LABELS.has(l))) {
      const without = metrics.filter((metric) => !served.get(metric)!.has(label));
      const missing = DROPPING.has(g.clause) && without.length < metrics.length ? [] : without;
      for (const metric of missing) problems.push(`${metric} is not served with the label ${label} (${g.clause})`);
    }
  }
  return problems;
}
