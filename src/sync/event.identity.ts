/**
 * Event identity (docs/architecture.md, Glossary: occurrence, event key). Neither API gives an event id, so an event is
 * known by
 *   event_key = hash(stream identity, canonical JSON of the source record, occurrence)
 * where occurrence counts the identical records before it in one response. Identical records are
 * interchangeable, so any response that holds every record of a timestamp numbers them 0..n-1 alike:
 * re-reads give the same keys (no duplicates) and identical events stay distinct rows (nothing merged).
 */
import { hash } from "node:crypto";

/**
 * JSON with object keys sorted at every depth and numbers in JavaScript's shortest form, so neither key
 * order nor number formatting (1.50, 1.5, 15e-1) changes it. Arrays keep their order; -0 is written 0.
 * Top-level keys in `omit` are left out. Written as plain loops: it runs once for every event.
 */
export function canonicalJson(value: unknown, omit?: ReadonlySet<string>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      return Object.is(value, -0) ? "0" : JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + canonicalJson(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      // The default sort compares UTF-16 code units, the same order on every machine.
      const keys = Object.keys(record).sort();
      let out = "{";
      let first = true;
      for (const key of keys) {
        const item = record[key];
        if (item === undefined || omit?.has(key)) continue;
        out += `${first ? "" : ","}${JSON.stringify(key)}:${canonicalJson(item)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
  }
}

/**
 * A record's canonical JSON twice over, written in one pass: `identity` leaves out the top-level keys of
 * `omit` (what the event key is computed from), `json` keeps every key (the raw record the warehouse stores:
 * the same JSON value as the record, so it is not serialised a second time). Filled in place, so a page
 * allocates one for all its records.
 */
export interface CanonicalText {
  identity: string;
  json: string;
}

export function writeCanonical(value: unknown, omit: ReadonlySet<string> | undefined, into: CanonicalText): void {
  if (value === null || typeof value !== "object" || Array.isArray(value) || omit === undefined || omit.size === 0) {
    into.json = canonicalJson(value);
    into.identity = into.json;
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let identity = "{";
  let json = "{";
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    const member = `${JSON.stringify(key)}:${canonicalJson(item)}`;
    json += json.length === 1 ? member : `,${member}`;
    if (!omit.has(key)) identity += identity.length === 1 ? member : `,${member}`;
  }
  into.identity = `${identity}}`;
  into.json = `${json}}`;
}

/**
 * Numbers identical records as they come: `next(canonical)` is how many identical ones came before. One per response.
 */
export class OccurrenceCounter {
  private readonly seen = new Map<string, number>();

  next(canonical: string): number {
    const occurrence = this.seen.get(canonical) ?? 0;
    this.seen.set(canonical, occurrence + 1);
    return occurrence;
  }
}

/** The stream part of the key: source, account and stream, e.g. `yandex_direct/agency/client-1`. */
export function streamIdentity(source: string, account: string, streamKey: string): string {
  return `${source}/${account}/${streamKey}`;
}

/**
 * The first 128 bits of SHA-256 over stream, record and occurrence (UTF-8, separated by U+0000), written as
 * a UUID. One-shot: the digest is the same as hashing the parts one after the other.
 */
export function eventKey(stream: string, canonical: string, occurrence: number): string {
  const hex = hash("sha256", `${stream}\u0000${canonical}\u0000${occurrence}`, "hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
