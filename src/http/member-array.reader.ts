/**
 * The array of a JSON body that is exactly `{"<member>": [ ... ]}`, parsed piece by piece so that no string of the
 * whole body is ever made. V8 puts a string larger than about 128 KiB in its large-object space, on pages of its
 * own, and making one costs far more than the same bytes in smaller strings: a 500 KB page decoded whole took about
 * 2 ms on the 2-core machine, the same bytes decoded in pieces of 32 KiB about a twentieth of that. JSON.parse of the
 * pieces costs what JSON.parse of the whole does (`npm run bench:parse`).
 *
 * The array's text is cut where an element ends in `},` and each piece is parsed on its own as `[<piece>]`. A cut
 * inside a string or a nested value leaves a piece that does not parse: JSON is read left to right, so a piece that
 * parses whole, and holds at least one element, ends where an element of the array ends. Such a cut is passed over
 * for the next `},`. Anything else — another member, another envelope, no `},` to cut at, a body that is not JSON —
 * is not this shape: undefined, and the caller parses the body whole as before, with its own errors.
 */
import { isAscii } from "node:buffer";

/** The bytes a piece is cut at, at most when its elements allow: its string then stays below 128 KiB, two-byte too. */
export const PIECE_BYTES = 32 * 1024;
/** Cuts passed over in one piece (inside a string or a nested value) before the body is left to be parsed whole. */
const MISSED_CUTS = 16;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Where `at` lands once JSON whitespace is passed over, forward. */
function skipSpace(bytes: Buffer, at: number): number {
  while (isSpace(bytes[at])) at++;
  return at;
}

/** The array's content [start, end) in `bytes`, when the body is exactly `{"<member>": [ ... ]}`. */
function arrayContent(bytes: Buffer, member: Buffer): { start: number; end: number } | undefined {
  let at = skipSpace(bytes, 0);
  if (bytes[at] !== OPEN_BRACE) return undefined;
  at = skipSpace(bytes, at + 1);
  if (!bytes.subarray(at, at + member.length).equals(member)) return undefined;
  at = skipSpace(bytes, at + member.length);
  if (bytes[at] !== COLON) return undefined;
  at = skipSpace(bytes, at + 1);
  if (bytes[at] !== OPEN_BRACKET) return undefined;
  let end = bytes.length - 1;
  while (end > at && isSpace(bytes[end])) end--;
  if (end <= at || bytes[end] !== CLOSE_BRACE) return undefined;
  end--;
  while (end > at && isSpace(bytes[end])) end--;
  if (end <= at || bytes[end] !== CLOSE_BRACKET) return undefined;
  return { start: at + 1, end };
}

/** A piece's text with its brackets, written here first so its string is made flat, in one piece. */
let scratch = Buffer.allocUnsafe(PIECE_BYTES + 2);

/** The elements of `[<bytes [start, end)>]`, or undefined when that is not a JSON array of one element or more. */
function piece(bytes: Buffer, start: number, end: number): unknown[] | undefined {
  const length = end - start + 2;
  if (scratch.length < length) scratch = Buffer.allocUnsafe(length);
  const text = scratch.subarray(0, length);
  text[0] = OPEN_BRACKET;
  bytes.copy(text, 1, start, end);
  text[length - 1] = CLOSE_BRACKET;
  let parsed: unknown;
  try {
    parsed = JSON.parse(isAscii(text) ? text.toString("latin1") : text.toString("utf8"));
  } catch {
    return undefined;
  } finally {
    // One very large piece does not keep its buffer for every body after it.
    if (scratch.length > 4 * PIECE_BYTES) scratch = Buffer.allocUnsafe(PIECE_BYTES + 2);
  }
  // A piece of no element: nothing between two commas, or after the last.
  return Array.isArray(parsed) && parsed.length > 0 ? parsed : undefined;
}

/** Where the next piece from `start` may be cut (the `}` of a `},`), or -1: the rest is one piece. */
function cutAfter(bytes: Buffer, start: number, end: number): number {
  if (end - start <= PIECE_BYTES) return -1;
  const before = bytes.lastIndexOf("},", start + PIECE_BYTES);
  const cut = before >= start ? before : bytes.indexOf("},", start);
  return cut >= 0 && cut < end ? cut : -1;
}

/**
 * The elements of `member`'s array when `bytes` is exactly `{"<member>": [ ... ]}` (JSON whitespace anywhere JSON
 * allows it); undefined otherwise (the body is then to be parsed whole).
 */
export function parseMemberArray(bytes: Buffer, member: string): unknown[] | undefined {
  const content = arrayContent(bytes, Buffer.from(JSON.stringify(member), "utf8"));
  if (!content) return undefined;
  const { end } = content;
  if (skipSpace(bytes, content.start) === end) return [];
  // Each piece's elements, made one array once, of its final size (pushed one by one, it would grow a dozen times).
  const pieces: unknown[][] = [];
  let start = content.start;
  for (;;) {
    let missed = 0;
    let cut = cutAfter(bytes, start, end);
    let elements = piece(bytes, start, cut < 0 ? end : cut + 1);
    // A `},` inside a string or a nested value: the next one is tried.
    while (elements === undefined && cut >= 0 && missed++ < MISSED_CUTS) {
      cut = bytes.indexOf("},", cut + 2);
      if (cut >= end) cut = -1;
      elements = piece(bytes, start, cut < 0 ? end : cut + 1);
    }
    if (elements === undefined) return undefined;
    pieces.push(elements);
    if (cut < 0) break;
    // A comma with no element after it (`[{...},]`) leaves a piece of none: not JSON.
    start = cut + 2;
  }
  // At most a few thousand pieces (a body's cap ÷ PIECE_BYTES): arguments enough.
  return pieces.length === 1 ? (pieces[0] as unknown[]) : ([] as unknown[]).concat(...pieces);
}
