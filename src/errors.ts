/**
 * The error classes of eventlog-sync. Each carries the context an operator needs in readonly fields and
 * in its message; causes are kept with `{ cause }`. Whether an error is worth retrying is decided in one
 * place (`http/retry.policy.ts`), never where it is thrown.
 */

/** Turns anything thrown into an Error, so callers can rely on `.message` and `.stack`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}

/** A configuration problem: every wrong field is listed in `problems` (path: what is wrong). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

/**
 * Command options that name nothing that exists (`sync --stream`, `--source`, `--account`): each problem lists what
 * does.
 */
export class SelectionError extends Error {
  override readonly name = "SelectionError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`the selection names what is not configured or not found:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

/** The embedded Postgres could not be started, or its data directory is held by another process. */
export class EmbeddedPostgresError extends Error {
  override readonly name = "EmbeddedPostgresError";
  readonly dataDir: string;
  constructor(message: string, dataDir: string, options?: ErrorOptions) {
    super(message, options);
    this.dataDir = dataDir;
  }
}

/** Input handed to the loader that does not fit the warehouse (wrong type, missing field). */
export class LoaderInputError extends Error {
  override readonly name = "LoaderInputError";
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}

/** Shortens a response body for an error message: one line, at most `max` characters. */
export function snippet(body: string, max = 200): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** An HTTP status ≥ 400 (or any other non-success) without an API error body. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  readonly bodySnippet: string;
  /** From a Retry-After header, in ms. */
  readonly retryAfterMs: number | undefined;
  /** The server's id of the request (Yandex.Direct's RequestId header), for support; redacted. */
  readonly requestId: string | undefined;
  constructor(status: number, bodySnippet: string, retryAfterMs?: number, requestId?: string) {
    super(`HTTP ${status}${bodySnippet ? `: ${bodySnippet}` : ""}${requestId ? ` (RequestId ${requestId})` : ""}`);
    this.status = status;
    this.bodySnippet = bodySnippet;
    this.retryAfterMs = retryAfterMs;
    this.requestId = requestId;
  }
}

/** The connection failed (refused, reset, DNS) before a response arrived. */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
}

/** No complete response within the request timeout. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A response whose body is larger than the cap (config `http.maxResponseBytes`): its read was stopped at the
 * cap. Not retried: the same request would bring the same body.
 */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
  readonly limitBytes: number;
  constructor(limitBytes: number, declaredBytes?: number) {
    super(
      `response body over ${limitBytes} bytes${declaredBytes === undefined ? "" : ` (Content-Length ${declaredBytes})`}: not read further (http.maxResponseBytes)`,
    );
    this.limitBytes = limitBytes;
  }
}

/** A response that is not in the API's format (not JSON, cut off, an HTML page, wrong shape). */
export class MalformedResponseError extends Error {
  override readonly name = "MalformedResponseError";
  readonly bodySnippet: string;
  /** The server's id of the request (Yandex.Direct's RequestId header), for support; redacted. */
  readonly requestId: string | undefined;
  constructor(message: string, bodySnippet: string, requestId?: string) {
    super(`${message}: ${bodySnippet || "(empty body)"}${requestId ? ` (RequestId ${requestId})` : ""}`);
    this.bodySnippet = bodySnippet;
    this.requestId = requestId;
  }
}

/** An error reported by the API itself, with its own code. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly source: "altcraft" | "yandex_direct";
  readonly code: number;
  readonly text: string;
  readonly detail: string;
  /** From a Retry-After header, in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(source: "altcraft" | "yandex_direct", code: number, text: string, detail = "", retryAfterMs?: number) {
    super(`${source} API error ${code}: ${text}${detail ? ` (${detail})` : ""}`);
    this.source = source;
    this.code = code;
    this.text = text;
    this.detail = detail;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A request waited longer than its bound for a slot of its token's request budget (shared by every process on
 * the warehouse). `byStranger`: a session that is not an eventlog-sync process holds a slot.
 */
export class RequestBudgetWaitError extends Error {
  override readonly name = "RequestBudgetWaitError";
  readonly waitedMs: number;
  readonly byStranger: boolean;
  constructor(message: string, context: { waitedMs: number; byStranger: boolean }) {
    super(message);
    this.waitedMs = context.waitedMs;
    this.byStranger = context.byStranger;
  }
}
