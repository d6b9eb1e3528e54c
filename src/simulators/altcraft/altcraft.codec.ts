/**
 * Wire formats: request bodies (JSON, the documented `<xml>` form, or URL-encoded) into flat parameters, and
 * the documented envelope `{data, error, error_text, total_count}` into JSON or XML.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

export type Params = Record<string, unknown>;

export type ParsedBody = { ok: true; params: Params; xml: boolean } | { ok: false; reason: string };

/** The documented response envelope. `total_count` and `next_from_id` appear only when set. */
export interface Envelope {
  data: unknown;
  error: number;
  error_text: string;
  total_count?: number;
  next_from_id?: number;
}

export const SUCCESS_TEXT = "Successful operation";

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: true,
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `"abc"` → `abc`: clients copying the doc's quoted XML style still mean the plain value. */
function unquote(value: unknown): unknown {
  if (typeof value === "string" && value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1);
  }
  return value;
}

function parseXml(text: string): ParsedBody {
  if (XMLValidator.validate(text) !== true) return { ok: false, reason: "body is not well-formed XML" };
  const doc: unknown = xmlParser.parse(text);
  if (!isRecord(doc)) return { ok: false, reason: "body is not well-formed XML" };
  const root = doc["xml"] ?? Object.values(doc)[0];
  if (root === "" || root === undefined) return { ok: true, params: {}, xml: true };
  if (!isRecord(root)) return { ok: false, reason: "XML body must hold one element per parameter" };
  const params: Params = {};
  for (const [key, value] of Object.entries(root)) {
    params[key] = Array.isArray(value) ? value.map(unquote) : unquote(value);
  }
  return { ok: true, params, xml: true };
}

/** Reads a request body; the Content-Type decides, or the first character when it names neither format. */
export function parseBody(text: string, contentType: string | undefined): ParsedBody {
  const type = (contentType ?? "").toLowerCase();
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, params: {}, xml: type.includes("xml") };
  if (type.includes("xml") || (!type.includes("json") && trimmed.startsWith("<"))) return parseXml(trimmed);
  if (type.includes("x-www-form-urlencoded")) {
    return { ok: true, params: Object.fromEntries(new URLSearchParams(trimmed)), xml: false };
  }
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (!isRecord(parsed)) return { ok: false, reason: "JSON body must be an object" };
    return { ok: true, params: parsed, xml: false };
  } catch {
    return { ok: false, reason: "body is not valid JSON" };
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * Parses an RFC 3339 timestamp to ms since the epoch (sub-millisecond digits are truncated). A value without
 * a zone is read as UTC. Returns null for anything else, including impossible dates.
 */
export function parseTimestamp(text: string): number | null {
  const m = RFC3339.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return null;
  }
  const zone = m[8];
  if (!zone || zone === "Z" || zone === "z") return utc;
  const sign = zone.startsWith("-") ? -1 : 1;
  const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
  return utc - sign * offsetMinutes * 60_000;
}

export function renderJson(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function xmlValue(value: unknown, quote: boolean): string {
  if (typeof value === "string") return quote ? `"${escapeXml(value)}"` : escapeXml(value);
  if (isRecord(value)) return xmlFields(value, quote);
  if (value === null || value === undefined) return "";
  return escapeXml(String(value));
}

/** Child elements of one object, keys sorted as the platform's XML encoder writes them; arrays repeat the element. */
function xmlFields(record: Record<string, unknown>, quote: boolean): string {
  let out = "";
  for (const key of Object.keys(record).sort()) {
    const value = record[key];
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) out += `<${key}>${xmlValue(item, quote)}</${key}>`;
  }
  return out;
}

/**
 * The XML form: an `<xml>` root, one `<data>` per array item (or one for an object), then `<error>`,
 * `<error_text>`, `<total_count>`, `<next_from_id>` siblings. `quoteStrings` writes string values inside
 * `data` in quotes, as the doc example does; `error_text` is never quoted (as in the doc).
 */
export function renderXml(envelope: Envelope, quoteStrings: boolean): string {
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n<xml>';
  const data = envelope.data;
  const items = Array.isArray(data) ? data : data === null || data === undefined ? [] : [data];
  for (const item of items) out += `<data>${xmlValue(item, quoteStrings)}</data>`;
  out += `<error>${envelope.error}</error><error_text>${escapeXml(envelope.error_text)}</error_text>`;
  if (envelope.total_count !== undefined) out += `<total_count>${envelope.total_count}</total_count>`;
  if (envelope.next_from_id !== undefined) out += `<next_from_id>${envelope.next_from_id}</next_from_id>`;
  return `${out}</xml>\n`;
}
