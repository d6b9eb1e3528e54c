/**
 * A rewriting proxy on loopback in front of a simulator that plays "a server with unusual but plausible habits":
 * a log response is a PREFIX, in the server's order, of the records that match the request, of a length the
 * server chooses per response (a cap policy, capping-proxy.policies.ts). Optionally it ignores `Offset`
 * (Yandex.Direct) or rewrites `total_count` (Altcraft).
 *
 * What is rewritten, and nothing else:
 * - Yandex.Direct: a Live 4 `GetEventsLog` POSTed to the upstream endpoint's path whose answer is `{data: [...]}`
 *   (the array is cut to the prefix). Error envelopes, other methods, API v5 (`/json/v5/…`) and admin routes pass
 *   through untouched.
 * - Altcraft: `…/api/v1.1/campaigns/log_v2` answered in JSON with a `data` array (cut to the prefix; `total_count`
 *   as `totalCount` says). XML answers, error envelopes and the other methods pass through untouched. The prefix
 *   is taken in the order of the array as the simulator sent it: with `pageOrder: "descending"` that is the newest
 *   rows of the simulator's page.
 *
 * Requests go upstream byte-exact (method, path, headers, body), except that `ignoreOffset` removes
 * `param.Offset` from a GetEventsLog body (the body is then re-serialized and its content-length set again).
 * Answers keep their status and headers; a rewritten body gets its new content-length.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CapPolicy, CapRequest } from "./capping-proxy.policies.js";

export { byteCap, dipFor, fixedCap, offsetCap, randomCap, requestCap, schedule } from "./capping-proxy.policies.js";
export type { CapPolicy, CapRequest } from "./capping-proxy.policies.js";

export interface CappingProxyOptions {
  /** The simulator's URL: its `endpoint` for Yandex.Direct, its base `url` for Altcraft. */
  upstream: string;
  source: "yandex_direct" | "altcraft";
  /** How many records each rewritten response passes on; replace it at any moment with `setPolicy`. */
  policy: CapPolicy;
  /** Yandex.Direct only: remove `Offset` before forwarding, so the server answers as if it ignored it. Default false. */
  ignoreOffset?: boolean;
  /**
   * Altcraft only: `total_count` of a rewritten log_v2 answer. `"upstream"` (default): the simulator's value (its
   * own `totalCount: "filtered" | "all"` switch decides it); `"response"`: the rows passed on; `"missing"`: no key.
   * A per-campaign total is the simulator's `totalCount: "all"`.
   */
  totalCount?: "upstream" | "response" | "missing";
}

/** One rewritten response. */
export interface ProxyResponseLog {
  /** The `index` the policy saw. */
  index: number;
  /** `GetEventsLog` or `campaigns/log_v2`. */
  method: string;
  /** The client's parameters, as the policy saw them (before `ignoreOffset`). */
  params: Record<string, unknown>;
  offset: number;
  limit: number | undefined;
  /** Records in the upstream answer. */
  upstreamRecords: number;
  /** Records passed on to the client. */
  passedRecords: number;
}

export interface CappingProxy {
  /** Use instead of the upstream's: the Yandex.Direct endpoint (same path), or the Altcraft base URL. */
  readonly url: string;
  /** Requests received, of every kind (rewritten or passed through). */
  readonly requests: number;
  /** Rewritten responses, oldest first. */
  readonly responses: readonly ProxyResponseLog[];
  /** Replaces the policy from the next response on; `index` keeps counting. */
  setPolicy(policy: CapPolicy): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const LOG_V2 = /\/api\/v1\.1\/campaigns\/log_v2\/*$/;
// Hop-by-hop and length headers: node sets them again for the body actually written.
const RECOMPUTED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A number or a digit string (Live 4 accepts both), else undefined. */
function integer(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^\s*-?\d{1,15}\s*$/.test(value)) return Number(value);
  return undefined;
}

const trimSlashes = (path: string): string => path.replace(/\/+$/, "");

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

class UpstreamError extends Error {
  override readonly name = "UpstreamError";
}

interface UpstreamAnswer {
  status: number;
  headers: IncomingMessage["headers"];
  payload: Buffer;
}

/** Sends one request upstream and reads its whole answer; ends it when the client goes away first. */
function forward(
  agent: Agent,
  upstream: URL,
  request: { method: string; path: string; headers: IncomingMessage["headers"] },
  body: Buffer,
  res: ServerResponse,
): Promise<UpstreamAnswer> {
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    const fail = (err: unknown): void => {
      const message = err instanceof Error ? err.message : String(err);
      reject(new UpstreamError(`upstream failed: ${message}`, { cause: err }));
    };
    const forwarded = httpRequest({ agent, host: upstream.hostname, port: upstream.port, ...request }, (incoming) => {
      readAll(incoming).then(
        (payload) => resolve({ status: incoming.statusCode ?? 502, headers: incoming.headers, payload }),
        fail,
      );
    });
    forwarded.on("error", fail);
    // The client went away before its answer: the upstream sees its connection end, as it would directly.
    res.on("close", () => {
      if (!res.writableFinished) forwarded.destroy();
    });
    forwarded.end(body);
  });
}

/** What the proxy will do with one request: forward `body`, and maybe cut the answer for `request`. */
interface Plan {
  body: Buffer;
  rewrite?: { method: string; params: Json; offset: number; limit: number | undefined };
}

function planYandex(options: CappingProxyOptions, endpointPath: string, path: string, raw: Buffer): Plan {
  if (trimSlashes(path) !== endpointPath) return { body: raw };
  const envelope = parseJson(raw.toString("utf8"));
  if (!isRecord(envelope) || envelope.method !== "GetEventsLog") return { body: raw };
  const params = isRecord(envelope.param) ? envelope.param : {};
  const rewrite = { method: "GetEventsLog", params, offset: integer(params.Offset) ?? 0, limit: integer(params.Limit) };
  if (!options.ignoreOffset || !("Offset" in params)) return { body: raw, rewrite };
  const { Offset: _ignored, ...withoutOffset } = params;
  return { body: Buffer.from(JSON.stringify({ ...envelope, param: withoutOffset }), "utf8"), rewrite };
}

function planAltcraft(path: string, raw: Buffer): Plan {
  if (!LOG_V2.test(path)) return { body: raw };
  // An XML request is still planned: only a JSON answer is rewritten, and its parameters are then unknown.
  const parsed = parseJson(raw.toString("utf8"));
  const params = isRecord(parsed) ? parsed : {};
  return { body: raw, rewrite: { method: "campaigns/log_v2", params, offset: 0, limit: integer(params.limit) } };
}

function checkOptions(options: CappingProxyOptions): URL {
  if (options.source !== "yandex_direct" && options.source !== "altcraft") {
    throw new TypeError(`Expected \`source\` to be "yandex_direct" or "altcraft", got \`${String(options.source)}\``);
  }
  if (typeof options.policy !== "function") {
    throw new TypeError(`Expected \`policy\` to be a function, got \`${typeof options.policy}\``);
  }
  if (options.ignoreOffset !== undefined && options.source !== "yandex_direct") {
    throw new TypeError(`\`ignoreOffset\` is for Yandex.Direct only, got it with source \`${options.source}\``);
  }
  if (options.totalCount !== undefined) {
    if (options.source !== "altcraft") {
      throw new TypeError(`\`totalCount\` is for Altcraft only, got it with source \`${options.source}\``);
    }
    if (!["upstream", "response", "missing"].includes(options.totalCount)) {
      throw new TypeError(
        `Expected \`totalCount\` to be "upstream", "response" or "missing", got \`${String(options.totalCount)}\``,
      );
    }
  }
  const url = URL.canParse(options.upstream) ? new URL(options.upstream) : undefined;
  if (!url || url.protocol !== "http:") {
    throw new TypeError(`Expected \`upstream\` to be an http URL, got \`${options.upstream}\``);
  }
  return url;
}

/** Starts the proxy on 127.0.0.1 (a free port) in front of `options.upstream`. */
export async function startCappingProxy(options: CappingProxyOptions): Promise<CappingProxy> {
  const upstream = checkOptions(options);
  const endpointPath = trimSlashes(upstream.pathname);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  let policy = options.policy;
  let requests = 0;
  const responses: ProxyResponseLog[] = [];

  /** The answer to send for a planned rewrite, or undefined to pass the upstream's through. */
  const cut = (rewrite: NonNullable<Plan["rewrite"]>, status: number, payload: Buffer): Buffer | undefined => {
    if (status !== 200) return undefined;
    const envelope = parseJson(payload.toString("utf8"));
    if (!isRecord(envelope) || !Array.isArray(envelope.data)) return undefined;
    const records: readonly unknown[] = envelope.data;
    const request: CapRequest = {
      index: responses.length,
      offset: rewrite.offset,
      limit: rewrite.limit,
      params: rewrite.params,
    };
    const wanted = policy(request, records);
    if (typeof wanted !== "number" || Number.isNaN(wanted)) {
      throw new TypeError(`Expected the cap policy to return a number, got \`${String(wanted)}\``);
    }
    const passed = Math.min(records.length, Math.max(0, Math.floor(wanted)));
    responses.push({ ...request, method: rewrite.method, upstreamRecords: records.length, passedRecords: passed });
    const answer: Json = { ...envelope, data: records.slice(0, passed) };
    if (options.totalCount === "response") answer.total_count = passed;
    if (options.totalCount === "missing") delete answer.total_count;
    return Buffer.from(JSON.stringify(answer), "utf8");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests++;
    const path = req.url ?? "/";
    const raw = await readAll(req);
    const plan =
      req.method !== "POST"
        ? { body: raw }
        : options.source === "yandex_direct"
          ? planYandex(options, endpointPath, new URL(path, upstream).pathname, raw)
          : planAltcraft(new URL(path, upstream).pathname, raw);
    const headers = { ...req.headers, host: upstream.host };
    if (plan.body !== raw) {
      delete headers["transfer-encoding"];
      headers["content-length"] = String(plan.body.length);
    }
    const answer = await forward(agent, upstream, { method: req.method ?? "POST", path, headers }, plan.body, res);
    if (res.destroyed) return;
    const rewritten = plan.rewrite ? cut(plan.rewrite, answer.status, answer.payload) : undefined;
    if (rewritten === undefined) {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.payload);
      return;
    }
    const kept = Object.entries(answer.headers).filter(([name]) => !RECOMPUTED.has(name));
    res.writeHead(answer.status, { ...Object.fromEntries(kept), "content-length": String(rewritten.length) });
    res.end(rewritten);
  };

  const server = createServer((req, res) => {
    // A failed upstream is a 502, a policy that threw a 500: either way the test sees the proxy's message.
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      res.writeHead(err instanceof UpstreamError ? 502 : 500, { "content-type": "text/plain; charset=utf-8" });
      res.end(`capping proxy: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const base = upstream.pathname === "/" && options.source === "altcraft" ? "" : upstream.pathname;
  return {
    url: `${origin}${base}${upstream.search}`,
    get requests() {
      return requests;
    },
    responses,
    setPolicy(next) {
      if (typeof next !== "function")
        throw new TypeError(`Expected \`policy\` to be a function, got \`${typeof next}\``);
      policy = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
