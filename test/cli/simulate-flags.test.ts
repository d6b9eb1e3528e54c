// Every flag of `simulate` (one row of the flag table each) is listed under its simulator, reaches that simulator's
// options and only them, refuses a bad value naming itself, and is the name a simulator's error about its option gets.
import { InvalidArgumentError, type Option } from "commander";
import { describe, expect, it } from "vitest";
import { nameFlags, OPTIONS, type SimulateFlags, simulatorOptionsFromFlags } from "../../src/cli/simulate.flags.js";

type Simulator = "altcraft" | "yandex";

/** Values to try on a flag until its parser takes one: each parser takes at least one of them. */
const SAMPLES = ["3", "0.5", "127.0.0.2", "mixed", "descending", "reject", "all"];

/** The flag's parsed sample value (a switch: true). */
function sample(option: Option): unknown {
  if (!option.parseArg) return true;
  for (const text of SAMPLES) {
    try {
      return option.parseArg(text, undefined);
    } catch {
      // try the next one
    }
  }
  throw new Error(`no sample value for ${option.long}`);
}

/** The option paths of an options object: `faults.hangMs` for a field of `faults`. */
function paths(options: object): string[] {
  return Object.entries(options).flatMap(([key, value]) =>
    typeof value === "object" && value !== null ? paths(value).map((p) => `${key}.${p}`) : [key],
  );
}

const flags = OPTIONS.map(([group, option]) => ({
  name: option.long ?? "",
  group,
  option,
  given: { [option.attributeName()]: sample(option) } as SimulateFlags,
}));

/** The simulators a flag's name says it configures. */
const simulatorsOf = (name: string): Simulator[] =>
  name.startsWith("--yandex-") ? ["yandex"] : name.startsWith("--altcraft-") ? ["altcraft"] : ["altcraft", "yandex"];
const GROUPS = { yandex: "Yandex.Direct simulator:", altcraft: "Altcraft simulator:" };

describe("the flags of simulate", () => {
  it("cover both simulators' options with many flags", () => {
    expect(flags.length).toBeGreaterThan(40);
    expect(new Set(flags.map((f) => f.name)).size).toBe(flags.length);
  });

  it.each(flags)("$name is listed under the simulator it configures and sets one of its options", (flag) => {
    const targets = simulatorsOf(flag.name);
    const [only] = targets;
    expect(flag.group).toBe(targets.length > 1 || only === undefined ? "Both simulators:" : GROUPS[only]);
    const options = simulatorOptionsFromFlags(flag.given);
    for (const simulator of ["altcraft", "yandex"] as const) {
      expect(paths(options[simulator]), simulator).toHaveLength(targets.includes(simulator) ? 1 : 0);
    }
    if (targets.length > 1) expect(options.altcraft).toStrictEqual(options.yandex);
  });

  it.each(flags.filter((f) => f.option.parseArg))("$name refuses a bad value, naming itself and the value", (flag) => {
    const parse = () => flag.option.parseArg?.("nonsense", undefined);
    expect(parse).toThrow(InvalidArgumentError);
    expect(parse).toThrow(new RegExp(`^Expected \`${flag.name}\` to be .+, got \`nonsense\`$`));
  });

  it.each(flags.filter((f) => f.option.parseArg))("$name is named when a simulator refuses its option", (flag) => {
    const options = simulatorOptionsFromFlags(flag.given);
    for (const simulator of simulatorsOf(flag.name)) {
      const [option] = paths(options[simulator]);
      expect(nameFlags(`Expected \`${option}\` to be in range, got \`-1\``, simulator)).toBe(
        `Expected \`${flag.name}\` to be in range, got \`-1\``,
      );
    }
  });

  it.each(flags.filter((f) => f.name.endsWith("-rate") && simulatorsOf(f.name).length > 1))(
    "$name counts toward the fault shares, which add up to at most 1",
    (flag) => {
      const others = flags.filter((f) => f !== flag && f.name.endsWith("-rate") && simulatorsOf(f.name).length > 1);
      for (const other of others) {
        const given = { ...flag.given, ...other.given };
        for (const key of Object.keys(given)) Object.assign(given, { [key]: 0.6 });
        expect(() => simulatorOptionsFromFlags(given)).toThrow(/to add up to ≤ 1, got `1\.2`/);
      }
      expect(others.length).toBe(4);
    },
  );

  it("types the parsed flags after the table", () => {
    // @ts-expect-error a flag that does not exist
    const misspelt: SimulateFlags = { yandexOrdr: "ascending" };
    // @ts-expect-error a value the flag's parser never returns
    const unknownOrder: SimulateFlags = { yandexOrder: "random" };
    // @ts-expect-error a switch is a boolean
    const switchWithNumber: SimulateFlags = { altcraftAlways200: 1 };
    expect([misspelt, unknownOrder, switchWithNumber]).toHaveLength(3);
  });
});
