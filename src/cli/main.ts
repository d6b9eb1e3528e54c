/**
 * eventlog-sync command line: argv → wiring → commands. The only module that decides exit codes.
 * Exit codes: 0 done; 1 could not start or failed (bad options, database unreachable); 2 reserved for
 * runs in which some streams failed while the others loaded.
 */
import { toError } from "../errors.js";
import { buildProgram } from "./cli.program.js";
import { boundHeapGrowth } from "./heap.growth.js";
import { installShutdown } from "./process.shutdown.js";

export async function main(argv: readonly string[]): Promise<number> {
  boundHeapGrowth();
  // Output piped into `head` and the like: stop writing, but finish the work and clean up.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
  let code = 0;
  try {
    await buildProgram((c) => (code = c), installShutdown()).parseAsync([...argv]);
    return code;
  } catch (err) {
    const error = toError(err);
    console.error(`eventlog-sync: ${error.message}`);
    if (error.cause) console.error(`  caused by: ${toError(error.cause).message}`);
    return 1;
  }
}
