// The character-by-character timestamp reader against the regular expression it replaced, on thousands of
// generated strings: valid ones in every form, and each broken one place at a time. Kills: a month or day bound
// moved, a leap year read wrongly, a fraction of ten digits taken, `+0300` or `+03:00` misread, a naive time
// read in UTC instead of its zone, years below 100 taken.
import { describe, expect, it } from "vitest";
import { parseTimestampMs } from "../../src/time/time.timestamp.js";

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/;
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** The reference: what the regular expression and Date's own calendar say (fixed offsets and UTC only). */
function reference(input: string, zone: string): number | undefined {
  const m = ISO.exec(input.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000 + 1e-6) : 0;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const tz = m[8] ?? (zone === "UTC" ? "Z" : zone);
  if (tz === "Z" || tz === "z") return wall;
  const o = OFFSET.exec(tz);
  if (!o) return undefined;
  return wall - (o[1] === "-" ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) * 60_000;
}

/** A small seeded generator, so a failure names the string that broke it, run after run. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)] as T;
  return { int, pick };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function validish(g: ReturnType<typeof generator>): string {
  const year = g.pick([1999, 2000, 2023, 2024, 2026, 2100, 2200, 50, 1900, 9999]);
  const month = g.int(14);
  const day = g.pick([0, 1, 15, 28, 29, 30, 31, 32]);
  const time = `${pad(g.int(25))}:${pad(g.int(61))}:${pad(g.int(61))}`;
  const fraction = g.pick(["", "", ".5", ".504", ".5049999", ".123456789", ".1234567890", "."]);
  const zone = g.pick(["", "", "Z", "z", "+03:00", "-0530", "+0300", "+3", "+03:0", "+14:00", "-12:00", " "]);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}${g.pick(["T", " ", "t"])}${time}${fraction}${zone}`;
}

function broken(text: string, g: ReturnType<typeof generator>): string {
  const at = g.int(text.length + 1);
  const ch = g.pick(["x", "-", ":", "1", " ", ".", "Z", "+", ""]);
  return g.int(2) ? `${text.slice(0, at)}${ch}${text.slice(at + 1)}` : `${text.slice(0, at)}${ch}${text.slice(at)}`;
}

describe("parseTimestampMs", () => {
  it("reads every generated string exactly as the regular expression and Date's calendar do", () => {
    const g = generator(7);
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = i % 3 === 2 ? broken(validish(g), g) : validish(g);
      for (const zone of ["UTC", "+03:00", "-0530"]) {
        const expected = reference(text, zone);
        if (expected !== undefined) valid++;
        expect({ text, zone, ms: parseTimestampMs(text, zone) }).toEqual({ text, zone, ms: expected });
      }
    }
    // Enough of both kinds to mean something.
    expect(valid).toBeGreaterThan(5_000);
  });

  it("reads a naive time in an IANA zone across a DST change, and leap days", () => {
    expect(parseTimestampMs("2026-07-10T12:00:00", "Europe/Berlin")).toBe(Date.UTC(2026, 6, 10, 10));
    expect(parseTimestampMs("2026-01-10 12:00:00", "Europe/Berlin")).toBe(Date.UTC(2026, 0, 10, 11));
    expect(parseTimestampMs("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestampMs("2100-02-29T00:00:00Z")).toBeUndefined();
    expect(parseTimestampMs("2000-02-29T00:00:00Z")).toBe(Date.UTC(2000, 1, 29));
    expect(parseTimestampMs("  2026-01-01T00:00:00Z ")).toBe(Date.UTC(2026, 0, 1));
  });
});
