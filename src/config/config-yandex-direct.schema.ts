/** An account of the Yandex.Direct source (`sources.yandex_direct.accounts`): its token, logins and reading. */
import { z } from "zod";
import { CURRENCIES, EVENT_TYPES, LOCALES } from "../vocabulary.js";
import { duration, name, oneOf, positiveInt, secret, startTime, zone } from "./config-fields.schema.js";
import { requests } from "./config-requests.schema.js";

export const yandexDirectAccountSchema = z
  .object({
    /** Account name, used in the warehouse (`account` columns) and in logs. */
    name,
    /** OAuth token: `${ENV_VAR}` only, never written in the file. */
    token: secret,
    /** `production`, `sandbox`, or the URL of a Live 4 JSON endpoint (e.g. the simulator). Default production. */
    endpoint: z.string().default("production"),
    /**
     * Currency of money values: a code (RUB, USD, …) for every login, or `client`: each discovered login in its
     * own client's currency, as the agency's listing gives it (only with `logins: all`).
     */
    currency: z.union([z.literal("client"), oneOf(CURRENCIES)]),
    /**
     * Agency client logins: one stream each. `all`: every client the agency's listing (AgencyClients.get)
     * returns, found again on every run (see `discovery`). Without them, one stream reads the token owner's own
     * log.
     */
    logins: z.union([z.literal("all"), z.array(z.string().min(1))]).optional(),
    /** Which discovered clients become streams (only with `logins: all`). */
    discovery: z
      .object({
        /** Only logins matching one of these (a login, or a glob with `*` and `?`; case-insensitive). Default: all. */
        include: z.array(z.string().min(1)).optional(),
        /** Never logins matching one of these (a login or a glob). */
        exclude: z.array(z.string().min(1)).optional(),
        /** Whether archived clients are synced too; otherwise they are retired. Default false. */
        archived: z.boolean().default(false),
        /** `Page.Limit` of one listing request, clients. Default 10000 (the API's maximum). */
        pageLimit: positiveInt.max(10_000).default(10_000),
        /**
         * Copies that start a round together list the agency's clients once: one lists while the others wait for
         * it, and a run reuses a complete listing of the account that ended after the run began, or at most this
         * long before. Default 0s (only a listing taken while the run was going: by a copy of the same round);
         * raise it when copies start up to that much apart. A failed listing is never reused.
         */
        reuseWithin: duration.default(0),
      })
      .strict()
      .optional(),
    /**
     * The token owner's Yandex login, stored in the `login` column of the owner's events (only without
     * `logins`). Without it they are stored under `(owner)`.
     */
    ownerLogin: z.string().min(1).optional(),
    /** GetEventsLog Filter. */
    filter: z
      .object({
        campaignIds: z.array(positiveInt).optional(),
        bannerIds: z.array(positiveInt).optional(),
        phraseIds: z.array(positiveInt).optional(),
        accountIds: z.array(positiveInt).optional(),
        eventTypes: z.array(oneOf(EVENT_TYPES)).optional(),
      })
      .strict()
      .optional(),
    /** Ask for TextDescription. Default true. */
    withTextDescription: z.boolean().default(true),
    /** Language of EventName: en, ru, uk. Default en. */
    locale: oneOf(LOCALES).default("en"),
    /** Where the first run starts. Default 30d (thirty days before it). */
    startTime: startTime.default({ agoMs: 30 * 86_400_000 }),
    /** How far before the cursor each run re-reads, for events registered late. Default 1h. */
    lookback: duration.default(3_600_000),
    /** How far behind now windows end, so that a second is complete when read. Default 60s. */
    settleLag: duration.default(60_000),
    /** Zone of timestamps the API sends without one. Default UTC. */
    timestampZone: zone.default("UTC"),
    /** `Limit` of one request, events. Default 1000. */
    pageLimit: positiveInt.max(100_000).default(1000),
    /** Largest window of one request. Default 1d. */
    maxWindow: duration.default(86_400_000),
    /**
     * Windows of one stream read at once in `strict` (economy reads one at a time): the later ones' requests are
     * in flight while the oldest is read, each still stored in order, within the account's `concurrency`. Each
     * waits in memory with its events until its turn (a window aims at 16 responses of `pageLimit`). Default 1.
     */
    requestsAhead: positiveInt.max(16).default(1),
    ...requests,
  })
  .strict();

export type YandexDirectAccountConfig = z.infer<typeof yandexDirectAccountSchema>;
export type DiscoveryConfig = NonNullable<YandexDirectAccountConfig["discovery"]>;

/** Discovery's defaults, for an account with `logins: all` and no `discovery` block. */
export const DISCOVERY_DEFAULTS: DiscoveryConfig = { archived: false, pageLimit: 10_000, reuseWithin: 0 };

/** Whether the account finds its logins in the agency's listing on every run (`logins: all`). */
export function discoversLogins(account: Pick<YandexDirectAccountConfig, "logins">): boolean {
  return account.logins === "all";
}

/** The logins the config names (none for an account that discovers them or reads the token owner's log). */
export function configuredLogins(account: Pick<YandexDirectAccountConfig, "logins">): readonly string[] {
  return Array.isArray(account.logins) ? account.logins : [];
}
