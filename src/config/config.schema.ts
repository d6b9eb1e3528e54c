/**
 * The configuration file (YAML or JSON) after `${VAR}` references are resolved. Every field is documented
 * with its unit and default; durations are written `60s`, `15m`, `1h`, `30d`; times are ISO 8601 with a zone
 * or a duration before now (`30d` = thirty days ago).
 */
import { z } from "zod";
import { altcraftAccountSchema } from "./config-altcraft.schema.js";
import { DATABASE_DEFAULTS, databaseSchema } from "./config-database.schema.js";
import { RETENTION_DEFAULTS, retentionSchema } from "./config-retention.schema.js";
import { daemonSchema, httpSchema, MAX_RESPONSE_BYTES, syncSettingsSchema } from "./config-settings.schema.js";
import { yandexDirectAccountSchema } from "./config-yandex-direct.schema.js";

export { type AltcraftAccountConfig, altcraftAccountSchema } from "./config-altcraft.schema.js";
export { DATABASE_DEFAULTS, databaseSchema, type DatabaseSettings } from "./config-database.schema.js";
export { RETENTION_DEFAULTS, retentionSchema, type RetentionSettings } from "./config-retention.schema.js";
export { type DaemonConfig, daemonSchema, httpSchema, syncSettingsSchema } from "./config-settings.schema.js";
export {
  configuredLogins,
  DISCOVERY_DEFAULTS,
  type DiscoveryConfig,
  discoversLogins,
  type YandexDirectAccountConfig,
  yandexDirectAccountSchema,
} from "./config-yandex-direct.schema.js";

export const configSchema = z
  .object({
    database: databaseSchema.default(DATABASE_DEFAULTS),
    sync: syncSettingsSchema.default({ parallelStreams: 4, shareRequestBudget: true }),
    http: httpSchema.default({ maxResponseBytes: MAX_RESPONSE_BYTES }),
    daemon: daemonSchema.default({
      schedule: "0 * * * *",
      timezone: "UTC",
      port: 9464,
      host: "127.0.0.1",
      runOnStart: true,
    }),
    retention: retentionSchema.default(RETENTION_DEFAULTS),
    sources: z
      .object({
        altcraft: z
          .object({ accounts: z.array(altcraftAccountSchema) })
          .strict()
          .optional(),
        yandex_direct: z
          .object({ accounts: z.array(yandexDirectAccountSchema) })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The start time of a first run: a fixed time, or a duration before `now`. */
export function resolveStartTime(spec: { at?: Date | undefined; agoMs?: number | undefined }, now: Date): Date {
  return spec.at ?? new Date(now.getTime() - (spec.agoMs ?? 0));
}
