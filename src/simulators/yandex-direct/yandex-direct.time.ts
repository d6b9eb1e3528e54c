/**
 * Timestamps of the simulated API. Events have second precision and are kept as epoch seconds;
 * request bounds are kept in epoch ms (a client may send fractions).
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** `±HH:MM` (or `±HHMM`, `±HH`) → minutes east of UTC. */
export function offsetMinutes(offset: string): number {
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(offset);
  if (!match) throw new RangeError(`bad zone offset ${offset}`);
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? "0");
  return match[1] === "-" ? -minutes : minutes;
}

/**
 * Parses an ISO 8601 timestamp (date, or date and time, optional fraction and zone) into epoch ms.
 * A timestamp without a zone is read at `naiveOffsetMinutes` east of UTC. Returns null when invalid.
 */
export function parseTimestamp(text: string, naiveOffsetMinutes: number): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? "0"), Number(m[5] ?? "0"), Number(m[6] ?? "0")];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const zone = m[8];
  let offset = naiveOffsetMinutes;
  if (zone === "Z" || zone === "z") offset = 0;
  else if (zone !== undefined) {
    offset = offsetMinutes(zone);
    if (Math.abs(offset) > 14 * 60) return null;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) + fraction - offset * 60_000;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `MM:SS` of each second of an hour. */
const MINUTE_SECOND = Array.from({ length: 3600 }, (_, s) => `${pad(Math.floor(s / 60))}:${pad(s % 60)}`);
/** The last hour written and its `YYYY-MM-DDTHH:`: a page's events mostly share their hour. */
let lastHour = Number.NaN;
let lastHourText = "";

/** Epoch seconds → `YYYY-MM-DDTHH:MM:SSZ`, or without a zone in the given offset when `zoneless`. */
export function formatTimestamp(epochSec: number, zoneless: boolean, offsetMin: number): string {
  const shifted = epochSec + (zoneless ? offsetMin * 60 : 0);
  const hour = Math.floor(shifted / 3600);
  if (hour !== lastHour) {
    const d = new Date(hour * 3_600_000);
    lastHourText =
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` + `T${pad(d.getUTCHours())}:`;
    lastHour = hour;
  }
  const text = lastHourText + MINUTE_SECOND[shifted - hour * 3600];
  return zoneless ? text : `${text}Z`;
}

/** Epoch seconds → `YYYY-MM-DD` in the rendering zone (UTC unless `zoneless`). */
export function formatDate(epochSec: number, zoneless: boolean, offsetMin: number): string {
  return formatTimestamp(epochSec, zoneless, offsetMin).slice(0, 10);
}

export const HOUR_SEC = 3600;
export const DAY_MS = 86_400_000;
