/**
 * The PromQL shipped in deploy/: every panel target and templating query of the Grafana dashboard
 * (deploy/grafana/eventlog-sync.json), and every rule `expr` of the Prometheus rule files
 * (deploy/prometheus/*.yaml, the promtool unit tests *.test.yaml aside). Each as PromQL ready to parse:
 * Grafana's variables substituted, a `label_values(selector, label)` variable query as `group by (label) (selector)`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { grafanaQuery } from "./promql.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DASHBOARD = "deploy/grafana/eventlog-sync.json";
export const RULES_DIR = "deploy/prometheus";

/** One query: where it is (file and panel, variable or rule) and its PromQL. */
export interface ShippedQuery {
  where: string;
  expr: string;
}

/** Plausible values of the dashboard's template variables, as Grafana substitutes them. */
const VARIABLE_VALUES: Record<string, string> = { source: "altcraft", account: "main", datasource: "prometheus" };

export interface DashboardTarget {
  expr?: string;
  refId?: string;
}
export interface DashboardPanel {
  type: string;
  title?: string;
  description?: string;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
  datasource?: unknown;
  fieldConfig?: { defaults?: { unit?: string } };
}
export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: unknown;
}
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(ROOT, DASHBOARD), "utf8")) as Dashboard;
}

/** Every panel, those inside collapsed rows included. */
export function allPanels(panels: readonly DashboardPanel[]): DashboardPanel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** A Grafana Prometheus variable query as PromQL; undefined for a form that names no series (`label_values(label)`). */
export function variablePromql(query: string): string | undefined {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$/s.exec(query);
  if (labelValues) return `group by (${labelValues[2]}) (${labelValues[1]})`;
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (queryResult) return queryResult[1];
  if (/^\s*label_values\(\s*\w+\s*\)\s*$/.test(query)) return undefined;
  return query;
}

/** Every query of the dashboard: panel targets, then the query variables. */
export function dashboardQueries(dashboard: Dashboard = readDashboard()): ShippedQuery[] {
  const queries: ShippedQuery[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      if (target.expr === undefined) continue;
      queries.push({
        where: `${DASHBOARD} panel "${panel.title}" ${target.refId ?? ""}`,
        expr: grafanaQuery(target.expr, VARIABLE_VALUES),
      });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") continue;
    const text = typeof variable.query === "string" ? variable.query : (variable.query?.query ?? "");
    const expr = variablePromql(grafanaQuery(text, VARIABLE_VALUES));
    if (expr !== undefined) queries.push({ where: `${DASHBOARD} variable $${variable.name}`, expr });
  }
  return queries;
}

interface RuleFile {
  groups?: Array<{ name?: string; rules?: Array<{ alert?: string; record?: string; expr?: unknown }> }>;
}

/** The rule files of deploy/prometheus/ (none while the directory does not exist). */
export function ruleFiles(): string[] {
  const dir = join(ROOT, RULES_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f))
    .sort()
    .map((f) => `${RULES_DIR}/${f}`);
}

/** Every rule `expr` of the rule files, and the series their recording rules make. */
export function ruleQueries(files: readonly string[] = ruleFiles()): {
  queries: ShippedQuery[];
  recorded: Set<string>;
} {
  const queries: ShippedQuery[] = [];
  const recorded = new Set<string>();
  for (const file of files) {
    const parsed = parseYaml(readFileSync(resolve(ROOT, file), "utf8")) as RuleFile | null;
    for (const group of parsed?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (rule.record) recorded.add(rule.record);
        const name = rule.alert ?? rule.record ?? "?";
        queries.push({ where: `${file} group "${group.name}" rule ${name}`, expr: String(rule.expr ?? "") });
      }
    }
  }
  return { queries, recorded };
}
