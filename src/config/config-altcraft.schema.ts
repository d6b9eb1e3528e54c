/** An account of the Altcraft source (`sources.altcraft.accounts`): its platform, token, campaigns and reading. */
import { z } from "zod";
import { duration, name, oneOf, positiveInt, secret, startTime, zone } from "./config-fields.schema.js";
import { requests } from "./config-requests.schema.js";

export const altcraftAccountSchema = z
  .object({
    /** Account name, used in the warehouse (`account` columns) and in logs. */
    name,
    /** API token: `${ENV_VAR}` only, never written in the file. */
    token: secret,
    /**
     * Base URL of the Altcraft platform (API root is `<url>/api/v1.1/`). Default https://ru.altkraft.com (Altcraft
     * Cloud).
     */
    url: z.url({ protocol: /^https?$/ }).default("https://ru.altkraft.com"),
    /**
     * Where the token travels: `body` (the `token` field) or `header` (Authorization: Bearer). Never the URL. Default
     * body.
     */
    tokenIn: oneOf(["body", "header"] as const).default("body"),
    /** Wire format: json or xml. Default json. */
    format: oneOf(["json", "xml"] as const).default("json"),
    /** Which campaigns become streams. Default: all. */
    campaigns: z
      .object({
        /** Only these campaign ids. */
        ids: z.array(positiveInt).optional(),
        /** Only this campaign type (broadcast, regular, trigger, …). */
        type: z.string().min(1).optional(),
        /** Only active (true) or inactive (false) campaigns. */
        isActive: z.boolean().optional(),
        /** Only campaigns with one of these UI tags. */
        tags: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .default({}),
    /** Where the first run of a campaign starts. Default 30d (thirty days before it). */
    startTime: startTime.default({ agoMs: 30 * 86_400_000 }),
    /**
     * How far before the cursor each run re-reads, for rows registered a little out of order (re-read rows are
     * deduplicated and cost no extra request). Default 10m.
     */
    lookback: duration.default(600_000),
    /** Zone of times the API sends without one. Default UTC. */
    timestampZone: zone.default("UTC"),
    /** `limit` of one log_v2 or campaigns/list request, rows. Default 1000. */
    pageLimit: positiveInt.max(100_000).default(1000),
    /** Largest `limit` used when one millisecond holds more rows than a page. Default 20000. */
    maxPageLimit: positiveInt.max(1_000_000).default(20_000),
    /** How often a finished campaign (inactive, completed, its log ended) is polled. Default 24h. */
    slowPollInterval: duration.default(86_400_000),
    ...requests,
  })
  .strict();

export type AltcraftAccountConfig = z.infer<typeof altcraftAccountSchema>;
