/**
 * The mutation check (`npm run mutations`): applies each named one-line mutation of the product
 * (test/mutations/mutations.ts) to a copy of the repository, runs the tests that should notice it, and reports
 * which mutations survive. Every mutation must be killed: one that survives names a promise no test holds.
 *
 * Run on demand, not in `npm test` (it runs the named test files once per mutation):
 *   npm run mutations                  # all
 *   npm run mutations -- --only lock   # the mutations whose name contains "lock"
 *   npm run mutations -- --list        # names and files, nothing run
 * The working tree is never touched: the copy lives in a temporary directory and is removed at the end.
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Mutation, MUTATIONS } from "./mutations.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const COPIED = [
  "src",
  "migrations",
  "test",
  "bin",
  "dist",
  "package.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "vitest.config.ts",
  "README.md",
  "docs",
  "deploy",
  "docker-compose.yml",
  "eventlog-sync.example.yaml",
  "eslint.config.js",
];

type Verdict = "killed" | "survived" | "not applicable";

interface Result {
  mutation: Mutation;
  verdict: Verdict;
  detail: string;
  seconds: number;
}

/** A copy of the repository to mutate, with the same node_modules. */
async function copyRepository(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "eventlog-sync-mutations-"));
  for (const entry of COPIED) {
    await cp(join(ROOT, entry), join(dir, entry), { recursive: true, preserveTimestamps: true }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      },
    );
  }
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Runs the given test files in `cwd`; resolves with vitest's exit code and the tail of its output. */
function runTests(cwd: string, files: readonly string[]): Promise<{ code: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--bail", "1", ...files],
      {
        cwd,
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, tail: output }));
  });
}

/** The first failing test's name, from vitest's output. */
function firstFailure(output: string): string {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes
  const plain = output.replace(/\u001b\[[0-9;]*m/g, "");
  const line = plain.split("\n").find((l) => /^\s*FAIL\s/.test(l)) ?? plain.split("\n").find((l) => /^\s*×\s/.test(l));
  return line?.trim().slice(0, 160) ?? "the run failed";
}

function occurrences(text: string, find: string): number {
  return text.split(find).length - 1;
}

async function check(dir: string, mutation: Mutation): Promise<Result> {
  const started = Date.now();
  const path = join(dir, mutation.file);
  const original = await readFile(path, "utf8");
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const found = occurrences(original, mutation.find);
  if (found !== 1) {
    return {
      mutation,
      verdict: "not applicable",
      detail: `the line to mutate is found ${found} times in ${mutation.file}`,
      seconds: 0,
    };
  }
  await writeFile(path, original.replace(mutation.find, mutation.replace));
  try {
    const run = await runTests(dir, mutation.tests);
    if (run.code === 0)
      return { mutation, verdict: "survived", detail: `${mutation.tests.join(", ")} all pass`, seconds: seconds() };
    return { mutation, verdict: "killed", detail: firstFailure(run.tail), seconds: seconds() };
  } finally {
    await writeFile(path, original);
  }
}

function parseArgs(argv: string[]): { only: string | undefined; list: boolean } {
  const at = argv.indexOf("--only");
  return { only: at >= 0 ? argv[at + 1] : undefined, list: argv.includes("--list") };
}

async function main(): Promise<number> {
  const { only, list } = parseArgs(process.argv.slice(2));
  const chosen = MUTATIONS.filter((m) => only === undefined || m.name.includes(only));
  if (list) {
    for (const m of chosen) console.log(`${m.name}\n  ${m.file}: ${m.why}\n  tests: ${m.tests.join(", ")}`);
    return 0;
  }
  const dir = await copyRepository();
  try {
    const baseline = await runTests(dir, [...new Set(chosen.flatMap((m) => m.tests))]);
    if (baseline.code !== 0) {
      console.error(`the tests fail before any mutation:\n${baseline.tail}`);
      return 2;
    }
    const results: Result[] = [];
    for (const mutation of chosen) {
      const result = await check(dir, mutation);
      results.push(result);
      console.log(`${result.verdict.padEnd(14)} ${mutation.name} (${result.seconds} s): ${result.detail}`);
    }
    const bad = results.filter((r) => r.verdict !== "killed");
    console.log(
      `\n${results.length - bad.length} of ${results.length} mutations killed${bad.length ? `; not killed: ${bad.map((r) => r.mutation.name).join(", ")}` : ""}`,
    );
    return bad.length === 0 ? 0 : 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
