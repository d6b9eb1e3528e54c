/** Occurrences over a whole list of records, for tests and benchmarks that build a snapshot at once. */
import { canonicalJson, OccurrenceCounter } from "../../src/sync/event.identity.js";

export interface NumberedRecord<T> {
  record: T;
  canonical: string;
  /** Identical records (same canonical JSON) before this one in the same snapshot. */
  occurrence: number;
}

/**
 * Numbers the occurrences of identical records within one snapshot, keeping its order, with the product's
 * `OccurrenceCounter`. `canonicalOf` gives a record's identity as canonical JSON (default: the whole record).
 */
export function numberOccurrences<T>(
  records: readonly T[],
  canonicalOf: (record: T) => string = (r) => canonicalJson(r),
): NumberedRecord<T>[] {
  const counter = new OccurrenceCounter();
  return records.map((record) => {
    const canonical = canonicalOf(record);
    return { record, canonical, occurrence: counter.next(canonical) };
  });
}
