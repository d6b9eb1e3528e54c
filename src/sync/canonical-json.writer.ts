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
  /** Where each sorted key is in `keys`. */
  order: readonly number[];
}

const SHAPES_KEPT = 32;
const shapes: KeyShape[] = [];

/**
 * Whether `record`'s keys are `keys`, in order, walked without making their list; their values are put in `values`
 * on the way (a load within for-in is the cheapest there is). A key inherited from a prototype only makes the record
 * look like no known shape (it is then listed with Object.keys, own keys only).
 */
function hasKeys(record: Record<string, unknown>, keys: readonly string[], values: unknown[]): boolean {
  let i = 0;
  for (const key in record) {
    if (keys[i] !== key) return false;
    values[i++] = record[key];
  }
  return i === keys.length;
}

/** The shape of `record`, its values put in `values` in the order of its keys. */
function shapeOf(record: Record<string, unknown>, values: unknown[]): KeyShape {
  for (let i = 0; i < shapes.length; i++) {
    const shape = shapes[i] as KeyShape;
    if (hasKeys(record, shape.keys, values)) return shape;
  }
  const keys = Object.keys(record);
  // The default sort compares UTF-16 code units, the same order on every machine.
  const sorted = [...keys].sort();
  const quoted = sorted.map((key) => Buffer.from(`${JSON.stringify(key)}:`, "utf8"));
  const shape: KeyShape = { keys, sorted, quoted, order: sorted.map((key) => keys.indexOf(key)) };
  for (let i = 0; i < keys.length; i++) values[i] = record[keys[i] as string];
  if (shapes.length >= SHAPES_KEPT) shapes.pop();
  shapes.unshift(shape);
  return shape;
}

/** The values of the objects being written, one list for each depth, kept. */
const valuesAt: unknown[][] = [];

/** Writes the canonical JSON of `value`; top-level keys in `omit` are left out. */
function writeValue(value: unknown, out: TextBytes, depth: number, omit?: ReadonlySet<string>): void {
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
      else if (Array.isArray(value)) writeArray(value, out, depth);
      else writeObject(value as Record<string, unknown>, out, depth, omit);
      return;
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
  }
}

function writeArray(value: readonly unknown[], out: TextBytes, depth: number): void {
  out.byte(0x5b);
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out.byte(COMMA);
    writeValue(value[i], out, depth + 1);
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
  depth: number,
  omit?: ReadonlySet<string>,
  omitted?: number[],
): void {
  const values = (valuesAt[depth] ??= []);
  const { sorted, quoted, order } = shapeOf(record, values);
  out.byte(0x7b);
  let first = true;
  for (let k = 0; k < sorted.length; k++) {
    const key = sorted[k] as string;
    const item = values[order[k] as number];
    if (item === undefined) continue;
    const left = omit?.has(key) === true;
    if (left && omitted === undefined) continue;
    const start = out.at;
    if (!first) out.byte(COMMA);
    first = false;
    out.copy(quoted[k] as Buffer);
    writeValue(item, out, depth + 1);
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
  writeValue(value, out, 0, omit);
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
 * from the bytes as written. Once the JSON is read as a string, its omitted members are closed up in place, so the
 * identity text is the bytes from the prefix on.
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
  out.copy(prefixBytes(keyPrefix));
  const start = out.at;
  if (value !== null && typeof value === "object" && !Array.isArray(value))
    writeObject(value as Record<string, unknown>, out, 0, omit, omittedRanges);
  else writeValue(value, out, 0);
  into.json = out.text(start, out.at);
  if (omittedRanges.length > 0) out.at = closeUp(start, out.at);
  out.byte(0);
  out.integer(occurrence);
  into.key = uuidOf(hash("sha256", out.bytes.subarray(0, out.at), "hex"));
}

/**
 * Moves the members after each omitted one of the JSON [start, end) over it; the first member kept loses its comma.
 * Returns where the identity text ends.
 */
function closeUp(start: number, end: number): number {
  const bytes = out.bytes;
  let at = omittedRanges[0] as number;
  // Whether a member is kept before the first omitted one (past the `{`).
  let member = at > start + 1;
  for (let m = 1; m < omittedRanges.length; m += 2) {
    const from = omittedRanges[m] as number;
    const to = m + 1 < omittedRanges.length ? (omittedRanges[m + 1] as number) : end;
    if (to === from) continue;
    // Each member kept begins with its comma, but for the first of the identity.
    const first = !member && bytes[from] === COMMA ? from + 1 : from;
    bytes.copyWithin(at, first, to);
    at += to - first;
    member = true;
  }
  return at;
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
