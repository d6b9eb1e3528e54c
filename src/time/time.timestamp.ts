/**
 * Timestamps from the APIs. A timestamp with a zone (`Z`, `+03:00`, `+0300`) is exact; one without a zone
 * is read in the zone configured for the account (an offset such as `+03:00`, `UTC`, or an IANA name such
 * as `Europe/Moscow`). Naive and aware times are never compared: everything becomes a Date (UTC) here.
 */
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** True when `zone` is an offset, UTC, or an IANA zone this runtime knows. */
export function isValidZone(zone: string): boolean {
  if (zone === "UTC" || zone === "Z" || OFFSET.test(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * True when `zone`'s offset is the same all year round (UTC, an offset, or an IANA zone without daylight
 * saving), checked on the 1st of every month of the past two years and the next one. Only such a zone
 * gives every time without a zone exactly one instant.
 */
export function hasFixedOffset(zone: string, now = Date.now()): boolean {
  if (zone === "UTC" || zone === "Z" || OFFSET.test(zone)) return true;
  if (!isValidZone(zone)) return true; // reported by isValidZone
  const year = new Date(now).getUTCFullYear();
  let seen: number | undefined;
  for (let y = year - 2; y <= year + 1; y++) {
    for (let m = 0; m < 12; m++) {
      const offset = zoneOffsetAt(zone, Date.UTC(y, m, 1, 12));
      if (seen !== undefined && offset !== seen) return false;
      seen = offset;
    }
  }
  return true;
}

/**
 * One formatter per zone: building one costs far more than using it, and a zone's rules do not change while the process
 * runs.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, format);
  }
  return format;
}

/** Offset of an IANA zone from UTC at a UTC instant, in minutes. */
function zoneOffsetAt(zone: string, utcMs: number): number {
  const parts = formatterFor(zone).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/** The number written by `count` ASCII digits at `at`, or -1 when one of them is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

/** Minutes east of UTC of `±HH:MM` or `±HHMM` written from `at` to the end of `text`; undefined otherwise. */
function suffixOffset(text: string, at: number): number | undefined {
  const sign = text[at];
  const length = text.length - at;
  if ((sign !== "+" && sign !== "-") || (length !== 6 && length !== 5)) return undefined;
  if (length === 6 && text[at + 3] !== ":") return undefined;
  const hh = digitsAt(text, at + 1, 2);
  const mm = digitsAt(text, text.length - 2, 2);
  if (hh < 0 || mm < 0) return undefined;
  return (sign === "-" ? -1 : 1) * (hh * 60 + mm);
}

/**
 * The offset of a wall-clock time `wall` (ms, read as UTC) in `zone`, minutes east of UTC: an offset, UTC, or an
 * IANA zone (two passes settle the offset across a DST change); undefined for a zone that is none of these.
 */
function zoneOffset(zone: string, wall: number): number | undefined {
  if (zone === "UTC" || zone === "Z") return 0;
  if (zone[0] === "+" || zone[0] === "-") return suffixOffset(zone, 0);
  const first = zoneOffsetAt(zone, wall);
  return zoneOffsetAt(zone, wall - first * 60_000);
}

/**
 * Parses an ISO 8601 timestamp (`YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM]`) into ms since the epoch; a
 * naive one is read in `zone`. Undefined when it is not a valid timestamp. Read character by character: every
 * event's time passes here.
 */
export function parseTimestampMs(input: string, zone = "UTC"): number | undefined {
  const text = input.trim();
  if (text.length < 19 || text[4] !== "-" || text[7] !== "-" || text[13] !== ":" || text[16] !== ":") return undefined;
  if (text[10] !== "T" && text[10] !== " ") return undefined;
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const h = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  const s = digitsAt(text, 17, 2);
  // Date.UTC reads years 0–99 as 1900–1999: such a timestamp is not read.
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
    return undefined;
  if (d > daysInMonth(y, mo)) return undefined;
  let at = 19;
  let ms = 0;
  if (text[at] === ".") {
    let end = at + 1;
    while (end < text.length && end - at <= 9 && digitsAt(text, end, 1) >= 0) end++;
    if (end === at + 1) return undefined;
    ms = Math.floor(Number(`0.${text.slice(at + 1, end)}`) * 1000 + 1e-6);
    at = end;
  }
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const rest = text.length - at;
  const offset =
    rest === 0
      ? zoneOffset(zone, wall)
      : rest === 1 && (text[at] === "Z" || text[at] === "z")
        ? 0
        : suffixOffset(text, at);
  return offset === undefined ? undefined : wall - offset * 60_000;
}

/** parseTimestampMs as a Date. */
export function parseTimestamp(text: string, zone = "UTC"): Date | undefined {
  const ms = parseTimestampMs(text, zone);
  return ms === undefined ? undefined : new Date(ms);
}

/** `2026-01-02T03:04:05Z`: second precision, UTC, explicit zone. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
