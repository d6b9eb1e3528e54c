/**
 * GetEventsLog over the Live 4 JSON envelope `{method, param, token, locale}`. The token travels in the
 * body only and never appears in an error or a log line. Every call passes the account's request gate and
 * is retried as the retry policy says.
 */
import { ApiError, HttpError, MalformedResponseError, snippet } from "../../errors.js";
import { parseRetryAfter, post } from "../../http/post.js";
import type { RequestGate } from "../../http/request-gate.js";
import { type RequestTally, type RetryOptions, withRetries } from "../../http/with-retries.js";
import { errorEnvelope, type GetEventsLogParams, type Locale, successEnvelope } from "./yandex-direct.schemas.js";

export const PRODUCTION_ENDPOINT = "https://api.direct.yandex.ru/live/v4/json/";
export const SANDBOX_ENDPOINT = "https://api-sandbox.direct.yandex.ru/live/v4/json/";

export interface YandexDirectClientOptions {
  endpoint: string;
  token: string;
  locale: Locale;
  /** Whole-request timeout, ms. */
  timeoutMs: number;
  gate: RequestGate;
  retry: RetryOptions;
}

export interface YandexDirectClient {
  /** One GetEventsLog call (retried when transient); returns the raw items of `data`. */
  getEventsLog(param: GetEventsLogParams, tally: RequestTally, signal?: AbortSignal): Promise<unknown[]>;
}

/** Reads a Live 4 response: items on success, ApiError for an error body, MalformedResponseError otherwise. */
export function parseResponse(status: number, body: string, retryAfterMs?: number): unknown[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (status >= 400) throw new HttpError(status, snippet(body), retryAfterMs);
    throw new MalformedResponseError("GetEventsLog answered with a body that is not JSON", snippet(body));
  }
  const failure = errorEnvelope.safeParse(json);
  if (failure.success) {
    const { error_code, error_str, error_detail } = failure.data;
    throw new ApiError("yandex_direct", error_code, error_str, error_detail, retryAfterMs);
  }
  if (status >= 400) throw new HttpError(status, snippet(body), retryAfterMs);
  const success = successEnvelope.safeParse(json);
  if (!success.success) {
    throw new MalformedResponseError("GetEventsLog answered without a `data` array", snippet(body));
  }
  return success.data.data;
}

export function createYandexDirectClient(options: YandexDirectClientOptions): YandexDirectClient {
  return {
    getEventsLog(param, tally, signal) {
      const body = JSON.stringify({ method: "GetEventsLog", param, token: options.token, locale: options.locale });
      return withRetries(
        () =>
          options.gate.run(async () => {
            tally.requests++;
            const response = await post(options.endpoint, body, {
              timeoutMs: options.timeoutMs,
              headers: { "content-type": "application/json; charset=utf-8", accept: "application/json" },
              ...(signal ? { signal } : {}),
            });
            return parseResponse(response.status, response.body, parseRetryAfter(response.headers["retry-after"]));
          }),
        options.retry,
        { signal, onRetry: () => void tally.retries++ },
      );
    },
  };
}
