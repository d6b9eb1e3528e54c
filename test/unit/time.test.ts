// Durations and timestamps: explicit zones, naive times read in a configured zone, everything else refused.
import { describe, expect, it } from "vitest";
import { parseDurationMs } from "../../src/time/time.duration.js";
import { hasFixedOffset, isoSeconds, isValidZone, parseTimestamp } from "../../src/time/time.timestamp.js";

describe("parseDurationMs", () => {
  it.each([
    ["138.351985ms", 138.351985],
    ["2.5s", 2500],
    ["1m3s", 63_000],
    ["1h0m0s", 3_600_000],
    ["60s", 60_000],
    ["30d", 30 * 86_400_000],
    ["1h30m", 5_400_000],
    ["750us", 0.75],
    ["0", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBeCloseTo(ms, 9);
  });

  it.each(["", "abc", "5x", "1.2.3s", "s", "1 h"])("%j is not a duration", (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe("parseTimestamp", () => {
  it("reads zones, offsets and fractions exactly", () => {
    expect(parseTimestamp("2024-04-02T17:57:01.504Z")?.toISOString()).toBe("2024-04-02T17:57:01.504Z");
    expect(parseTimestamp("2024-04-02T20:57:01+03:00")?.toISOString()).toBe("2024-04-02T17:57:01.000Z");
    expect(parseTimestamp("2024-04-02T20:57:01+0300")?.toISOString()).toBe("2024-04-02T17:57:01.000Z");
    expect(parseTimestamp("2024-04-02T17:57:01.5049999Z")?.toISOString()).toBe("2024-04-02T17:57:01.504Z");
  });

  it("reads a naive timestamp in the given zone, across a DST change", () => {
    expect(parseTimestamp("2026-01-10T12:00:00", "+03:00")?.toISOString()).toBe("2026-01-10T09:00:00.000Z");
    expect(parseTimestamp("2026-01-10T12:00:00", "Europe/Berlin")?.toISOString()).toBe("2026-01-10T11:00:00.000Z");
    expect(parseTimestamp("2026-07-10T12:00:00", "Europe/Berlin")?.toISOString()).toBe("2026-07-10T10:00:00.000Z");
    expect(parseTimestamp("2026-07-10T12:00:00")?.toISOString()).toBe("2026-07-10T12:00:00.000Z");
  });

  it.each(["2026-02-30T00:00:00Z", "2026-01-01", "2026-01-01T25:00:00Z", "yesterday", "2026-01-01T00:00:00+3"])(
    "refuses %j",
    (text) => {
      expect(parseTimestamp(text)).toBeUndefined();
    },
  );

  it("writes second-precision UTC with an explicit zone", () => {
    expect(isoSeconds(new Date("2026-01-02T03:04:05.678Z"))).toBe("2026-01-02T03:04:05Z");
  });

  it("knows valid zones", () => {
    expect(["UTC", "+03:00", "-0530", "Europe/Moscow"].every(isValidZone)).toBe(true);
    expect(isValidZone("Mars/Olympus")).toBe(false);
  });
});

describe("hasFixedOffset", () => {
  it("accepts UTC, offsets and zones without daylight saving; refuses zones that change their offset", () => {
    const now = Date.UTC(2026, 10, 28);
    for (const zone of ["UTC", "Z", "+03:00", "-0530", "Europe/Moscow", "Asia/Tokyo", "Etc/GMT-3"])
      expect(hasFixedOffset(zone, now), zone).toBe(true);
    for (const zone of ["Europe/Berlin", "America/New_York", "Australia/Sydney"])
      expect(hasFixedOffset(zone, now), zone).toBe(false);
  });
});
