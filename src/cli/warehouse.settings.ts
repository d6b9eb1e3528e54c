/**
 * The warehouse of a command that needs nothing else from the configuration (status, reset, migrate): it reads
 * the same file as sync (`-c/--config`, $EVENTLOG_SYNC_CONFIG, ./eventlog-sync.yaml) and takes the database
 * URL in the same order — `--database-url`, $DATABASE_URL, `database.url` of the file, else an embedded
 * PostgreSQL — with the file's timeouts. A named file that cannot be read is an error; without one, a missing
 * ./eventlog-sync.yaml is no error (the command runs on the environment alone).
 */
import { existsSync } from "node:fs";
import { loadDatabaseSettings } from "../config/config.loader.js";
import { type CommandContext, configFile } from "./command.context.js";
import type { WarehouseSessionOptions } from "./warehouse.session.js";

export function commandWarehouse(context: CommandContext, configOption: string | undefined): WarehouseSessionOptions {
  const { path, named } = configFile(configOption);
  const settings = named || existsSync(path) ? loadDatabaseSettings(path) : undefined;
  const session = context.session();
  return {
    ...session,
    log: context.log(),
    databaseUrl: session.databaseUrl ?? settings?.url,
    ...(settings ? { database: settings } : {}),
  };
}
