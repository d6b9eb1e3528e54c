/**
 * GetEventsLog over the Live 4 JSON envelope `{method, param, token, locale}`. The token travels in the
 * body only and never appears in an error or a log line: every text taken from a response (`error_str`,
 * `error_detail`, a body snippet, the `RequestId` header) passes the client's redactor first, since a server may
 * echo the request. Every failure names the answer's `RequestId`, which support asks for first.
 * Every call passes the account's request gate and is retried as the retry policy says.
 */
import { ApiError, HttpError, MalformedResponseError } from "../../errors.js";
import { type HttpAgent, parseRetryAfter, post } from "../../http/http.post.js";
import { parseMemberArray } from "../../http/member-array.reader.js";
import { createRedactor, type Redactor, redactedSnippet } from "../../http/secrets.redactor.js";
import type { RequestGate } from "../../http/request.gate.js";
import { gatedRequest, type RequestTally, type RetryOptions } from "../../http/request.retries.js";
import type { Locale } from "../../vocabulary.js";
import { errorEnvelope, type GetEventsLogParams } from "./yandex-direct.schema.js";

export interface YandexDirectClientOptions {
  endpoint: string;
  token: string;
  locale: Locale;
  /** Whole-request timeout, ms. */
  timeoutMs: number;
  gate: RequestGate;
  retry: RetryOptions;
  /** Connections to the API, owned by the caller (the run). */
  agent: HttpAgent;
  /** Applied to every text taken from a response. Default: one that masks `token`. */
  redact?: Redactor;
}

export interface YandexDirectClient {
  /** One GetEventsLog call (retried when transient); returns the raw items of `data`. */
  getEventsLog(param: GetEventsLogParams, tally: RequestTally, signal?: AbortSignal): Promise<unknown[]>;
  /** The client's redactor, for callers that quote a response they found wrong. */
  redact: Redactor;
}

/** The longest `RequestId` quoted in an error: the API's ids are about 20 digits. */
const REQUEST_ID_MAX_CHARS = 64;

/**
 * The answer's `RequestId` header, redacted and kept short, for error texts; undefined when absent. Redacted
 * before the cut: half of a secret is no longer one the redactor knows.
 */
export function requestIdOf(value: string | string[] | undefined, redact: Redactor): string | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text ? redact(text).slice(0, REQUEST_ID_MAX_CHARS) : undefined;
}

/**
 * Reads a Live 4 response: items on success, ApiError for an error body, HttpError for an error status without
 * one, MalformedResponseError otherwise. `requestId` (the answer's `RequestId`, already redacted) is named in
 * each of them.
 */
export function parseResponse(
  status: number,
  body: string,
  response: { redact: Redactor; retryAfterMs?: number | undefined; requestId?: string | undefined },
): unknown[] {
  const { redact, retryAfterMs, requestId } = response;
  const cut = () => redactedSnippet(body, redact);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (status >= 400) throw new HttpError(status, cut(), retryAfterMs, requestId);
    throw new MalformedResponseError("GetEventsLog answered with a body that is not JSON", cut(), requestId);
  }
  // Only a body that names an error_code can be an error envelope: a page of events skips that parse.
  const failure =
    json !== null && typeof json === "object" && "error_code" in json ? errorEnvelope.safeParse(json) : undefined;
  if (failure?.success) {
    const { error_code, error_str, error_detail } = failure.data;
    const detail = [redact(error_detail), requestId && `RequestId ${requestId}`].filter(Boolean).join("; ");
    throw new ApiError("yandex_direct", error_code, redact(error_str), detail, retryAfterMs);
  }
  if (status >= 400) throw new HttpError(status, cut(), retryAfterMs, requestId);
  // Success is `{"data": [...]}`; the items are checked one by one by the mapper, so the envelope needs only its array.
  const data =
    json !== null && typeof json === "object" && !Array.isArray(json) ? (json as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) {
    throw new MalformedResponseError("GetEventsLog answered without a `data` array", cut(), requestId);
  }
  return data as unknown[];
}

export function createYandexDirectClient(options: YandexDirectClientOptions): YandexDirectClient {
  const redact = options.redact ?? createRedactor([options.token]);
  return {
    redact,
    getEventsLog(param, tally, signal) {
      const body = JSON.stringify({ method: "GetEventsLog", param, token: options.token, locale: options.locale });
      return gatedRequest(options, tally, signal, async () => {
        const response = await post(options.endpoint, body, {
          timeoutMs: options.timeoutMs,
          headers: { "content-type": "application/json; charset=utf-8", accept: "application/json" },
          redact,
          agent: options.agent,
          ...(signal ? { signal } : {}),
        });
        // A page of events, `{"data": [...]}` exactly, is parsed in pieces; anything else whole, with its errors.
        const items = response.status < 400 ? parseMemberArray(response.bytes, "data") : undefined;
        if (items) return items;
        return parseResponse(response.status, response.body, {
          redact,
          retryAfterMs: parseRetryAfter(response.headers["retry-after"]),
          requestId: requestIdOf(response.headers.requestid, redact),
        });
      });
    },
  };
}
