import type { ServerResponse } from "node:http";
import type { Random } from "./seeded.random.js";

/**
 * Transport-level faults a simulator injects into a share of requests, to prove the client retries,
 * times out and reports bad bodies correctly. Every rate is a probability in [0, 1], default 0.
 */
export interface FaultOptions {
  /** Share of requests answered with HTTP 500/502/503 and no API body. */
  serverErrorRate?: number;
  /** Share of requests that never answer until `hangMs` has passed (then the socket is destroyed). */
  hangRate?: number;
  /** How long a hanging request hangs, in ms. Default 30,000. */
  hangMs?: number;
  /** Share of requests whose body is cut off in the middle. */
  truncateRate?: number;
  /** Share of requests answered with HTTP 200 and a body that is not JSON at all. */
  garbageRate?: number;
  /** Share of requests answered with an HTML error page (HTTP 502, text/html), as a proxy would. */
  htmlRate?: number;
}

export type Fault =
  | { kind: "server-error"; status: 500 | 502 | 503 }
  | { kind: "hang"; ms: number }
  | { kind: "truncate" }
  | { kind: "garbage" }
  | { kind: "html" };

/** Draws at most one fault for a request; the rates add up (their sum should stay ≤ 1). */
export function drawFault(random: Random, options: FaultOptions): Fault | null {
  const roll = random.next();
  let edge = 0;
  edge += options.serverErrorRate ?? 0;
  if (roll < edge) return { kind: "server-error", status: random.pick([500, 502, 503] as const) };
  edge += options.hangRate ?? 0;
  if (roll < edge) return { kind: "hang", ms: options.hangMs ?? 30_000 };
  edge += options.truncateRate ?? 0;
  if (roll < edge) return { kind: "truncate" };
  edge += options.garbageRate ?? 0;
  if (roll < edge) return { kind: "garbage" };
  edge += options.htmlRate ?? 0;
  if (roll < edge) return { kind: "html" };
  return null;
}

/**
 * Answers a request with the fault instead of the real response. `body` is the response that would
 * have been sent (a truncated fault cuts it in half). A hang ends by destroying the socket. `headers` go
 * with every answer (a hang sends none).
 */
export function writeFault(
  res: ServerResponse,
  fault: Fault,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  switch (fault.kind) {
    case "server-error":
      res.writeHead(fault.status, { ...headers, "content-type": "text/plain; charset=utf-8" });
      res.end(`simulated HTTP ${fault.status}`);
      return;
    case "hang": {
      const timer = setTimeout(() => res.destroy(), fault.ms);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    case "truncate": {
      res.writeHead(200, { ...headers, "content-type": "application/json; charset=utf-8" });
      const half = Math.max(1, Math.floor(body.length / 2));
      res.end(typeof body === "string" ? body.slice(0, half) : body.subarray(0, half));
      return;
    }
    case "garbage":
      res.writeHead(200, { ...headers, "content-type": "application/json; charset=utf-8" });
      res.end("\u0000\u0001not json at all");
      return;
    case "html":
      res.writeHead(502, { ...headers, "content-type": "text/html; charset=utf-8" });
      res.end("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>");
      return;
  }
}
