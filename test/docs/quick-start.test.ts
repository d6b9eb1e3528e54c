// The README's quick start works as written: its shell block, run line by line up to `config check` in a
// directory holding only the example configuration, with no token in the environment but those it exports.
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../support/cli.js";
import { quickStart } from "../support/readme.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-quick-start-"));
  await copyFile(join(root, "eventlog-sync.example.yaml"), join(dir, "eventlog-sync.example.yaml"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function bash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CLI };
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the README quick start", () => {
  it("passes its own config check as written", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const lines = quickStart(readme, "config check");
    expect(lines[0]).toMatch(/^cp eventlog-sync\.example\.yaml eventlog-sync\.yaml/);
    // `npx eventlog-sync` is the built CLI of this checkout (npx would look for the package elsewhere).
    const script = ['npx() { [ "$1" = eventlog-sync ] || return 127; shift; node "$CLI" "$@"; }', ...lines].join("\n");
    const run = await bash(script, dir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^eventlog-sync\.yaml: valid\n/);
  });
});
