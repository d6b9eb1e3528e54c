/**
 * Timestamps from the APIs. A timestamp with a zone (`Z`, `+03:00`, `+0300`) is exact; one without a zone
 * is read in the zone configured for the account (an offset such as `+03:00`, `UTC`, or an IANA name such
 * as `Europe/Moscow`). Naive and aware times are never compared: everything becomes a Date (UTC) here.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;
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

function offsetMinutes(sign: string, hh: string, mm: string): number {
  return (sign === "-" ? -1 : 1) * (Number(hh) * 60 + Number(mm));
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

/** Parses an ISO 8601 timestamp; a naive one is read in `zone`. Undefined when it is not a valid timestamp. */
export function parseTimestamp(text: string, zone = "UTC"): Date | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000 + 1e-6) : 0;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(wall);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return undefined;
  }
  let offset: number;
  if (tz === "Z" || tz === "z") offset = 0;
  else if (tz) {
    const o = OFFSET.exec(tz);
    if (!o) return undefined;
    offset = offsetMinutes(o[1] as string, o[2] as string, o[3] as string);
  } else if (zone === "UTC" || zone === "Z") offset = 0;
  else {
    const o = OFFSET.exec(zone);
    if (o) offset = offsetMinutes(o[1] as string, o[2] as string, o[3] as string);
    else {
      // Two passes settle the offset across a DST change.
      const first = zoneOffsetAt(zone, wall);
      offset = zoneOffsetAt(zone, wall - first * 60_000);
    }
  }
  return new Date(wall - offset * 60_000);
}

/** `2026-01-02T03:04:05Z`: second precision, UTC, explicit zone. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
