/**
 * PostgreSQL can store U+0000 neither in text nor in jsonb. Every U+0000 in a string — a text column, a
 * value or a key of the raw record — is replaced by U+FFFD (the Unicode replacement character), and the
 * row says so in `nul_replaced`. Nothing else changes: an event's identity is computed earlier, from the
 * record as it came, so it is the same with or without the replacement.
 */
export const NUL_REPLACEMENT = "\uFFFD";

/** `text` with every U+0000 replaced; `replaced` tells whether there was any. */
export function textWithoutNul(text: string): { text: string; replaced: boolean } {
  return text.includes("\u0000")
    ? { text: text.replaceAll("\u0000", NUL_REPLACEMENT), replaced: true }
    : { text, replaced: false };
}

/**
 * `value` with every U+0000 replaced in its strings and keys, at any depth (the same value when it holds none).
 * For what is stored outside the event tables — a campaign's or client's name, the raw list item, a status —
 * where a U+0000 sent by a server would otherwise fail the whole statement, and so the whole account.
 */
export function valueWithoutNul<T>(value: T): T {
  if (typeof value === "string")
    return (value.includes("\u0000") ? value.replaceAll("\u0000", NUL_REPLACEMENT) : value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => valueWithoutNul(item)) as T;
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[valueWithoutNul(key)] = valueWithoutNul(inner);
    return out as T;
  }
  return value;
}

/**
 * JSON text of `value` with every U+0000 in its strings and keys replaced. JSON.stringify writes U+0000 as
 * the six characters `\u0000`; the same six characters also appear after an escaped backslash (a literal
 * backslash followed by "u0000" in a string), which is no NUL at all. So the text only says where to look
 * closer, and the replacement works on the value itself, never on the text.
 */
export function jsonWithoutNul(value: unknown): { json: string; replaced: boolean } {
  const json = JSON.stringify(value);
  if (!json.includes("\\u0000")) return { json, replaced: false };
  let replaced = false;
  const clean = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (!v.includes("\u0000")) return v;
      replaced = true;
      return v.replaceAll("\u0000", NUL_REPLACEMENT);
    }
    if (Array.isArray(v)) return v.map(clean);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(v)) out[clean(key) as string] = clean(inner);
      return out;
    }
    return v;
  };
  const cleaned = clean(value);
  return replaced ? { json: JSON.stringify(cleaned), replaced } : { json, replaced };
}
