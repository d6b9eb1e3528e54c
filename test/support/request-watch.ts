/**
 * What an API server saw, per token, for tests and benchmarks that run the sync as other processes: a
 * pass-through HTTP proxy on loopback in front of a simulator that counts, per token, the requests received,
 * those in flight now and at most, and the answers that said a per-token limit was exceeded (Yandex.Direct
 * error 506 in a 200 body, Altcraft HTTP 429). A copy can be told apart by the path: `<url>/<tag>/…` is
 * forwarded as `…` and its requests are also counted under `tag`.
 *
 * A client that goes away (a SIGKILL) takes its request at the simulator with it, as it would at a real
 * server: the proxy ends the forwarded request too, so the simulator stops counting it in flight.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface WatchedCounts {
  requests: number;
  inFlight: number;
  peakInFlight: number;
  /** Answers that said a per-token limit was exceeded: Yandex.Direct 506, Altcraft HTTP 429. */
  limitErrors: number;
  /** When the first and the last request arrived (performance.now), NaN before the first. */
  firstAt: number;
  lastAt: number;
}

export interface RequestWatch {
  /** Base URL of the proxy, e.g. `http://127.0.0.1:41234`: put it where the simulator's base URL would be. */
  readonly url: string;
  /** `url` + `/<tag>`: the same server, with the requests also counted under `tag`. */
  tagged(tag: string): string;
  /** Counts of one token (zeros when it sent nothing). */
  token(token: string): WatchedCounts;
  /** Counts of one tag, all tokens together. */
  tag(tag: string): WatchedCounts;
  /** Every token's counts. */
  tokens(): Record<string, WatchedCounts>;
  /** Zeroes the counts (requests in flight stay counted). */
  reset(): void;
  close(): Promise<void>;
}

const LIMIT_ERROR = /"error_code"\s*:\s*506\b/;
const TAG = /^\/(@[A-Za-z0-9_-]+)(\/.*)$/;

const zero = (): WatchedCounts => ({
  requests: 0,
  inFlight: 0,
  peakInFlight: 0,
  limitErrors: 0,
  firstAt: Number.NaN,
  lastAt: Number.NaN,
});

function tokenOf(body: string, req: IncomingMessage): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (bearer?.[1]) return bearer[1];
  try {
    const parsed = JSON.parse(body) as { token?: unknown };
    if (typeof parsed.token === "string") return parsed.token;
  } catch {
    // XML or no body: the token is then not told apart.
  }
  return "(none)";
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a proxy to `target` (a simulator's base URL). */
export async function startRequestWatch(target: string): Promise<RequestWatch> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  let byToken = new Map<string, WatchedCounts>();
  let byTag = new Map<string, WatchedCounts>();
  const inFlight = new Map<string, number>();
  const counts = (map: Map<string, WatchedCounts>, key: string) => {
    let c = map.get(key);
    if (!c) map.set(key, (c = zero()));
    return c;
  };
  const enter = (keys: string[]) => {
    const now = performance.now();
    for (const key of keys) {
      const n = (inFlight.get(key) ?? 0) + 1;
      inFlight.set(key, n);
      const c = key.startsWith("@") ? counts(byTag, key.slice(1)) : counts(byToken, key);
      c.requests++;
      if (Number.isNaN(c.firstAt)) c.firstAt = now;
      c.lastAt = now;
      c.peakInFlight = Math.max(c.peakInFlight, n);
    }
  };
  const leave = (keys: string[], limitError: boolean) => {
    for (const key of keys) {
      inFlight.set(key, Math.max(0, (inFlight.get(key) ?? 0) - 1));
      if (limitError) (key.startsWith("@") ? counts(byTag, key.slice(1)) : counts(byToken, key)).limitErrors++;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const tagged = TAG.exec(req.url ?? "/");
    const path = tagged?.[2] ?? req.url ?? "/";
    const body = await readAll(req);
    const keys = [tokenOf(body.toString("utf8"), req), ...(tagged?.[1] ? [tagged[1]] : [])];
    enter(keys);
    let left = false;
    const done = (limitError: boolean) => {
      if (left) return;
      left = true;
      leave(keys, limitError);
    };
    const headers = { ...req.headers, host: upstream.host };
    const forwarded = httpRequest(
      { agent, host: upstream.hostname, port: upstream.port, method: req.method, path, headers },
      (answer) => {
        void readAll(answer).then(
          (payload) => {
            const limitError = answer.statusCode === 429 || LIMIT_ERROR.test(payload.subarray(0, 200).toString("utf8"));
            done(limitError);
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(payload);
          },
          () => {
            done(false);
            res.destroy();
          },
        );
      },
    );
    forwarded.on("error", () => {
      done(false);
      res.destroy();
    });
    // The client went away before its answer: the server sees its connection end, as it would directly.
    res.on("close", () => {
      if (!res.writableFinished) {
        forwarded.destroy();
        done(false);
      }
    });
    forwarded.end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const withInFlight = (key: string, c: WatchedCounts | undefined): WatchedCounts => ({
    ...(c ?? zero()),
    inFlight: inFlight.get(key) ?? 0,
  });
  return {
    url,
    tagged: (tag) => `${url}/@${tag}`,
    token: (token) => withInFlight(token, byToken.get(token)),
    tag: (tag) => withInFlight(`@${tag}`, byTag.get(tag)),
    tokens: () => Object.fromEntries([...byToken].map(([token, c]) => [token, withInFlight(token, c)])),
    reset() {
      byToken = new Map();
      byTag = new Map();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
