import { type Redactor, redactValue } from "../http/secrets.redactor.js";
import type { RejectedRecord } from "../warehouse/batch.loader.js";

/**
 * A record that failed its check, as it is logged and stored in sync.rejects: its reason quotes the record,
 * and the record is text from outside, so both pass the account's redactor (a server may echo the token in
 * any field).
 */
export function rejectedRecord(reason: string, payload: unknown, redact: Redactor): RejectedRecord {
  return { reason: redact(reason), payload: redactValue(payload, redact) };
}

/**
 * Compile-time checks that what a mapper gives is what its table's row takes:
 * `Assert<SameColumns<Mapped, RowColumns>>` compiles only when both have the same keys and every mapped
 * value fits its column.
 */
export type SameColumns<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? [A] extends [B]
    ? true
    : false
  : false;

export type Assert<T extends true> = T;
