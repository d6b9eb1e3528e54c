/** Runs the real CLI as a child process. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../bin/eventlog-sync.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  pid: number;
  /** True once the run is recorded in sync.runs (its "run started" log line); false if it exited first. */
  started: Promise<boolean>;
  exited: Promise<CliExit>;
  /** SIGKILL, if still running. */
  kill(): boolean;
  /** What it has written to stderr so far. */
  stderr(): string;
}

const running = new Set<ReturnType<typeof spawn>>();

/** Starts the CLI and follows it; it is killed after `timeoutMs` if still running. */
export function startCli(
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  let onStarted: (started: boolean) => void = () => undefined;
  const started = new Promise<boolean>((resolve) => (onStarted = resolve));
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
    if (stderr.includes('"msg":"run started"')) onStarted(true);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const exited = new Promise<CliExit>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      onStarted(false);
      resolve({ code, signal, stdout, stderr });
    });
  });
  if (child.pid === undefined) throw new Error("the CLI did not start");
  return {
    pid: child.pid,
    started,
    exited,
    kill: () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"),
    stderr: () => stderr,
  };
}

/** Kills every CLI process a test left running. */
export function killRunningClis(): void {
  for (const child of running) child.kill("SIGKILL");
}
