/** One HTTP POST with a timeout and a cap on its body: the transport under both API clients. */
import { Agent, type Dispatcher, request } from "undici";
import { NetworkError, ResponseTooLargeError, TimeoutError, toError } from "../errors.js";
import type { Redactor } from "./secrets.redactor.js";

/**
 * The largest response body read by default: 64 MiB. Far above any page the APIs send (a GetEventsLog page of
 * 100,000 events is about 40 MB), and far below a container's memory limit (512 MiB), which a body read
 * whole, then decoded and parsed, may take several times over.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface PostResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it came. */
  bytes: Buffer;
  /** The body as UTF-8 text, decoded when first read. */
  readonly body: string;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** Whole-request timeout in ms (connect, headers and body). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** The connection pool the request goes through: see createHttpAgent. */
  agent: HttpAgent;
  /**
   * Applied to the message of a network error: a transport's message may quote the URL or the request,
   * and it becomes an error message that reaches logs and the warehouse.
   */
  redact: Redactor;
}

/**
 * Keeps connections to the APIs open between requests; whoever creates one closes it when done. Its
 * `maxResponseBytes` caps the body of every response read through it (default DEFAULT_MAX_RESPONSE_BYTES).
 */
export type HttpAgent = Dispatcher & { readonly maxResponseBytes?: number };

/**
 * A pool of keep-alive connections for one run (created and closed by the run: nothing is opened at import
 * time, and nothing outlives the run to keep the process alive). `maxResponseBytes`: config
 * `http.maxResponseBytes`.
 */
export function createHttpAgent(options: { maxResponseBytes?: number } = {}): HttpAgent {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  return Object.assign(agent, { maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES });
}

/**
 * The body, read chunk by chunk and counted as it comes: past `limit` bytes the read stops and the
 * connection is dropped, so an endless or enormous body (an error page of hundreds of MB) never sits in
 * memory. A Content-Length above the limit fails before any byte is read.
 */
async function readCapped(
  body: Dispatcher.ResponseData["body"],
  headers: Dispatcher.ResponseData["headers"],
  limit: number,
): Promise<Buffer> {
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    // Dropping an unread body aborts it: that abort is the point, not an error to report.
    body.on("error", () => undefined);
    body.destroy();
    throw new ResponseTooLargeError(limit, declared);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    // Leaving the loop destroys the body, and with it the connection: nothing more is read.
    if (bytes > limit) throw new ResponseTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, bytes);
}

export async function post(url: string, body: string, options: PostOptions): Promise<PostResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const response = await request(url, {
      method: "POST",
      body,
      headers: options.headers,
      signal,
      dispatcher: options.agent,
    });
    const limit = options.agent.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const bytes = await readCapped(response.body, response.headers, limit);
    let text: string | undefined;
    return {
      status: response.statusCode,
      headers: response.headers,
      bytes,
      get body() {
        return (text ??= bytes.toString("utf8"));
      },
    };
  } catch (err) {
    if (err instanceof ResponseTooLargeError) throw err;
    if (options.signal?.aborted) throw toError(options.signal.reason);
    if (timeout.aborted) throw new TimeoutError(options.timeoutMs);
    const error = toError(err);
    const code = (error as { code?: string }).code;
    const message = options.redact(`${code ? `${code}: ` : ""}${error.message}`);
    // A cause is serialized into log lines with its own message: keep it only when it holds no secret.
    const clean =
      options.redact(error.message) === error.message &&
      (error.cause === undefined || options.redact(toError(error.cause).message) === toError(error.cause).message);
    throw new NetworkError(message, clean ? { cause: err } : undefined);
  }
}

/** Retry-After as ms: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
