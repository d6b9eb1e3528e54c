/**
 * Values of the product's vocabulary that the config, the sources and the warehouse must agree on: the
 * source names, and the currencies, event types and locales of GetEventsLog. One list each, imported by all
 * of them. The simulators keep their own copy on purpose: they are an independent reading of the API.
 */

/** Yandex.Direct's Live 4 JSON endpoints, named `production` and `sandbox` in the config. */
export const YANDEX_DIRECT_ENDPOINTS = {
  production: "https://api.direct.yandex.ru/live/v4/json/",
  sandbox: "https://api-sandbox.direct.yandex.ru/live/v4/json/",
} as const;

/** The URL of a configured Yandex.Direct endpoint: `production`, `sandbox`, or a URL as written. */
export function yandexDirectEndpointUrl(endpoint: string): string {
  return endpoint === "production" || endpoint === "sandbox" ? YANDEX_DIRECT_ENDPOINTS[endpoint] : endpoint;
}

/** The hosts of Yandex.Direct API v5 (JSON) for the endpoints named `production` and `sandbox`. */
export const YANDEX_DIRECT_V5_ORIGINS = {
  production: "https://api.direct.yandex.com",
  sandbox: "https://api-sandbox.direct.yandex.com",
} as const;

/**
 * The URL of a Yandex.Direct API v5 service (`agencyclients`, …) for a configured endpoint: `production`,
 * `sandbox`, or a URL. A URL keeps only its origin: v5 lives at `/json/v5/<service>` on the same host as Live 4's
 * `/live/v4/json/`, so the URL of a simulator, or the Live 4 URL derived from the config, names the v5 host too.
 * The service name is part of a case-sensitive path and is written in lower case by the API's documentation.
 */
export function yandexDirectV5Url(endpoint: string, service: string): string {
  if (!/^[a-z][a-z0-9]*$/.test(service)) {
    throw new TypeError(`Expected \`service\` to be a v5 service name in lower case, got \`${service}\``);
  }
  if (endpoint === "production" || endpoint === "sandbox") {
    return `${YANDEX_DIRECT_V5_ORIGINS[endpoint]}/json/v5/${service}`;
  }
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new TypeError(
      `Expected \`endpoint\` to be \`production\`, \`sandbox\` or an http(s) URL, got \`${endpoint}\``,
    );
  }
  return `${url.origin}/json/v5/${service}`;
}

/** The sources, as written in sync.streams.source and the warehouse schemas. */
export const SOURCE_NAMES = ["altcraft", "yandex_direct"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Values GetEventsLog accepts for `Currency`. */
export const CURRENCIES = ["RUB", "CHF", "EUR", "KZT", "TRY", "UAH", "USD", "BYN"] as const;
export type Currency = (typeof CURRENCIES)[number];

/** The EventType values of GetEventsLog, in the order the API's page lists them. */
export const EVENT_TYPES = [
  "BannerModerated",
  "CampaignFinished",
  "LowCTR",
  "MoneyOut",
  "MoneyWarning",
  "MoneyIn",
  "PausedByDayBudget",
  "WarnMinPrice",
  "WarnPlace",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Languages of GetEventsLog's descriptions (`Accept-Language`). */
export const LOCALES = ["en", "ru", "uk"] as const;
export type Locale = (typeof LOCALES)[number];
