/**
 * Encodes event rows into PostgreSQL's COPY text format, checking every value against its column on the
 * way so that a wrong type is a clear LoaderInputError naming the table, row and column, not a cryptic
 * COPY failure (or worse, a silently coerced value).
 */
import { LoaderInputError } from "../errors.js";
import type { ColumnKind, EventColumn, EventTable } from "./copy.columns.js";
import { jsonWithoutNul, textWithoutNul } from "./nul.replacement.js";

/** The column every event table has after its own: whether a U+0000 was replaced in the row (nul.replacement.ts). */
export const NUL_FLAG_COLUMN = "nul_replaced";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER_TEXT = /^-?\d+$/;
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;
const NEEDS_ESCAPE = /[\\\n\r\t]/;
/** A text that needs neither escaping nor a U+0000 replaced, told in one pass. */
// eslint-disable-next-line no-control-regex -- U+0000 is what it looks for
const NEEDS_ESCAPE_OR_NUL = /[\\\n\r\t\u0000]/;

/** Escapes text for COPY: backslash, newline, carriage return and tab. */
export function escapeCopyText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
}

function describe(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "an invalid Date" : "a Date";
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === "object") return value === null ? "null" : Array.isArray(value) ? "an array" : "an object";
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<ColumnKind, string> = {
  uuid: "a UUID string",
  text: "a string",
  integer: "a 32-bit integer",
  bigint: "an integer (number or digit string)",
  double: "a finite number",
  numeric: "a decimal (finite number or decimal string)",
  boolean: "a boolean",
  timestamptz: "a valid Date",
  date: "a YYYY-MM-DD string",
  jsonb: "JSON text",
};

/** Set while a row is encoded: a U+0000 was replaced in one of its values. */
interface RowFlags {
  nul: boolean;
}

/** The COPY text form of one value, or undefined when it does not fit the column. */
function encodeValue(kind: ColumnKind, value: unknown, flags: RowFlags): string | undefined {
  switch (kind) {
    case "text": {
      if (typeof value !== "string") return undefined;
      if (!NEEDS_ESCAPE_OR_NUL.test(value)) return value;
      if (!value.includes("\u0000")) return escapeCopyText(value);
      flags.nul = true;
      return escapeCopyText(textWithoutNul(value).text);
    }
    case "uuid":
      return typeof value === "string" && UUID.test(value) ? value : undefined;
    case "integer":
      return typeof value === "number" && Number.isInteger(value) && Math.abs(value) <= 2147483647
        ? String(value)
        : undefined;
    case "bigint":
      if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : undefined;
      if (typeof value === "bigint") return value.toString();
      return typeof value === "string" && INTEGER_TEXT.test(value) ? value : undefined;
    case "double":
      return typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;
    case "numeric":
      if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
      return typeof value === "string" && DECIMAL_TEXT.test(value) ? value : undefined;
    case "boolean":
      return typeof value === "boolean" ? (value ? "t" : "f") : undefined;
    case "timestamptz":
      return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;
    case "date":
      return typeof value === "string" && DATE_TEXT.test(value) ? value : undefined;
    case "jsonb": {
      // JSON text, as written once when the event was identified; only one that may hold a U+0000 is read back.
      if (typeof value !== "string" || value === "") return undefined;
      // Without a backslash it holds no escape at all, so no `\u0000` either.
      if (!NEEDS_ESCAPE.test(value)) return value;
      if (!value.includes("\\u0000")) return escapeCopyText(value);
      const { json, replaced } = jsonWithoutNul(JSON.parse(value));
      if (replaced) flags.nul = true;
      return escapeCopyText(json);
    }
  }
}

/** About how many bytes of COPY text go into one chunk. */
const CHUNK_BYTES = 64 * 1024;
const TAB = 0x09;
const NEWLINE = 0x0a;
/** The longest value written byte by byte when it is ASCII; a longer one is encoded in one call. */
const SHORT_TEXT = 64;

/**
 * COPY text written straight into UTF-8 chunks: each value is encoded into the chunk it goes to, so no line or
 * page is ever built as a string (and flattened, and copied again into a buffer).
 */
class CopyChunks {
  readonly chunks: Buffer[] = [];
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;
  /** Where the line being written starts in the chunk. */
  private lineStart = 0;

  /** Room for `bytes` more in the chunk; a full chunk is handed on whole lines only (see `endLine`). */
  private room(bytes: number): void {
    if (this.at + bytes <= this.chunk.length) return;
    // A value larger than a chunk moves what the line holds so far into a chunk of its own size.
    const line = this.chunk.subarray(this.lineStart, this.at);
    const next = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, line.length + bytes));
    line.copy(next, 0);
    if (this.lineStart > 0) this.chunks.push(this.chunk.subarray(0, this.lineStart));
    this.chunk = next;
    this.at = line.length;
    this.lineStart = 0;
  }

  text(value: string): void {
    const length = value.length;
    // A short ASCII value (most of a row's) is copied byte by byte: cheaper than a call into the encoder.
    if (length <= SHORT_TEXT) {
      this.room(length);
      const chunk = this.chunk;
      let at = this.at;
      let i = 0;
      for (; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        chunk[at++] = c;
      }
      if (i === length) {
        this.at = at;
        return;
      }
    }
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.room(length * 3);
    this.at += this.chunk.write(value, this.at, "utf8");
  }

  byte(value: number): void {
    this.room(1);
    this.chunk[this.at++] = value;
  }

  endLine(): void {
    this.lineStart = this.at;
  }

  /** The chunks filled since the last call, handed on (the one being filled stays). */
  take(): Buffer[] {
    return this.chunks.splice(0, this.chunks.length);
  }

  finish(): Buffer[] {
    if (this.at > 0) this.chunks.push(this.chunk.subarray(0, this.at));
    return this.take();
  }
}

/** The COPY text of one value of `row`, checked against its column. */
function encodeField<Row>(
  table: EventTable<Row>,
  column: EventColumn<Row>,
  value: unknown,
  r: number,
  flags: RowFlags,
): string {
  if (value === null || value === undefined) {
    if (!column.nullable) {
      throw new LoaderInputError(
        `${table.name}: row ${r}: column ${column.name} is required, got ${describe(value)}`,
        column.name,
      );
    }
    return "\\N";
  }
  const field = encodeValue(column.kind, value, flags);
  if (field === undefined) {
    throw new LoaderInputError(
      `${table.name}: row ${r}: column ${column.name} expects ${EXPECTED[column.kind]}, got ${describe(value)}`,
      column.name,
    );
  }
  return field;
}

/**
 * Encodes rows as COPY text lines (tab-separated, `\N` for null), checking each value; each line ends with
 * the row's NUL_FLAG_COLUMN. The text comes as UTF-8 chunks of about 64 KiB, whole lines each, each handed on
 * as soon as it is full: a batch's text is never held whole, and a chunk sent is garbage at once.
 */
export function* encodeCopyChunks<Row>(table: EventTable<Row>, rows: readonly Row[]): Generator<Buffer> {
  const columns: ReadonlyArray<EventColumn<Row>> = table.columns;
  const out = new CopyChunks();
  const flags: RowFlags = { nul: false };
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Row;
    if (row === null || typeof row !== "object") {
      throw new LoaderInputError(`${table.name}: row ${r} is ${describe(row)}, expected an object`, "");
    }
    flags.nul = false;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c] as EventColumn<Row>;
      if (c > 0) out.byte(TAB);
      out.text(encodeField(table, column, row[column.name], r, flags));
    }
    out.text(flags.nul ? "\tt" : "\tf");
    out.byte(NEWLINE);
    out.endLine();
    if (out.chunks.length > 0) yield* out.take();
  }
  yield* out.finish();
}
