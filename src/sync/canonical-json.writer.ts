/**
 * The canonical JSON of a record (docs/architecture.md, Glossary: event key): keys sorted at every depth, numbers
 * in their shortest form, written once for every event. Each text is written as pieces joined once, so it is one
 * flat string made in one copy; the sorted and quoted keys of each record shape are kept, so a record of a known
 * shape is neither sorted nor quoted again.
 */

/**
 * The keys of one object shape, sorted, each with its JSON text and `:` (`"Key":`). Records of one API come in a
 * few shapes, so the shapes met last are kept and a record of a known shape is neither sorted nor quoted again.
 */
interface KeyShape {
  /** As Object.keys gives them. */
  keys: readonly string[];
  sorted: readonly string[];
  quoted: readonly string[];
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
  const shape: KeyShape = { keys, sorted, quoted: sorted.map((key) => `${JSON.stringify(key)}:`) };
  if (shapes.length >= SHAPES_KEPT) shapes.pop();
  shapes.unshift(shape);
  return shape;
}

/** A string JSON.stringify would write as is between quotes: no quote, backslash, control or surrogate. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * The pieces of one text, joined once, so the text is one flat string and no piece is concatenated on the way.
 * One list serves every record: its array never shrinks (a shrunk array grows again, piece by piece, for the next
 * record); the slots past the current text hold empty strings, which join leaves out.
 */
class Pieces {
  items: string[] = [];
  length = 0;
  /** Slots written since the last join (they hold pieces of an earlier text until blanked). */
  private written = 0;

  push(piece: string): void {
    this.items[this.length++] = piece;
  }

  set(index: number, piece: string): void {
    this.items[index] = piece;
  }

  join(): string {
    for (let i = this.length; i < this.written; i++) this.items[i] = "";
    this.written = this.length;
    return this.length === 1 ? (this.items[0] as string) : this.items.join("");
  }

  clear(): void {
    this.written = Math.max(this.written, this.length);
    this.length = 0;
    // One very large record does not make every join that follows walk its slots.
    if (this.items.length > 4096) {
      this.items = [];
      this.written = 0;
    }
  }
}

/** Appends the canonical JSON of `value`; top-level keys in `omit` are left out. */
function appendCanonical(value: unknown, out: Pieces, omit?: ReadonlySet<string>): void {
  switch (typeof value) {
    case "string":
      if (PLAIN_STRING.test(value)) {
        out.push('"');
        out.push(value);
        out.push('"');
      } else out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      out.push(Object.is(value, -0) ? "0" : JSON.stringify(value));
      return;
    case "object":
      if (value === null) out.push("null");
      else if (Array.isArray(value)) appendArray(value, out);
      else appendObject(value as Record<string, unknown>, out, omit);
      return;
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
  }
}

function appendArray(value: readonly unknown[], out: Pieces): void {
  out.push("[");
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out.push(",");
    appendCanonical(value[i], out);
  }
  out.push("]");
}

function appendObject(record: Record<string, unknown>, out: Pieces, omit?: ReadonlySet<string>): void {
  const { sorted, quoted } = shapeOf(record);
  out.push("{");
  let first = true;
  for (let k = 0; k < sorted.length; k++) {
    const key = sorted[k] as string;
    const item = record[key];
    if (item === undefined || omit?.has(key)) continue;
    if (!first) out.push(",");
    out.push(quoted[k] as string);
    first = false;
    appendCanonical(item, out);
  }
  out.push("}");
}

/** The pieces of the text being written: one record is written at a time. */
const pieces = new Pieces();

/**
 * JSON with object keys sorted at every depth and numbers in JavaScript's shortest form, so neither key
 * order nor number formatting (1.50, 1.5, 15e-1) changes it. Arrays keep their order; -0 is written 0.
 * Top-level keys in `omit` are left out. It runs once for every event: written in pieces joined once.
 */
export function canonicalJson(value: unknown, omit?: ReadonlySet<string>): string {
  try {
    appendCanonical(value, pieces, omit);
    return pieces.join();
  } finally {
    pieces.clear();
  }
}

/**
 * A record's canonical JSON twice over: `identity` leaves out the top-level keys of `omit` (what the event key is
 * computed from), `json` keeps every key (the raw record the warehouse stores: the same JSON value as the record,
 * so it is not serialised a second time). Filled in place, so a page allocates one for all its records.
 */
export interface CanonicalText {
  identity: string;
  json: string;
}

/** The omitted top-level members of the record being written: [first piece, end) of each. */
const omittedMembers: number[] = [];

/**
 * Writes both texts of a record. With `keyPrefix` (the stream identity), `identity` is the whole text its event key
 * hashes for occurrence 0, `<keyPrefix> U+0000 <identity> U+0000 0`, written in the same join (so it is neither
 * concatenated nor flattened again to be hashed): read it with eventKeyOfText. Numbering occurrences on it is the
 * same as on the bare identity, as every text of a stream has the same prefix and suffix.
 */
export function writeCanonical(
  value: unknown,
  omit: ReadonlySet<string> | undefined,
  into: CanonicalText,
  keyPrefix?: string,
): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    into.json = canonicalJson(value);
    into.identity = keyPrefix === undefined ? into.json : `${keyPrefix}\u0000${into.json}\u00000`;
    return;
  }
  const record = value as Record<string, unknown>;
  const { sorted, quoted } = shapeOf(record);
  let omitted = 0;
  try {
    // Two places for the key prefix and its separator, empty in the raw text.
    pieces.push("");
    pieces.push("");
    pieces.push("{");
    for (let k = 0; k < sorted.length; k++) {
      const key = sorted[k] as string;
      const item = record[key];
      if (item === undefined) continue;
      // Each member after the first begins with its comma.
      const start = pieces.length;
      if (start > OPEN + 1) pieces.push(",");
      pieces.push(quoted[k] as string);
      appendCanonical(item, pieces);
      if (omit?.has(key)) {
        omittedMembers[omitted++] = start;
        omittedMembers[omitted++] = pieces.length;
      }
    }
    pieces.push("}");
    into.json = pieces.join();
    into.identity = omitted === 0 && keyPrefix === undefined ? into.json : identityText(omitted, keyPrefix);
  } finally {
    pieces.clear();
  }
}

/** Where the record's `{` is among the pieces of writeCanonical. */
const OPEN = 2;

/** The record's text again without its omitted members (`omitted` numbers of omittedMembers), with its key prefix. */
function identityText(omitted: number, keyPrefix: string | undefined): string {
  for (let m = 0; m < omitted; m += 2) {
    const end = omittedMembers[m + 1] as number;
    for (let i = omittedMembers[m] as number; i < end; i++) pieces.set(i, "");
  }
  // The first member kept must not begin with a comma: the first non-empty piece after `{`.
  for (let i = OPEN + 1; i < pieces.length; i++) {
    if (pieces.items[i] === "") continue;
    if (pieces.items[i] === ",") pieces.set(i, "");
    break;
  }
  if (keyPrefix !== undefined) {
    pieces.set(0, keyPrefix);
    pieces.set(1, "\u0000");
    pieces.push("\u0000");
    pieces.push("0");
  }
  return pieces.join();
}
