/**
 * The canonical JSON of a record (docs/architecture.md, Glossary: event key): keys sorted at every depth, numbers
 * in their shortest form, written once for every event. It is written as UTF-8 bytes into one buffer kept for every
 * record, and the event key is hashed from those bytes: no piece of the text is a string of its own, and the one
 * string made is the raw record the warehouse stores. The sorted keys of each record shape are kept, quoted, as bytes,
 * so a record of a known shape is neither sorted nor quoted again.
 */
import { hash } from "node:crypto";
import { COMMA, TextBytes } from "./text-bytes.buffer.js";

/**
 * The keys of one object shape, sorted, each with the UTF-8 bytes of its JSON text and `:` (`"Key":`). Records of one
 * API come in a few shapes, so the shapes met last are kept.
 */
interface KeyShape {
  /** As Object.keys gives them. */
  keys: readonly string[];
  sorted: readonly string[];
  quoted: readonly Buffer[];
}

const SHAPES_KEPT = 32;
const shapes: KeyShape[] = [];

/**
 * Whether `record`'s keys are `keys`, in order, walked without making their list. A key inherited from a prototype
 * only makes the record look like no known shape (it is then listed with Object.keys, own keys only).
 */
function hasKeys(record: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in record) if (keys[i++] !== key) return false;
  return i === keys.length;
}

function shapeOf(record: object): KeyShape {
  for (let i = 0; i < shapes.length; i++) {
    const shape = shapes[i] as KeyShape;
    if (hasKeys(record, shape.keys)) return shape;
  }
  const keys = Object.keys(record);
  // The default sort compares UTF-16 code units, the same order on every machine.
  const sorted = [...keys].sort();
  const quoted = sorted.map((key) => Buffer.from(`${JSON.stringify(key)}:`, "utf8"));
  const shape: KeyShape = { keys, sorted, quoted };
  if (shapes.length >= SHAPES_KEPT) shapes.pop();
  shapes.unshift(shape);
  return shape;
}

/** Writes the canonical JSON of `value`; top-level keys in `omit` are left out. */
function writeValue(value: unknown, out: TextBytes, omit?: ReadonlySet<string>): void {
  switch (typeof value) {
    case "string":
      out.string(value);
      return;
    case "boolean":
      out.ascii7(value ? "true" : "false");
      return;
    case "number":
      if (Number.isSafeInteger(value)) out.integer(value);
      else if (Number.isFinite(value)) out.ascii7(String(value));
      else throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      return;
    case "object":
      if (value === null) out.ascii7("null");
      else if (Array.isArray(value)) writeArray(value, out);
      else writeObject(value as Record<string, unknown>, out, omit);
      return;
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
  }
}

function writeArray(value: readonly unknown[], out: TextBytes): void {
  out.byte(0x5b);
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out.byte(COMMA);
    writeValue(value[i], out);
  }
  out.byte(0x5d);
}

/**
 * An object's members in sorted order. With `omitted`, the members of keys in `omit` are written all the same and
 * their byte ranges [start, end) listed there (a member's range begins at its comma); without it they are left out.
 */
function writeObject(
  record: Record<string, unknown>,
  out: TextBytes,
  omit?: ReadonlySet<string>,
  omitted?: number[],
): void {
  const { sorted, quoted } = shapeOf(record);
  out.byte(0x7b);
  let first = true;
  for (let k = 0; k < sorted.length; k++) {
    const key = sorted[k] as string;
    const item = record[key];
    if (item === undefined) continue;
    const left = omit?.has(key) === true;
    if (left && omitted === undefined) continue;
    const start = out.at;
    if (!first) out.byte(COMMA);
    first = false;
    out.copy(quoted[k] as Buffer);
    writeValue(item, out);
    if (left) omitted?.push(start, out.at);
  }
  out.byte(0x7d);
}

/** The text being written: one record is written at a time. */
const out = new TextBytes();

/**
 * JSON with object keys sorted at every depth and numbers in JavaScript's shortest form, so neither key
 * order nor number formatting (1.50, 1.5, 15e-1) changes it. Arrays keep their order; -0 is written 0.
 * Top-level keys in `omit` are left out.
 */
export function canonicalJson(value: unknown, omit?: ReadonlySet<string>): string {
  out.reset();
  writeValue(value, out, omit);
  return out.text(0, out.at);
}

/** A record's canonical JSON text and its event key (event.identity.ts), filled in place by keyRecord. */
export interface EventKeyText {
  /** The canonical JSON with every key: the raw record the warehouse stores. */
  json: string;
  /** The event key, a UUID. */
  key: string;
}

/** The omitted members' byte ranges of the record being written. */
const omittedRanges: number[] = [];
const prefixes = new Map<string, Buffer>();

/** `<keyPrefix> U+0000` as UTF-8, kept per stream. */
function prefixBytes(keyPrefix: string): Buffer {
  let bytes = prefixes.get(keyPrefix);
  if (bytes === undefined) {
    if (prefixes.size >= 1024) prefixes.clear();
    bytes = Buffer.from(`${keyPrefix}\u0000`, "utf8");
    prefixes.set(keyPrefix, bytes);
  }
  return bytes;
}

/**
 * Writes a record's canonical JSON and its event key for `occurrence`: the hash of
 * `<keyPrefix> U+0000 <canonical JSON without the top-level keys of omit> U+0000 <occurrence>` (eventKey), hashed
 * from the bytes as written. The identity text is the JSON's bytes again, its omitted members passed over.
 */
export function keyRecord(
  value: unknown,
  omit: ReadonlySet<string> | undefined,
  keyPrefix: string,
  occurrence: number,
  into: EventKeyText,
): void {
  out.reset();
  omittedRanges.length = 0;
  const prefix = prefixBytes(keyPrefix);
  // The prefix first, so a record with nothing omitted is hashed where it stands.
  out.copy(prefix);
  const start = out.at;
  if (value !== null && typeof value === "object" && !Array.isArray(value))
    writeObject(value as Record<string, unknown>, out, omit, omittedRanges);
  else writeValue(value, out);
  const end = out.at;
  into.json = out.text(start, end);
  let identity = 0;
  if (omittedRanges.length > 0) {
    identity = end;
    out.copy(prefix);
    identityBytes(start, end);
  }
  out.byte(0);
  out.integer(occurrence);
  into.key = uuidOf(hash("sha256", out.bytes.subarray(identity, out.at), "hex"));
}

/** Copies the JSON [start, end) after it without its omitted members; the first member kept loses its comma. */
function identityBytes(start: number, end: number): void {
  const json = out.bytes;
  let from = start;
  let member = false;
  for (let m = 0; m <= omittedRanges.length; m += 2) {
    const to = m < omittedRanges.length ? (omittedRanges[m] as number) : end;
    if (to > from) {
      // Each member kept begins with its comma, but for the first of the identity.
      out.copy(json, !member && json[from] === COMMA ? from + 1 : from, to);
      // Anything copied past the `{` is a member (or the `}` that ends them).
      if (to > start + 1) member = true;
    }
    if (m + 1 < omittedRanges.length) from = omittedRanges[m + 1] as number;
  }
}

/** A SHA-256 in hex, its first 128 bits written as a UUID in one string. */
export function uuidOf(hex: string): string {
  out.room(36);
  let at = out.at;
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) out.bytes[at++] = 0x2d;
    out.bytes[at++] = hex.charCodeAt(i);
  }
  return out.bytes.toString("latin1", out.at, at);
}
