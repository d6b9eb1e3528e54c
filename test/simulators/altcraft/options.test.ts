// The Altcraft simulator's options default to the documented values.
import { describe, expect, test } from "vitest";
import { ALTCRAFT_SIMULATOR_DEFAULTS, resolveOptions } from "../../../src/simulators/altcraft/index.js";

describe("options", () => {
  test("defaults are the documented ones", () => {
    const resolved = resolveOptions();
    expect(resolved).toMatchObject({ ...ALTCRAFT_SIMULATOR_DEFAULTS, tokens: [{ token: "altcraft-sim-token" }] });
    expect(ALTCRAFT_SIMULATOR_DEFAULTS).toMatchObject({
      fromTimeInclusive: true,
      unfilteredPage: "oldest",
      pageOrder: "ascending",
      totalCount: "filtered",
      naiveTimestamps: false,
      maxLimit: 0,
      overMaxLimit: "clamp",
      httpStatusMirrorsError: true,
      xmlQuotedStrings: false,
    });
  });

  test.each([
    [{ rowsPerRun: 2 }, /`rowsPerRun` to be an integer in \[4, 10000000\], got `2`/],
    [{ lateRowRate: 2 }, /`lateRowRate` to be a number in \[0, 1\], got `2`/],
    [{ unfilteredPage: "middle" }, /`unfilteredPage` to be one of oldest, newest, got `middle`/],
    [{ completedShare: 0.8, inactiveShare: 0.5 }, /`completedShare` \+ `inactiveShare` to be ≤ 1/],
    [{ faults: { hangRate: -1 } }, /`faults.hangRate`/],
  ])("a wrong option is named with its value: %j", (options, message) => {
    expect(() => resolveOptions(options as Parameters<typeof resolveOptions>[0])).toThrow(message);
  });
});
