/** The daemon's HTTP server: GET /healthz (is the process up and the warehouse reachable) and GET /metrics. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import type { Warehouse } from "../warehouse/database.js";
import type { DaemonMetrics } from "./metrics.js";

export interface DaemonState {
  running: boolean;
  lastRun: { runId: number; status: string; finishedAt: string } | undefined;
  nextRun: () => Date | null;
}

export async function startDaemonServer(
  options: { host: string; port: number },
  deps: { warehouse: Warehouse; metrics: DaemonMetrics; state: DaemonState },
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET") return send(405, "text/plain", "method not allowed\n");
    if (path === "/healthz") {
      sql`select 1`
        .execute(deps.warehouse.db)
        .then(() => send(200, "application/json", JSON.stringify({ status: "ok", running: deps.state.running, lastRun: deps.state.lastRun ?? null, nextRun: deps.state.nextRun() })))
        .catch((err: unknown) => send(503, "application/json", JSON.stringify({ status: "warehouse unreachable", error: err instanceof Error ? err.message : String(err) })));
      return;
    }
    if (path === "/metrics") {
      deps.metrics
        .render(deps.warehouse)
        .then((text) => send(200, "text/plain; version=0.0.4; charset=utf-8", text))
        .catch((err: unknown) => send(503, "text/plain", `metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`));
      return;
    }
    send(404, "text/plain", "not found: try /healthz or /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
