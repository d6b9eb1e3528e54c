/** One HTTP POST with a timeout: the transport under both API clients. */
import { Agent, type Dispatcher, request } from "undici";
import { NetworkError, TimeoutError, toError } from "../errors.js";
import type { Redactor } from "./redact.js";

export interface PostResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
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

/** Keeps connections to the APIs open between requests; whoever creates one closes it when done. */
export type HttpAgent = Dispatcher;

/**
 * A pool of keep-alive connections for one run (created and closed by the run: nothing is opened at import
 * time, and nothing outlives the run to keep the process alive).
 */
export function createHttpAgent(): HttpAgent {
  return new Agent({ keepAliveTimeout: 10_000, connections: 32 });
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
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body: text };
  } catch (err) {
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
