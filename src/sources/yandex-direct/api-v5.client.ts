/**
 * One Yandex.Direct API v5 call (JSON), as every v5 method of the product makes it: `POST {origin}/json/v5/{service}`
 * with the token in `Authorization: Bearer` and no `Client-Login` (the methods used act for the token's own
 * user), through the account's request gate, retried as the retry policy says. Every text taken from a response
 * (`error_string`, `error_detail`, a body snippet) passes the redactor first, since a server may quote the
 * request; a v5 error keeps its `request_id`, which support asks for first.
 */
import { ApiError, HttpError, MalformedResponseError } from "../../errors.js";
import { parseRetryAfter, post } from "../../http/http.post.js";
import { createRedactor, type Redactor, redactedSnippet } from "../../http/secrets.redactor.js";
import { gatedRequest, type RequestTally } from "../../http/request.retries.js";
import { type Locale, yandexDirectV5Url } from "../../vocabulary.js";
import type { YandexDirectClientOptions } from "./yandex-direct.client.js";
import { parseUnits, type Units, v5ErrorEnvelope } from "./agency-clients.schema.js";

/** `Accept-Language` for a locale: v5 speaks en, ru and tr, and answers an unsupported language in English anyway. */
export function acceptLanguage(locale: Locale): "en" | "ru" {
  return locale === "ru" ? "ru" : "en";
}

/** What reading a response needs: the redactor, the server's Retry-After, and a redacted cut of the body. */
export interface V5Response {
  redact: Redactor;
  retryAfterMs?: number | undefined;
}

/**
 * Reads a `result` the method's own way, quoting the response only through `redact` or `cut` (a redacted cut of
 * the body); throws MalformedResponseError when it is not what the method returns.
 */
export type V5ResultReader<T> = (result: unknown, response: { redact: Redactor; cut: () => string }) => T;

/**
 * Reads one answer of `method` (`AgencyClients.get`, `Clients.get`): its `result` on success; ApiError for a
 * v5 error body, whatever the HTTP status; HttpError for an error status without one; MalformedResponseError
 * for a body that is not JSON.
 */
export function readV5Answer<T>(
  method: string,
  answer: { status: number; body: string },
  response: V5Response,
  read: V5ResultReader<T>,
): T {
  const { status, body } = answer;
  const { redact, retryAfterMs } = response;
  const cut = () => redactedSnippet(body, redact);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (status >= 400) throw new HttpError(status, cut(), retryAfterMs);
    throw new MalformedResponseError(`${method} answered with a body that is not JSON`, cut());
  }
  const envelope = isObject(json) ? json : {};
  if ("error" in envelope) {
    const failure = v5ErrorEnvelope.safeParse(envelope);
    if (failure.success) {
      const { error_code, error_string, error_detail, request_id } = failure.data.error;
      // The request id is what support asks for when an error persists.
      const detail = [error_detail, request_id && `request_id ${request_id}`].filter(Boolean).join("; ");
      throw new ApiError("yandex_direct", error_code, redact(error_string), redact(detail), retryAfterMs);
    }
  }
  if (status >= 400) throw new HttpError(status, cut(), retryAfterMs);
  return read(envelope.result, { redact, cut });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** One v5 call: the method's service (`agencyclients`, `clients`), its name for errors, and its request body. */
export interface V5Call {
  service: string;
  method: string;
  body: unknown;
}

/** A v5 answer read: the method's value and the `Units` header of its response. */
export interface V5Answer<T> {
  value: T;
  units: Units | null;
}

/**
 * Makes a v5 call through the account's request gate, retried as the policy says; the answer is read inside
 * each attempt, so a malformed one is tried again like any transient failure.
 */
export function callV5<T>(
  options: YandexDirectClientOptions,
  call: V5Call,
  read: V5ResultReader<T>,
  run: { tally: RequestTally; signal: AbortSignal | undefined },
): Promise<V5Answer<T>> {
  const url = yandexDirectV5Url(options.endpoint, call.service);
  const redact = options.redact ?? createRedactor([options.token]);
  const headers = {
    authorization: `Bearer ${options.token}`,
    "accept-language": acceptLanguage(options.locale),
    "content-type": "application/json; charset=utf-8",
    accept: "application/json",
  };
  const body = JSON.stringify(call.body);
  const signal = run.signal;
  const attempt = async (): Promise<V5Answer<T>> => {
    const response = await post(url, body, {
      timeoutMs: options.timeoutMs,
      headers,
      redact,
      agent: options.agent,
      ...(signal ? { signal } : {}),
    });
    const retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
    const value = readV5Answer(call.method, response, { redact, retryAfterMs }, read);
    return { value, units: parseUnits(response.headers["units"]) };
  };
  return gatedRequest(options, run.tally, signal, attempt);
}
