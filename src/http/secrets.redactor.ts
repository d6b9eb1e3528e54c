/**
 * Redaction of secrets from text that came from outside (a response body, an API's error text, an exception
 * message quoting either). Servers echo requests: an HTTP 400 quoting the body, an `error_detail` naming the
 * token, an HTML error page with the form fields. Every such text passes one redactor, built from the
 * account's secrets, before it becomes an error message — and so before it reaches a log line, stdout or
 * the warehouse, where a read-only BI role could read it.
 *
 * What is masked, for every secret:
 * - the secret as written, URL-encoded (`encodeURIComponent`, and form style with `+` for spaces, with
 *   upper- or lower-case hex), JSON-escaped (also with `\/`, as some servers write it) and XML-escaped;
 * - any piece of 8 or more consecutive characters of any of those forms. A snippet cut to 200 characters
 *   can end in the middle of a token, and a prefix of a token is still most of the token; 8 characters are
 *   short enough to catch such a cut and long enough not to mask ordinary words. A secret shorter than
 *   8 characters is masked only where it appears whole.
 */
import { snippet } from "../errors.js";

export type Redactor = (text: string) => string;

/** What replaces each masked run of characters. */
export const REDACTED = "[redacted]";

/** Shortest piece of a secret that is masked on its own. */
export const MIN_PIECE = 8;

/** The spellings a secret can take in a URL, a JSON string or an XML text. */
export function secretForms(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const form = uri.replace(/%20/g, "+");
  const json = JSON.stringify(secret).slice(1, -1);
  const asciiJson = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const xml = secret
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
  const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
  const forms = [secret, uri, lowerHex(uri), form, lowerHex(form), json, json.replace(/\//g, "\\/"), asciiJson, xml];
  return [...new Set(forms)];
}

/**
 * Builds a redactor for the given secrets (empty ones are ignored). The result is a plain function, so it
 * can be handed to whatever reads responses; it holds no state between calls. It also replaces every
 * U+0000 with U+FFFD, so that what it lets through can be stored.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const mask = maskSecrets(secrets);
  // A U+0000 is no secret, but PostgreSQL stores it in no text column: an error message that quotes one
  // could not be recorded on its run or stream. Replaced as in event text (U+FFFD, see warehouse/nul.replacement.ts).
  return (text) => {
    const masked = mask(text);
    return masked.includes("\u0000") ? masked.replaceAll("\u0000", "\uFFFD") : masked;
  };
}

function maskSecrets(secrets: readonly string[]): Redactor {
  const whole = new Set<string>();
  const pieces = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of secretForms(secret)) {
      if (form.length < MIN_PIECE) {
        whole.add(form);
        continue;
      }
      // Every piece of 8 or more characters is covered by the 8-character windows inside it.
      for (let i = 0; i + MIN_PIECE <= form.length; i++) pieces.add(form.slice(i, i + MIN_PIECE));
    }
  }
  const shortForms = [...whole].sort((a, b) => b.length - a.length);
  if (pieces.size === 0 && shortForms.length === 0) return (text) => text;

  return (text) => {
    let masked: Uint8Array | undefined;
    const mark = (from: number, length: number) => {
      masked ??= new Uint8Array(text.length);
      masked.fill(1, from, from + length);
    };
    if (pieces.size > 0) {
      for (let i = 0; i + MIN_PIECE <= text.length; i++)
        if (pieces.has(text.slice(i, i + MIN_PIECE))) mark(i, MIN_PIECE);
    }
    for (const form of shortForms) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) mark(at, form.length);
    }
    if (!masked) return text;
    let out = "";
    for (let i = 0; i < text.length;) {
      if (masked[i] === 1) {
        while (i < text.length && masked[i] === 1) i++;
        out += REDACTED;
      } else {
        const start = i;
        while (i < text.length && masked[i] !== 1) i++;
        out += text.slice(start, i);
      }
    }
    return out;
  };
}

/** `value` with every string in it (keys included, at any depth) passed through `redact`. */
export function redactValue<T>(value: T, redact: Redactor): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, redact)) as T;
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[redact(key)] = redactValue(inner, redact);
    return out as T;
  }
  return value;
}

/** Characters of a body redacted for a snippet. */
const SNIPPET_SOURCE_LIMIT = 65_536;

/**
 * A short, redacted quote of a response body for an error message. Redacted before the cut, so a token is
 * masked whole rather than left as a prefix, and after it, since collapsing whitespace joins fragments.
 */
export function redactedSnippet(body: string, redact: Redactor): string {
  // A snippet needs only the start of the body; an HTML error page can be megabytes. A token cut at this
  // bound is still masked by its pieces, and the cut lies far beyond the 200 characters kept.
  const head = body.length > SNIPPET_SOURCE_LIMIT ? body.slice(0, SNIPPET_SOURCE_LIMIT) : body;
  return redact(snippet(redact(head)));
}
