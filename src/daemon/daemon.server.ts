/**
 * The daemon's HTTP server: GET /healthz (the last run's result and whether the warehouse answers; see
 * health.status.ts for what each answer means) and GET /metrics.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { assessHealth, type LastRun } from "./health.status.js";
import type { DaemonMetrics } from "./daemon.metrics.js";
import { probeWarehouse } from "./warehouse.probe.js";

export interface DaemonState {
  running: boolean;
  lastRun: LastRun | undefined;
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
      void probeWarehouse(deps.warehouse).then((warehouse) => {
        const health = assessHealth(deps.state.lastRun, warehouse);
        send(
          health.httpStatus,
          "application/json",
          JSON.stringify({
            status: health.status,
            warehouse: warehouse.up ? "up" : "unreachable",
            ...(warehouse.up ? {} : { warehouseError: warehouse.error }),
            running: deps.state.running,
            lastRun: deps.state.lastRun ?? null,
            nextRun: deps.state.nextRun(),
          }),
        );
      });
      return;
    }
    if (path === "/metrics") {
      deps.metrics
        .render(deps.warehouse)
        .then((text) => send(200, deps.metrics.contentType, text))
        .catch((err: unknown) =>
          send(503, "text/plain", `metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`),
        );
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
