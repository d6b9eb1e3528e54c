/**
 * Altcraft Platform API v1.1: `POST <root><method>` with the parameters in a JSON (or XML) body. The token
 * goes in the body or in an `Authorization: Bearer` header — never in a URL, never in a log line.
 * `error != 0` or HTTP ≥ 400 is an API error; a body in neither format is a malformed response. Every text
 * taken from a response passes the client's redactor first: servers echo the request, token included.
 */
import { ApiError, HttpError, MalformedResponseError } from "../../errors.js";
import { type HttpAgent, parseRetryAfter, post } from "../../http/http.post.js";
import { createRedactor, type Redactor, redactedSnippet } from "../../http/secrets.redactor.js";
import type { RequestGate } from "../../http/request.gate.js";
import { gatedRequest, type RequestTally, type RetryOptions } from "../../http/request.retries.js";
import { type Envelope, envelopeSchema, type Format, parseXmlEnvelope } from "./altcraft.schema.js";

export interface AltcraftClientOptions {
  /** API root, e.g. `https://ru.altkraft.com/api/v1.1/`. */
  apiRoot: string;
  token: string;
  tokenIn: "body" | "header";
  format: Format;
  timeoutMs: number;
  gate: RequestGate;
  retry: RetryOptions;
  /** Connections to the API, owned by the caller (the run). */
  agent: HttpAgent;
  /** Applied to every text taken from a response. Default: one that masks `token`. */
  redact?: Redactor;
}

export interface AltcraftClient {
  /** One API call (retried when transient). */
  call(
    method: string,
    params: Record<string, string | number | boolean>,
    tally: RequestTally,
    signal?: AbortSignal,
  ): Promise<Envelope>;
  /** The client's redactor, for callers that quote a response they found wrong. */
  redact: Redactor;
  /** The format the answers come in (`json` when not said). */
  readonly format?: Format;
}

const xmlEscape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function encodeBody(params: Record<string, string | number | boolean>, format: Format): string {
  if (format === "json") return JSON.stringify(params);
  return `<xml>${Object.entries(params)
    .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
    .join("")}</xml>`;
}

/**
 * Reads a response: the envelope on success, ApiError for `error != 0` or HTTP ≥ 400, MalformedResponseError otherwise.
 */
export function parseEnvelope(
  method: string,
  status: number,
  body: string,
  format: Format,
  response: { redact: Redactor; retryAfterMs?: number | undefined },
): Envelope {
  const { redact, retryAfterMs } = response;
  const cut = () => redactedSnippet(body, redact);
  let document: unknown;
  try {
    document = format === "xml" && body.trimStart().startsWith("<") ? parseXmlEnvelope(body) : JSON.parse(body);
  } catch {
    if (status >= 400) throw new HttpError(status, cut(), retryAfterMs);
    throw new MalformedResponseError(`${method} answered with a body that is not ${format.toUpperCase()}`, cut());
  }
  const parsed = envelopeSchema.safeParse(document);
  if (!parsed.success || (parsed.data.error === undefined && status < 400)) {
    if (status >= 400) throw new HttpError(status, cut(), retryAfterMs);
    throw new MalformedResponseError(`${method} answered without the API envelope`, cut());
  }
  const envelope = parsed.data;
  const code = envelope.error ?? 0;
  if (code !== 0 || status >= 400) {
    throw new ApiError("altcraft", code !== 0 ? code : status, redact(envelope.error_text ?? ""), "", retryAfterMs);
  }
  return envelope;
}

export function createAltcraftClient(options: AltcraftClientOptions): AltcraftClient {
  const root = options.apiRoot.endsWith("/") ? options.apiRoot : `${options.apiRoot}/`;
  const redact = options.redact ?? createRedactor([options.token]);
  return {
    redact,
    format: options.format,
    call(method, params, tally, signal) {
      const withToken = options.tokenIn === "body" ? { token: options.token, ...params } : params;
      const body = encodeBody({ ...withToken, format: options.format }, options.format);
      const headers: Record<string, string> = {
        "content-type":
          options.format === "json" ? "application/json; charset=utf-8" : "application/xml; charset=utf-8",
        accept: options.format === "json" ? "application/json" : "application/xml",
        ...(options.tokenIn === "header" ? { authorization: `Bearer ${options.token}` } : {}),
      };
      return gatedRequest(options, tally, signal, async () => {
        const response = await post(`${root}${method}`, body, {
          timeoutMs: options.timeoutMs,
          headers,
          redact,
          agent: options.agent,
          ...(signal ? { signal } : {}),
        });
        return parseEnvelope(method, response.status, response.body, options.format, {
          redact,
          retryAfterMs: parseRetryAfter(response.headers["retry-after"]),
        });
      });
    },
  };
}
