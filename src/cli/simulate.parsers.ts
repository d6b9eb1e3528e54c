/**
 * The argument parsers of `eventlog-sync simulate`'s flags. Each is a factory taking the flag's name, so the
 * error it throws names the flag and the value it got (``Expected `--hang-ms` to be an integer ≥ 0, got `x` ``);
 * the flag table (simulate.flag-table.ts) pairs every flag with one of them.
 */
import { BlockList, isIP } from "node:net";
import { InvalidArgumentError } from "commander";
import type { ClientCurrencies } from "../simulators/yandex-direct/yandex-direct.agency-clients.js";
import { CURRENCIES, type Currency } from "../simulators/yandex-direct/yandex-direct.options.js";

/** Turns a flag's text into its value, or throws an InvalidArgumentError naming the flag and the text. */
type Parse<T> = (value: string) => T;

function number(what: string, ok: (n: number) => boolean) {
  return (flag: string): Parse<number> =>
    (value) => {
      const n = value.trim() === "" ? Number.NaN : Number(value);
      if (!Number.isFinite(n) || !ok(n))
        throw new InvalidArgumentError(`Expected \`${flag}\` to be ${what}, got \`${value}\``);
      return n;
    };
}

/** A probability in [0, 1]. */
export const share = number("a share in [0, 1]", (n) => n >= 0 && n <= 1);
export const count = number("an integer ≥ 0", (n) => Number.isInteger(n) && n >= 0);
export const positiveInteger = number("an integer ≥ 1", (n) => Number.isInteger(n) && n >= 1);
export const amount = number("a number ≥ 0", (n) => n >= 0);
export const positiveAmount = number("a number > 0", (n) => n > 0);
export const port = number("a port in [0, 65535]", (n) => Number.isInteger(n) && n >= 0 && n <= 65_535);
/** The simulators' seeded random generator takes a 32-bit unsigned integer. */
export const seed = number("an integer in [0, 4294967295]", (n) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff);

/** One of `allowed`, spelled exactly. */
export function oneOf<T extends string>(allowed: readonly T[]) {
  return (flag: string): Parse<T> =>
    (value) => {
      if (!(allowed as readonly string[]).includes(value)) {
        throw new InvalidArgumentError(`Expected \`${flag}\` to be one of ${allowed.join(", ")}, got \`${value}\``);
      }
      return value as T;
    };
}

const isCurrency = (c: string): c is Currency => (CURRENCIES as readonly string[]).includes(c);

/** `RUB` (one currency for all), `mixed`, or `login=CUR,login=CUR` (the others RUB). */
export function currencies(flag: string): Parse<ClientCurrencies> {
  return (value) => {
    if (value === "mixed" || isCurrency(value)) return value as ClientCurrencies;
    const map: Record<string, Currency> = {};
    for (const pair of value.split(",")) {
      const [login, currency, ...rest] = pair.split("=").map((x) => x.trim());
      if (!login || currency === undefined || !isCurrency(currency) || rest.length > 0) {
        throw new InvalidArgumentError(
          `Expected \`${flag}\` to be mixed, one of ${CURRENCIES.join(", ")} or login=CUR,…, got \`${value}\``,
        );
      }
      map[login.toLowerCase()] = currency;
    }
    return map;
  };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** The simulators have no real authentication, so they must never be reachable from another machine. */
export function loopback(flag: string): Parse<string> {
  return (value) => {
    const family = isIP(value);
    if (family === 0 || !LOOPBACK.check(value, family === 4 ? "ipv4" : "ipv6")) {
      throw new InvalidArgumentError(
        `Expected \`${flag}\` to be a loopback address (127.0.0.0/8 or ::1), got \`${value}\``,
      );
    }
    return value;
  };
}
