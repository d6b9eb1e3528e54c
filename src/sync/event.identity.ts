/**
 * Event identity (docs/architecture.md, Glossary: occurrence, event key). Neither API gives an event id, so an event is
 * known by
 *   event_key = hash(stream identity, canonical JSON of the source record, occurrence)
 * where occurrence counts the identical records before it in one response. Identical records are
 * interchangeable, so any response that holds every record of a timestamp numbers them 0..n-1 alike:
 * re-reads give the same keys (no duplicates) and identical events stay distinct rows (nothing merged).
 */
import { hash } from "node:crypto";

export { type CanonicalText, canonicalJson, writeCanonical } from "./canonical-json.writer.js";

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
 * The first 128 bits of SHA-256 over `text` (UTF-8), written as a UUID. Joined, so the key is made flat at once
 * (a template would make a chain of joined strings, flattened again when the key is written).
 */
function uuidOfHash(text: string): string {
  const hex = hash("sha256", text, "hex");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join("-");
}

/**
 * The first 128 bits of SHA-256 over stream, record and occurrence (UTF-8, separated by U+0000), written as
 * a UUID. One-shot: the digest is the same as hashing the parts one after the other.
 */
export function eventKey(stream: string, canonical: string, occurrence: number): string {
  return uuidOfHash(`${stream}\u0000${canonical}\u0000${occurrence}`);
}

/**
 * eventKey from the identity text writeCanonical writes with a key prefix (`<stream> U+0000 <canonical> U+0000 0`):
 * the same key, hashed as it stands for occurrence 0 (nearly every event).
 */
export function eventKeyOfText(text: string, occurrence: number): string {
  return uuidOfHash(occurrence === 0 ? text : `${text.slice(0, -1)}${occurrence}`);
}
