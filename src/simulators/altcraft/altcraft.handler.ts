/**
 * API requests: `POST /api/v1.1/<method>` (a trailing slash is tolerated).
 *
 * Order of checks: body → token (401) → rate limits (HTTP 429 + Retry-After) → one-shot failures (`failNext`) →
 * tariff limit (402) → method rights (403) → method (parameters 400, campaign 403/404). Unknown methods: 404.
 * Rate limits count real wall-clock time, not the simulator's clock, and always answer HTTP 429 (the envelope
 * says `error: 429`), whatever `httpStatusMirrorsError` says; so do injected 5xx codes. Other API errors carry
 * the same HTTP status as `error` by default, or HTTP 200 when `httpStatusMirrorsError` is false.
 * Transport faults are drawn after the answer is computed, so a faulted request still has its side effects.
 *
 * Token: body `token`, else `Authorization: Bearer`, else `?token=`. Response format: `format` in the body, else in
 * the query string, else XML when the Accept header asks only for XML or the request body was XML, else JSON.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { drawFault, writeFault } from "../common/transport.faults.js";
import { readBody } from "../common/loopback.server.js";
import type { Random } from "../common/seeded.random.js";
import type { RequestCounters } from "../common/request.counters.js";
import type { RequestLimiter } from "../common/request.limits.js";
import type { CampaignBook } from "./altcraft.campaigns.js";
import { type Envelope, type Params, parseBody, renderJson, renderXml } from "./altcraft.codec.js";
import { ApiFailure, errorText, METHODS } from "./altcraft.methods.js";
import { ALTCRAFT_METHODS, type AltcraftMethod, type ResolvedOptions } from "./altcraft.options.js";

export const API_PREFIX = "/api/v1.1/";

/** One-shot failures queued by `failNext`, per token. */
export interface PendingFailure {
  remaining: number;
  code: number;
}

/** Mutable state the API handler shares with the handle. */
export interface ApiState {
  options: ResolvedOptions;
  book: CampaignBook;
  counters: RequestCounters;
  limiter: RequestLimiter;
  tariffUsed: Map<string, number>;
  failures: Map<string, PendingFailure[]>;
  faultRandom: Random;
  lateRandom: Random;
}

interface Answer {
  status: number;
  envelope: Envelope;
  retryAfter?: boolean;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

function failure(state: ApiState, code: number, detail?: string): Answer {
  const status = code >= 500 || code === 429 || state.options.httpStatusMirrorsError ? code : 200;
  return {
    status,
    envelope: { data: null, error: code, error_text: errorText(code, detail) },
    retryAfter: code === 429,
  };
}

function takeFailure(state: ApiState, token: string): number | undefined {
  const queue = state.failures.get(token);
  const head = queue?.[0];
  if (!queue || !head) return undefined;
  head.remaining -= 1;
  if (head.remaining <= 0) queue.shift();
  return head.code;
}

function responseFormat(params: Params, query: URLSearchParams, req: IncomingMessage, xmlBody: boolean): string {
  const explicit = params["format"] ?? query.get("format");
  if (typeof explicit === "string" && explicit !== "") return explicit.toLowerCase();
  const accept = req.headers.accept ?? "";
  if (accept.includes("xml") && !accept.includes("json")) return "xml";
  return xmlBody ? "xml" : "json";
}

function send(res: ServerResponse, state: ApiState, answer: Answer, format: string): void {
  const xml = format === "xml";
  const body = xml ? renderXml(answer.envelope, state.options.xmlQuotedStrings) : renderJson(answer.envelope);
  const fault = drawFault(state.faultRandom, state.options.faults);
  if (fault) {
    writeFault(res, fault, body);
    return;
  }
  const headers: Record<string, string> = {
    "content-type": xml ? "application/xml; charset=utf-8" : "application/json; charset=utf-8",
  };
  if (answer.retryAfter) headers["retry-after"] = String(state.options.retryAfterSeconds);
  res.writeHead(answer.status, headers);
  res.end(body);
}

function answerFor(
  state: ApiState,
  method: AltcraftMethod,
  params: Params,
  token: string,
  admitted: () => void,
): Answer {
  const grant = state.options.tokens.find((g) => g.token === token);
  if (!grant) return failure(state, 401, token === "" ? "no token given" : "unknown token");
  const admission = state.limiter.admit(token, Date.now());
  if (admission !== "admitted") {
    return failure(state, 429, admission === "rate-limited" ? "requests per second" : "concurrent requests");
  }
  admitted();
  const injected = takeFailure(state, token);
  if (injected !== undefined) return failure(state, injected, "injected failure");
  const used = (state.tariffUsed.get(token) ?? 0) + 1;
  state.tariffUsed.set(token, used);
  if (state.options.tariffLimit > 0 && used > state.options.tariffLimit) {
    return failure(state, 402, `${state.options.tariffLimit} calls allowed`);
  }
  if (grant.methods && !grant.methods.includes(method)) {
    return failure(state, 403, `token may not call ${method}`);
  }
  try {
    const now = state.options.clock();
    const envelope = METHODS[method]({
      params,
      book: state.book,
      now,
      options: state.options,
      grant,
      lateRandom: state.lateRandom,
    });
    return { status: 200, envelope };
  } catch (err) {
    if (err instanceof ApiFailure) {
      const answer = failure(state, err.code);
      answer.envelope.error_text = err.message;
      return answer;
    }
    throw err;
  }
}

/** Serves one request whose path starts with `/api/v1.1/`. */
export async function handleApi(state: ApiState, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const arrived = performance.now();
  const name = url.pathname.slice(API_PREFIX.length).replace(/\/+$/, "");
  const text = await readBody(req);
  const parsed = parseBody(text, req.headers["content-type"]);
  const params = parsed.ok ? parsed.params : {};
  const format = responseFormat(params, url.searchParams, req, parsed.ok && parsed.xml);
  const rawToken = params["token"] ?? bearer(req) ?? url.searchParams.get("token") ?? "";
  const token = typeof rawToken === "string" ? rawToken : String(rawToken);
  state.counters.count(token, name);

  // An admitted request stays in flight (for the concurrency limit) until its response is closed.
  const limiter = state.limiter;
  const admitted = (): void => {
    res.once("close", () => limiter.release(token));
  };
  let answer: Answer;
  if (!parsed.ok) answer = failure(state, 400, parsed.reason);
  else if (format !== "json" && format !== "xml")
    answer = failure(state, 400, `unknown format ${JSON.stringify(format)}`);
  else if (req.method !== "POST") answer = failure(state, 400, `use POST, not ${req.method ?? "?"}`);
  else if (!(ALTCRAFT_METHODS as readonly string[]).includes(name))
    answer = failure(state, 404, `unknown method ${name}`);
  else answer = answerFor(state, name as AltcraftMethod, params, token, admitted);

  // The answer leaves `latencyMs` after the request arrived: building it is part of that time, not added to it.
  const left = state.options.latencyMs - (performance.now() - arrived);
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  send(res, state, answer, format === "xml" ? "xml" : "json");
}
