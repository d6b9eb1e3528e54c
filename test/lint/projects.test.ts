// The suite's projects (test/projects.ts) hold every test file once, and each file is in a project that gives it
// what it uses: a file that runs the built CLI is in `processes` (the only project that builds dist/), and a file
// in `unit` or `simulators` reaches no PostgreSQL. Kills: a new test file left out of every project (vitest would
// never run it), and a process test moved into a project that runs a stale binary.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PROCESSES, PROCESSES_EXCLUDE, QUIET, SIMULATORS, UNIT, WAREHOUSE } from "../projects.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The glob forms test/projects.ts uses: `**` for any directories, `*` within a name, `{a,b}` for either. */
function globToRegExp(glob: string): RegExp {
  const source = glob
    .replace(/[.+^$()|[\]\\]/g, "\\$&")
    .replace(/\{([^}]*)\}/g, (_, alternatives: string) => `(?:${alternatives.split(",").join("|")})`)
    .split("**/")
    .map((part) => part.replace(/\*/g, "[^/]*"))
    .join("(?:.*/)?");
  return new RegExp(`^${source}$`);
}

const matchesAny = (globs: string[], file: string) => globs.some((glob) => globToRegExp(glob).test(file));

function testFiles(dir = "test"): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

function projectsOf(file: string): string[] {
  const projects: string[] = [];
  if (matchesAny(UNIT, file)) projects.push("unit");
  if (matchesAny(SIMULATORS, file)) projects.push("simulators");
  if (matchesAny(PROCESSES, file) && !matchesAny(PROCESSES_EXCLUDE, file)) projects.push("processes");
  if (matchesAny(WAREHOUSE.include, file) && !matchesAny(WAREHOUSE.exclude, file)) projects.push("warehouse");
  if (matchesAny(QUIET, file)) projects.push("quiet");
  return projects;
}

/** The files of test/ a file imports, directly or through other files of test/. */
function testImports(file: string, seen = new Set<string>()): Set<string> {
  const text = readFileSync(join(ROOT, file), "utf8");
  for (const [, spec] of text.matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)) {
    const target = relative(ROOT, resolve(dirname(join(ROOT, file)), spec!)).replace(/\.js$/, ".ts");
    // Import lines quoted inside a test file (test/lint/layers.test.ts) name files that do not exist.
    if (!target.startsWith("test/") || seen.has(target) || !existsSync(join(ROOT, target))) continue;
    seen.add(target);
    testImports(target, seen);
  }
  return seen;
}

const files = testFiles();

describe("the test suite's projects", () => {
  it("reads the glob forms it is given", () => {
    expect(globToRegExp("test/unit/**/*.test.ts").test("test/unit/a.test.ts")).toBe(true);
    expect(globToRegExp("test/unit/**/*.test.ts").test("test/unit/b/a.test.ts")).toBe(true);
    expect(globToRegExp("test/unit/*.test.ts").test("test/unit/b/a.test.ts")).toBe(false);
    expect(globToRegExp("test/{a,b}.test.ts").test("test/b.test.ts")).toBe(true);
  });

  it("holds every test file exactly once", () => {
    expect(files.length).toBeGreaterThan(90);
    const wrong = files.map((file) => ({ file, projects: projectsOf(file) })).filter((f) => f.projects.length !== 1);
    expect(wrong).toEqual([]);
  });

  it("puts every file that runs the built CLI in the processes project", () => {
    const usesCli = files.filter((file) =>
      [...testImports(file)].some((f) => /^test\/support\/(cli|process-test|build)\.ts$/.test(f)),
    );
    expect(usesCli.length).toBeGreaterThan(10);
    expect(usesCli.filter((file) => !projectsOf(file).includes("processes"))).toEqual([]);
  });

  it("keeps PostgreSQL out of the unit and simulators projects", () => {
    const quick = files.filter((file) => ["unit", "simulators"].includes(projectsOf(file)[0]!));
    expect(quick.length).toBeGreaterThan(20);
    const reachesPostgres = quick.filter(
      (file) =>
        /^import [^;]*from "pg";|inject\("pg/m.test(readFileSync(join(ROOT, file), "utf8")) ||
        [...testImports(file)].some((f) => f === "test/support/test-database.ts"),
    );
    expect(reachesPostgres).toEqual([]);
  });
});
