/**
 * Event identity (docs/architecture.md, Glossary: occurrence, event key). Neither API gives an event id, so an event is
 * known by
 *   event_key = hash(stream identity, canonical JSON of the source record, occurrence)
 * where occurrence counts the identical records before it in one response. Identical records are
 * interchangeable, so any response that holds every record of a timestamp numbers them 0..n-1 alike:
 * re-reads give the same keys (no duplicates) and identical events stay distinct rows (nothing merged).
 */
import { hash } from "node:crypto";
import { uuidOf } from "./canonical-json.writer.js";

export { canonicalJson, type EventKeyText, keyRecord } from "./canonical-json.writer.js";

/**
 * Numbers identical records as they come: `next(text)` is how many identical ones came before. One per response.
 * A record's text is anything that is equal exactly for identical records: its canonical JSON, or its event key for
 * occurrence 0.
 */
export class OccurrenceCounter {
  private readonly seen = new Map<string, number>();

  next(text: string): number {
    const occurrence = this.seen.get(text) ?? 0;
    this.seen.set(text, occurrence + 1);
    return occurrence;
  }
}

/** The stream part of the key: source, account and stream, e.g. `yandex_direct/agency/client-1`. */
export function streamIdentity(source: string, account: string, streamKey: string): string {
  return `${source}/${account}/${streamKey}`;
}

/**
 * The first 128 bits of SHA-256 over stream, record and occurrence (UTF-8, separated by U+0000), written as
 * a UUID: the definition keyRecord follows, hashing the bytes it writes.
 */
export function eventKey(stream: string, canonical: string, occurrence: number): string {
  return uuidOf(hash("sha256", `${stream}\u0000${canonical}\u0000${occurrence}`, "hex"));
}
