/**
 * Checking and resolving the simulator's options: start-only data options over their defaults, and runtime
 * behaviour options merged into the current ones. Every check throws a TypeError naming the option and the
 * value received.
 */
import {
  AGENCY_CLIENTS_FAULTS,
  BEHAVIOUR_DEFAULTS,
  CLIENTS_GET_FAULTS,
  CURRENCIES,
  DATA_DEFAULTS,
  INJECTABLE_CODES,
  type Currency,
  type ResolvedBehaviourOptions,
  type ResolvedDataOptions,
  type YandexDirectBehaviourOptions,
  type YandexDirectSimulatorOptions,
} from "./yandex-direct.options.js";

const BEHAVIOUR_KEYS = Object.keys(BEHAVIOUR_DEFAULTS) as Array<keyof YandexDirectBehaviourOptions>;

function expectInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`Expected \`${name}\` to be an integer in [${min}, ${max}], got \`${String(value)}\``);
  }
}

function expectNumber(name: string, value: unknown, min: number, max = Number.POSITIVE_INFINITY): void {
  if (typeof value !== "number" || Number.isNaN(value) || value < min || value > max) {
    throw new TypeError(`Expected \`${name}\` to be a number in [${min}, ${max}], got \`${String(value)}\``);
  }
}

function expectOneOf(name: string, value: unknown, allowed: readonly unknown[]): void {
  if (!allowed.includes(value)) {
    throw new TypeError(
      `Expected \`${name}\` to be one of ${allowed.map(String).join(", ")}, got \`${String(value)}\``,
    );
  }
}

function expectClientCurrencies(value: unknown): void {
  if (value === "mixed" || CURRENCIES.includes(value as Currency)) return;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [login, currency] of Object.entries(value))
      expectOneOf(`clientCurrencies.${login}`, currency, CURRENCIES);
    return;
  }
  throw new TypeError(
    `Expected \`clientCurrencies\` to be mixed, one of ${CURRENCIES.join(", ")} or a map of login to currency, got \`${String(value)}\``,
  );
}

export function resolveDataOptions(options: YandexDirectSimulatorOptions): ResolvedDataOptions {
  const resolved: ResolvedDataOptions = {
    ...DATA_DEFAULTS,
    listedClients: options.clientLogins ?? DATA_DEFAULTS.clientLogins,
    clock: Date.now,
  };
  for (const key of Object.keys(DATA_DEFAULTS) as Array<keyof typeof DATA_DEFAULTS>) {
    if (options[key] !== undefined) Object.assign(resolved, { [key]: options[key] });
  }
  if (options.clock !== undefined) resolved.clock = options.clock;
  if (options.listedClients !== undefined) resolved.listedClients = options.listedClients;
  expectInt("port", resolved.port, 0, 65_535);
  expectInt("seed", resolved.seed, 0, 0xffff_ffff);
  expectInt("clientLogins", resolved.clientLogins, 0, 100_000);
  expectInt("listedClients", resolved.listedClients, 0, resolved.clientLogins);
  expectInt("archivedClients", resolved.archivedClients, 0, resolved.listedClients);
  expectClientCurrencies(resolved.clientCurrencies);
  expectNumber("eventsPerHour", resolved.eventsPerHour, 0, 3000);
  expectNumber("historyDays", resolved.historyDays, 0, 3650);
  expectInt("campaignsPerLogin", resolved.campaignsPerLogin, 1, 255);
  expectInt("bannersPerCampaign", resolved.bannersPerCampaign, 1, 255);
  expectInt("phrasesPerBanner", resolved.phrasesPerBanner, 1, 255);
  expectNumber("burstRate", resolved.burstRate, 0, 1);
  expectInt("burstSize", resolved.burstSize, 1, 1_000_000);
  const login = resolved.advertiserLogin;
  if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(login) || login === "agency" || /^client-\d+$/.test(login)) {
    throw new TypeError(
      `Expected \`advertiserLogin\` to be a login (lower-case letters, digits, dots and hyphens) other than the agency's and the clients', got \`${String(login)}\``,
    );
  }
  if (typeof resolved.clock !== "function") throw new TypeError("Expected `clock` to be a function returning ms");
  return resolved;
}

/** Merges `partial` into `current`, checking every field; throws naming the option and value received. */
export function mergeBehaviourOptions(
  current: ResolvedBehaviourOptions,
  partial: Partial<YandexDirectBehaviourOptions>,
): ResolvedBehaviourOptions {
  const next: ResolvedBehaviourOptions = { ...current };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!BEHAVIOUR_KEYS.includes(key as keyof YandexDirectBehaviourOptions)) {
      throw new TypeError(`Unknown or start-only option \`${key}\``);
    }
    Object.assign(next, { [key]: value });
  }
  expectOneOf("order", next.order, ["ascending", "descending", "shuffled-within-second"]);
  expectOneOf("fromInclusive", next.fromInclusive, [true, false]);
  expectOneOf("toInclusive", next.toInclusive, [true, false]);
  expectOneOf("zonelessTimestamps", next.zonelessTimestamps, [true, false]);
  if (typeof next.zoneOffset !== "string" || !/^[+-]\d{2}:\d{2}$/.test(next.zoneOffset)) {
    throw new TypeError(`Expected \`zoneOffset\` to look like +03:00, got \`${String(next.zoneOffset)}\``);
  }
  expectInt("maxLimit", next.maxLimit, 0);
  expectOneOf("overMaxLimit", next.overMaxLimit, ["clamp", "reject"]);
  expectInt("maxEventsPerResponse", next.maxEventsPerResponse, 0);
  expectOneOf("unknownMethodCode", next.unknownMethodCode, [55, 509]);
  expectNumber("lateEventRate", next.lateEventRate, 0, 1);
  expectInt("lateEventMaxAgeSec", next.lateEventMaxAgeSec, 1);
  expectInt("lateEventCount", next.lateEventCount, 0, 100_000);
  expectInt("concurrentRequests", next.concurrentRequests, 0);
  expectInt("requestsPerSecond", next.requestsPerSecond, 0);
  expectInt("dailyCallLimit", next.dailyCallLimit, 0);
  expectNumber("pointsPerDay", next.pointsPerDay, 0);
  expectNumber("pointsPerCall", next.pointsPerCall, 0);
  expectNumber("latencyMs", next.latencyMs, 0);
  expectInt("agencyClientsPageCap", next.agencyClientsPageCap, 0);
  expectOneOf("agencyClientsOmitEmptyClients", next.agencyClientsOmitEmptyClients, [true, false]);
  expectInt("agencyClientsFailAfterPages", next.agencyClientsFailAfterPages, 0);
  expectOneOf("agencyClientsFailure", next.agencyClientsFailure, AGENCY_CLIENTS_FAULTS);
  expectOneOf("agencyClientsHttpErrors", next.agencyClientsHttpErrors, [true, false]);
  expectOneOf("clientsGetFailure", next.clientsGetFailure, [null, ...CLIENTS_GET_FAULTS]);
  for (const [code, rate] of Object.entries(next.apiErrorRates)) {
    expectOneOf("apiErrorRates code", Number(code), INJECTABLE_CODES);
    expectNumber(`apiErrorRates.${code}`, rate, 0, 1);
  }
  for (const [name, rate] of Object.entries(next.faults)) {
    expectNumber(`faults.${name}`, rate, 0, name === "hangMs" ? Number.POSITIVE_INFINITY : 1);
  }
  return next;
}
