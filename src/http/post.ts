/** One HTTP POST with a timeout: the transport under both API clients. */
import { Agent, request } from "undici";
import { NetworkError, TimeoutError, toError } from "../errors.js";

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
  dispatcher?: Agent;
}

const sharedAgent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });

export async function post(url: string, body: string, options: PostOptions): Promise<PostResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const response = await request(url, {
      method: "POST",
      body,
      headers: options.headers,
      signal,
      dispatcher: options.dispatcher ?? sharedAgent,
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body: text };
  } catch (err) {
    if (options.signal?.aborted) throw toError(options.signal.reason);
    if (timeout.aborted) throw new TimeoutError(options.timeoutMs);
    const error = toError(err);
    const code = (error as { code?: string }).code;
    throw new NetworkError(`${code ? `${code}: ` : ""}${error.message}`, { cause: err });
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
