/**
 * Compiles src/ and migrations/ into dist/ (what bin/eventlog-sync.js runs) when any input is newer than
 * the last build, so a test never runs a stale binary. Type errors do not stop the build (tsc still emits;
 * `npm test` reports them in its typecheck step); anything else that fails does.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STAMP = join(ROOT, "dist", ".tsbuildinfo");
const ENTRY = join(ROOT, "dist", "src", "cli", "main.js");

function newestInput(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestInput(join(path, name))));
}

/** True when dist/ is missing or older than a file of src/, migrations/ or the compiler settings. */
export function buildIsStale(): boolean {
  if (!existsSync(STAMP) || !existsSync(ENTRY)) return true;
  const inputs = ["src", "migrations", "tsconfig.json", "tsconfig.build.json"].map((p) => newestInput(join(ROOT, p)));
  return Math.max(...inputs) > statSync(STAMP).mtimeMs;
}

export function ensureBuilt(): void {
  if (!buildIsStale()) return;
  // An incremental build trusts its record of what it emitted: without the entry point, start afresh.
  if (!existsSync(ENTRY)) rmSync(STAMP, { force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8" });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.status === 0) return;
  if (result.status === 2 && existsSync(ENTRY) && /error TS\d+/.test(output)) {
    console.warn(`dist/ built with type errors (npm test's typecheck reports them):\n${output}`);
    return;
  }
  throw new Error(`npm run build failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
}
