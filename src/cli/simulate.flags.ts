/**
 * The flags of `eventlog-sync simulate` and how they map onto the simulators' options, all derived from the
 * flag table (simulate.flag-table.ts, which also fixes the terms flag, option and share): the commander
 * options, the parsed flags' type, the mapping, and the flag named when a simulator refuses a value.
 */
import { Option } from "commander";
import type { AltcraftSimulatorOptions } from "../simulators/altcraft/altcraft.options.js";
import type { YandexDirectSimulatorOptions } from "../simulators/yandex-direct/yandex-direct.options.js";
import { FLAG_TABLE } from "./simulate.flag-table.js";
import { currencies, loopback } from "./simulate.parsers.js";

type Table = typeof FLAG_TABLE;
type Simulator = "altcraft" | "yandex";

/** `--yandex-over-max-limit <what>` → `yandex-over-max-limit`. */
type FlagName<F> = F extends `--${infer Name} <${string}>` ? Name : F extends `--${infer Name}` ? Name : never;
/** `yandex-over-max-limit` → `yandexOverMaxLimit`, as commander names a flag's value. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
/** What a row's parser returns; a switch is true when given. */
type FlagValue<Row> = Row extends { parse: (flag: string) => (value: string) => infer T } ? T : boolean;

/** Parsed flags of `simulate`, as commander names them. Absent: the simulator's default. */
export type SimulateFlags = { [F in keyof Table as CamelCase<FlagName<F>>]?: FlagValue<Table[F]> };

export interface SimulatorOptionsFromFlags {
  altcraft: AltcraftSimulatorOptions;
  yandex: YandexDirectSimulatorOptions;
}

/** A row of the table and what commander makes of its flag: `name` (`--hang-ms`) and `key` (`hangMs`). */
interface Flag {
  spelling: keyof Table;
  row: Table[keyof Table];
  name: string;
  key: string;
}

function flagOf(spelling: keyof Table): Flag {
  const option = new Option(spelling);
  return { spelling, row: FLAG_TABLE[spelling], name: option.long ?? spelling, key: option.attributeName() };
}

/** Every flag, in the table's order. */
const FLAGS: readonly Flag[] = (Object.keys(FLAG_TABLE) as Array<keyof Table>).map(flagOf);

// --- the commander options ----------------------------------------------------------------------------

const GROUPS = { both: "Both simulators:", yandex: "Yandex.Direct simulator:", altcraft: "Altcraft simulator:" };

/** The help group a flag is listed under: the simulator its value goes to, or both. */
function groupOf({ to }: Flag["row"]): string {
  const [simulator] = to.simulators;
  return to.simulators.length > 1 || simulator === undefined ? GROUPS.both : GROUPS[simulator];
}

/** The commander options of `simulate` with their help groups, in the table's order. */
export const OPTIONS: ReadonlyArray<[group: string, option: Option]> = FLAGS.map(({ spelling, row, name }) => {
  const option = new Option(spelling, row.help);
  return [groupOf(row), "parse" in row ? option.argParser<unknown>(row.parse(name)) : option];
});

/** The parser of `--yandex-client-currencies`. */
export const clientCurrencies = currencies("--yandex-client-currencies");
/** The parser of `--host`. */
export const loopbackHost = loopback("--host");

// --- flags → the simulators' options ------------------------------------------------------------------

/** The fault shares, in the order the simulators draw them: at most one fault per request, so they add up. */
const FAULT_SHARES = ["--error-rate", "--hang-rate", "--truncate-rate", "--garbage-rate", "--html-rate"] as const;

/** The value of the flag named `name` (`--hang-ms`) among the parsed flags. */
function given(flags: SimulateFlags, name: string): unknown {
  const key = FLAGS.find((flag) => flag.name === name)?.key;
  return key === undefined ? undefined : (flags as Record<string, unknown>)[key];
}

/** Throws a TypeError naming the flags when parsed flags that are each valid conflict. */
function refuseConflicts(flags: SimulateFlags): void {
  const sum = FAULT_SHARES.reduce((total, name) => total + ((given(flags, name) as number | undefined) ?? 0), 0);
  if (sum > 1 + 1e-9) {
    throw new TypeError(
      `Expected the fault shares (${FAULT_SHARES.map((x) => `\`${x}\``).join(" + ")}) to add up to ≤ 1, got \`${sum}\``,
    );
  }
  const { altcraftPort, yandexPort } = flags;
  if (altcraftPort !== undefined && altcraftPort !== 0 && altcraftPort === yandexPort) {
    throw new TypeError(
      `Expected \`--altcraft-port\` and \`--yandex-port\` to differ, got \`${altcraftPort}\` for both`,
    );
  }
}

/** The option value a flag gives: its parsed value, or for a switch given, the value it sets. */
function optionValue(row: Flag["row"], value: unknown): unknown {
  if (!("sets" in row)) return value;
  return value ? row.sets : undefined;
}

/** Sets `option` of `options`; `faults.hangMs` sets a field of the simulator's own `faults` object. */
function setOption(options: Record<string, unknown>, option: string, value: unknown): void {
  const [field = option, inner] = option.split(".");
  if (inner === undefined) options[field] = value;
  else options[field] = { ...(options[field] as object | undefined), [inner]: value };
}

/** Maps parsed flags to both simulators' options; throws a TypeError naming the flags when they conflict. */
export function simulatorOptionsFromFlags(flags: SimulateFlags): SimulatorOptionsFromFlags {
  refuseConflicts(flags);
  const options: Record<Simulator, Record<string, unknown>> = { altcraft: {}, yandex: {} };
  for (const { row, key } of FLAGS) {
    const value = optionValue(row, (flags as Record<string, unknown>)[key]);
    // An absent flag leaves the simulator's default in force.
    if (value === undefined) continue;
    for (const simulator of row.to.simulators) setOption(options[simulator], row.to.option, value);
  }
  return options as SimulatorOptionsFromFlags;
}

// --- a simulator's error, in flags --------------------------------------------------------------------

/** Which flag sets each option of a simulator (flags with a value; a switch's option cannot be refused). */
function optionFlags(simulator: Simulator): Record<string, string> {
  const rows = FLAGS.filter(({ row }) => "parse" in row && row.to.simulators.includes(simulator));
  return Object.fromEntries(rows.map(({ row, name }) => [row.to.option, name]));
}

/** Which flag sets each option, to name the flag when a simulator refuses a value. */
export const OPTION_FLAGS: Readonly<Record<Simulator, Readonly<Record<string, string>>>> = {
  altcraft: optionFlags("altcraft"),
  yandex: optionFlags("yandex"),
};

/** Rewrites "Expected `rowsPerRun` …" as "Expected `--altcraft-rows-per-run` …". */
export function nameFlags(message: string, simulator: keyof typeof OPTION_FLAGS): string {
  const table = OPTION_FLAGS[simulator];
  return message.replace(/`([\w.]+)`/g, (whole, option: string) => (table[option] ? `\`${table[option]}\`` : whole));
}

export const EXAMPLES = `
Examples:
  $ eventlog-sync simulate                                        # free ports, default volume, no faults
  $ eventlog-sync simulate --altcraft-port 8081 --yandex-port 8082 --seed 7
  $ eventlog-sync simulate --error-rate 0.05 --hang-rate 0.01 --hang-ms 5000 --rps 5 --concurrency 2
  $ eventlog-sync simulate --yandex-logins 20 --yandex-burst-rate 0.1 --yandex-max-limit 500 --yandex-over-max-limit reject
  $ eventlog-sync simulate --yandex-logins 1000 --yandex-listed-clients 900 --yandex-archived-clients 50 --yandex-client-currencies mixed --yandex-agency-page-cap 300
  $ eventlog-sync simulate --altcraft-campaigns 50 --altcraft-newest-first --altcraft-always-200 --altcraft-tariff-limit 1000`;
