/**
 * Graceful, then forceful shutdown for the whole process. The first SIGINT or SIGTERM aborts `signal`:
 * commands take no new page, finish the transaction in flight, record the run as interrupted and return.
 * A second signal exits at once (code 130); an embedded PostgreSQL is stopped by its exit hook.
 */
export interface Shutdown {
  signal: AbortSignal;
}

export function installShutdown(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Shutdown {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      write(`eventlog-sync: ${signal}: finishing the work in flight (send it again to stop at once)`);
      controller.abort(new Error(`stopped by ${signal}`));
      return;
    }
    write(`eventlog-sync: ${signal}: stopping at once`);
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { signal: controller.signal };
}
