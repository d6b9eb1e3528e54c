// The Altcraft simulator in a process of its own, as a real server is: the times at which it sees requests arrive
// are its own, not held up by the test's process. In the test's process, a busy moment there (a collection, a
// burst of callbacks) delays the server's handling of the requests that arrived meanwhile, and it then counts them
// as arriving together: a limit the clients kept could look broken.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { type AltcraftSimulatorOptions, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";

const SCRIPT = fileURLToPath(import.meta.url);

export interface SimulatorProcess {
  /** The simulator's base URL (loopback). */
  url: string;
  /** Stops the simulator and waits for its process to exit. */
  close(): Promise<void>;
}

/** The first line `child` prints: the simulator's URL, or why it did not start. */
function firstLine(child: ChildProcessByStdio<Writable, Readable, null>): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      lines.close();
      resolve(line);
    });
    child.once("exit", (code) =>
      reject(new Error(`the simulator process exited with ${String(code)} before it started`)),
    );
    child.once("error", reject);
  });
}

/** Starts the Altcraft simulator with `options` (a loopback host) in a child process; see the top of this file. */
export async function startAltcraftSimulatorProcess(options: AltcraftSimulatorOptions): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, JSON.stringify(options)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const url = await firstLine(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    close: () => {
      // The simulator stops when its standard input ends: also when this process dies.
      child.stdin.end();
      return exited;
    },
  };
}

/** Run as a script: starts the simulator, prints its URL, and stops once standard input ends. */
async function serve(options: AltcraftSimulatorOptions): Promise<void> {
  const sim = await startAltcraftSimulator(options);
  process.stdout.write(`${sim.url}\n`);
  process.stdin.resume();
  process.stdin.once("end", () => void sim.close().then(() => process.exit(0)));
}

if (process.argv[1] === SCRIPT) await serve(JSON.parse(process.argv[2] ?? "{}") as AltcraftSimulatorOptions);
