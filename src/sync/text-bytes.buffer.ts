/**
 * Text written as UTF-8 bytes into one growing buffer: JSON strings escaped as JSON.stringify escapes them, safe
 * integers' digits, and bytes written before. Each value is encoded where it goes, so no piece of a text is a string
 * of its own (canonical-json.writer.ts writes every record's canonical JSON with it).
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
const HEX = "0123456789abcdef";
/** JSON.stringify's short escapes of control characters: \b \t \n \f \r. */
const SHORT_ESCAPES: Readonly<Record<number, number>> = { 8: 0x62, 9: 0x74, 10: 0x6e, 12: 0x66, 13: 0x72 };

/**
 * One growing buffer of UTF-8 bytes, kept for every record: the text being written. `ascii` says whether every byte
 * written since `reset` is below 0x80 (the text is then read back as Latin-1, the cheapest string to make).
 */
export class TextBytes {
  bytes = Buffer.allocUnsafe(16 * 1024);
  at = 0;
  ascii = true;

  reset(): void {
    this.at = 0;
    this.ascii = true;
    // One very large record does not keep its buffer for every record after it.
    if (this.bytes.length > 1024 * 1024) this.bytes = Buffer.allocUnsafe(16 * 1024);
  }

  room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + n));
    this.bytes.copy(next, 0, 0, this.at);
    this.bytes = next;
  }

  byte(b: number): void {
    this.room(1);
    this.bytes[this.at++] = b;
  }

  /** Bytes written before, e.g. a quoted key: copied byte by byte (they are short). */
  copy(from: Uint8Array): void {
    this.room(from.length);
    const bytes = this.bytes;
    let at = this.at;
    for (let i = 0; i < from.length; i++) {
      const b = from[i] as number;
      if (b >= 0x80) this.ascii = false;
      bytes[at++] = b;
    }
    this.at = at;
  }

  /** Text known to be ASCII (a number's digits). */
  ascii7(text: string): void {
    this.room(text.length);
    for (let i = 0; i < text.length; i++) this.bytes[this.at++] = text.charCodeAt(i);
  }

  /** A safe integer's decimal digits, as String would write them (-0 is written 0). */
  integer(value: number): void {
    if (value < 0) {
      this.byte(0x2d);
      value = -value;
    }
    this.room(16);
    // Two halves of 8 digits at most, each below 2^31: whole-number division is fast there.
    if (value >= 1e8) {
      const high = Math.floor(value / 1e8);
      this.digits(high, 0);
      this.digits(value - high * 1e8, 8);
    } else this.digits(value, 0);
  }

  /** A whole number below 2^31, in decimal, padded with zeros to `width` digits. */
  private digits(n: number, width: number): void {
    let count = 1;
    for (let rest = n; rest >= 10; rest = (rest / 10) | 0) count++;
    if (count < width) count = width;
    let at = (this.at += count);
    for (let i = 0; i < count; i++) {
      const q = (n / 10) | 0;
      this.bytes[--at] = 0x30 + n - q * 10;
      n = q;
    }
  }

  /** `\u` and four lowercase hex digits, as JSON.stringify escapes a control character or a lone surrogate. */
  private unicodeEscape(c: number): void {
    this.bytes[this.at++] = BACKSLASH;
    this.bytes[this.at++] = 0x75;
    for (let shift = 12; shift >= 0; shift -= 4) this.bytes[this.at++] = HEX.charCodeAt((c >> shift) & 15);
  }

  /** A string as JSON.stringify writes it, quotes included, encoded as UTF-8. */
  string(text: string): void {
    // At most 6 bytes per UTF-16 code unit (an escape), and the quotes.
    this.room(text.length * 6 + 2);
    const bytes = this.bytes;
    let at = this.at;
    bytes[at++] = QUOTE;
    // Printable ASCII but the quote and the backslash, byte for byte: nearly every string, whole.
    let i = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c >= 0x80 || c === QUOTE || c === BACKSLASH) break;
      bytes[at++] = c;
    }
    this.at = at;
    if (i < text.length) this.escaped(text, i);
    bytes[this.at++] = QUOTE;
  }

  /** The rest of a string from `i`, escaped and encoded (string). */
  private escaped(text: string, i: number): void {
    const bytes = this.bytes;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) bytes[this.at++] = c;
        else if (c === QUOTE || c === BACKSLASH) {
          bytes[this.at++] = BACKSLASH;
          bytes[this.at++] = c;
        } else if (SHORT_ESCAPES[c] !== undefined) {
          bytes[this.at++] = BACKSLASH;
          bytes[this.at++] = SHORT_ESCAPES[c];
        } else this.unicodeEscape(c);
        continue;
      }
      this.ascii = false;
      if (c < 0x800) {
        bytes[this.at++] = 0xc0 | (c >> 6);
        bytes[this.at++] = 0x80 | (c & 63);
      } else if (c < 0xd800 || c > 0xdfff) {
        bytes[this.at++] = 0xe0 | (c >> 12);
        bytes[this.at++] = 0x80 | ((c >> 6) & 63);
        bytes[this.at++] = 0x80 | (c & 63);
      } else {
        const low = text.charCodeAt(i + 1);
        if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) this.unicodeEscape(c);
        else {
          const point = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          bytes[this.at++] = 0xf0 | (point >> 18);
          bytes[this.at++] = 0x80 | ((point >> 12) & 63);
          bytes[this.at++] = 0x80 | ((point >> 6) & 63);
          bytes[this.at++] = 0x80 | (point & 63);
          i++;
        }
      }
    }
  }

  /** The bytes [start, end) as a string. */
  text(start: number, end: number): string {
    return this.bytes.toString(this.ascii ? "latin1" : "utf8", start, end);
  }
}
