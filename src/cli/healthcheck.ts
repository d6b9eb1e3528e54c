/**
 * The container's health check: `node dist/src/cli/healthcheck.js`. Asks the daemon's /healthz on the
 * address and port of its configuration (`daemon.host`, `daemon.port`; the file is $EVENTLOG_SYNC_CONFIG),
 * so a port changed in the config needs no change to the image. Exit 0 healthy, 1 not (or no answer
 * within 4 s). With `daemon.port: 0` the daemon serves nothing to ask, and the check passes.
 */
import { loadConfig } from "../config/config.loader.js";
import { toError } from "../errors.js";
import { configPath } from "./command.context.js";

/** The URL of /healthz for a daemon listening on `host`: a wildcard address is asked on loopback. */
export function healthUrl(host: string, port: number): string {
  const target = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${target.includes(":") ? `[${target}]` : target}:${port}/healthz`;
}

async function check(): Promise<number> {
  const config = loadConfig(configPath(process.argv[2]));
  if (config.daemon.port === 0) return 0;
  const url = healthUrl(config.daemon.host, config.daemon.port);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
    if (response.ok) return 0;
    console.error(`${url}: HTTP ${response.status}`);
  } catch (err) {
    console.error(`${url}: ${toError(err).message}`);
  }
  return 1;
}

process.exitCode = await check().catch((err: unknown) => {
  console.error(`eventlog-sync healthcheck: ${toError(err).message}`);
  return 1;
});
