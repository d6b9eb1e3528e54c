/**
 * The field types the configuration's sections share: durations (`60s`, `15m`, `1h`, `30d`), start times, zones,
 * sizes, names and secrets, each with the message an operator reads when a value is wrong.
 */
import { z } from "zod";
import { parseDurationMs } from "../time/time.duration.js";
import { hasFixedOffset, isValidZone, parseTimestamp } from "../time/time.timestamp.js";

/** One of the given words, named in the message when the value is another. */
export const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().refine((v): v is T[number] => (values as readonly string[]).includes(v), {
    error: (issue) => `expected one of ${values.join(", ")}, got ${JSON.stringify(issue.input)}`,
  }) as unknown as z.ZodType<T[number]>;

/** A duration in ms, written as `90s`, `15m`, `1h`, `2d` or a number of seconds. */
export const duration = z
  .union([
    z
      .number()
      .nonnegative()
      .transform((s) => s * 1000),
    z.string(),
  ])
  .transform((v, ctx) => {
    if (typeof v === "number") return v;
    const ms = parseDurationMs(v);
    if (ms === undefined || ms < 0) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration such as 60s, 15m, 1h or 30d, got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A start time: ISO 8601 with a zone, or a duration meaning that long before the first run. */
export const startTime = z.string().transform((v, ctx) => {
  const ago = parseDurationMs(v);
  if (ago !== undefined) return { agoMs: ago } as const;
  const at = /[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? parseTimestamp(v) : undefined;
  if (!at) {
    ctx.addIssue({
      code: "custom",
      message: `expected an ISO 8601 time with a zone (2026-01-01T00:00:00Z) or a duration (30d), got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return { at: at as Date } as const;
});

/** A zone of times written without one: UTC, a fixed offset, or an IANA zone whose offset never changes. */
export const zone = z
  .string()
  .refine(isValidZone, {
    error: (issue) =>
      `expected UTC, an offset such as +03:00, or an IANA zone such as Europe/Moscow, got ${JSON.stringify(issue.input)}`,
  })
  // In a zone with daylight saving one wall-clock hour happens twice a year, and a time without a zone in it
  // names two instants: the stream could neither order nor tell apart the events of that hour.
  .refine(hasFixedOffset, {
    error: (issue) =>
      `expected a zone whose offset never changes (UTC, an offset such as +01:00, or a zone without daylight saving such as Europe/Moscow): ` +
      `${JSON.stringify(issue.input)} changes its offset, so a time without a zone is ambiguous in its repeated hour`,
  });

export const secret = z.string().min(1, "must not be empty");
export const positiveInt = z.number().int().positive();
export const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected letters, digits, _ . or -");

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

/** A size in bytes, written as a number of bytes or with a unit: `64MiB`, `512KiB`, `1GiB`, `100MB`. */
export const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const match = typeof v === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v) : null;
  const unit = match ? SIZE_UNITS[(match[2] || "b").toLowerCase()] : 1;
  const bytes = typeof v === "number" ? v : match && unit ? Math.round(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    ctx.addIssue({
      code: "custom",
      message: `expected a size such as 64MiB, 512KiB or a number of bytes ≥ 1, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return bytes;
});
