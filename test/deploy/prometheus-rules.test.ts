// The Prometheus alerting rules (deploy/prometheus/alerts.yaml) are checked by Prometheus's own promtool: the rule
// file is valid and its unit tests (alerts.test.yaml) pass. Then both files are read: every alert follows the
// conventions of Prometheus mixins, has a case where it fires and one where it stays silent, and a runbook
// section in the README. Kills: a threshold, `for` or expression changed without its tests (promtool test
// fails), an alert added without a silent (or firing) case, a runbook_url whose README heading is renamed, and a
// machine without promtool passing silently (it fails, saying how to install it).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RULES = "deploy/prometheus/alerts.yaml";
const TESTS = "deploy/prometheus/alerts.test.yaml";
const INSTALL =
  "promtool is not installed: run scripts/ensure-promtool.sh, or as root " +
  "`apt-get install -y --no-install-recommends prometheus` (the Debian package that provides promtool)";

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertRuleTest {
  alertname: string;
  exp_alerts?: unknown[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: AlertRuleTest[] }[];
}

/** Runs promtool with `args` in the repository: its exit code and everything it printed. */
function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile("promtool", args, { cwd: ROOT }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === "ENOENT") return reject(new Error(INSTALL));
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const alerts = (parse(read(RULES)) as { groups: { rules: Rule[] }[] }).groups
  .flatMap((g) => g.rules)
  .filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const ruleTests = parse(read(TESTS)) as RuleTests;
const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []);

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
const readmeAnchors = new Set([...read("README.md").matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));

describe("the Prometheus alerting rules", () => {
  it("pass promtool check rules", { timeout: 120_000 }, async () => {
    const { code, output } = await promtool(["check", "rules", RULES]);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining("SUCCESS") as unknown });
  });

  it("pass their promtool unit tests", { timeout: 120_000 }, async () => {
    const { code, output } = await promtool(["test", "rules", TESTS]);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining("SUCCESS") as unknown });
  });

  it("are the rule file the unit tests load", () => {
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    expect(ruleTests.rule_files).toEqual(["alerts.yaml"]);
  });

  it("follow the mixin conventions: names, for, severity, summary, description, runbook", () => {
    const wrong = alerts.filter(
      (a) =>
        !/^EventlogSync[A-Z][A-Za-z]+$/.test(a.alert) ||
        !/^\d+[smhd]$/.test(a.for ?? "") ||
        !["warning", "critical"].includes(a.labels?.severity ?? "") ||
        !a.annotations?.summary ||
        !a.annotations.description ||
        !a.annotations.runbook_url,
    );
    expect(wrong.map((a) => a.alert)).toEqual([]);
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(alerts.length);
  });

  it("each have a unit test where they fire and one where they stay silent", () => {
    const untested = alerts.flatMap(({ alert }) => {
      const own = cases.filter((c) => c.alertname === alert);
      return [
        ...(own.some((c) => (c.exp_alerts ?? []).length > 0) ? [] : [`${alert}: no case where it fires`]),
        ...(own.some((c) => (c.exp_alerts ?? []).length === 0) ? [] : [`${alert}: no case where it stays silent`]),
      ];
    });
    expect(untested).toEqual([]);
    const unknown = cases.filter((c) => !alerts.some((a) => a.alert === c.alertname)).map((c) => c.alertname);
    expect(unknown).toEqual([]);
  });

  it("each point at their own runbook section of the README", () => {
    expect(anchorOf("Status, freshness and retired streams")).toBe("status-freshness-and-retired-streams");
    const missing = alerts.filter(
      (a) => a.annotations?.runbook_url !== `README.md#${anchorOf(a.alert)}` || !readmeAnchors.has(anchorOf(a.alert)),
    );
    expect(missing.map((a) => `${a.alert}: ${a.annotations?.runbook_url}`)).toEqual([]);
  });
});
