import { join } from "node:path";
import { startEmbeddedPostgres } from "./embedded-postgres.js";

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
  onLog?: (line: string) => void;
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

/** The database for a command: DATABASE_URL when given, otherwise an embedded PostgreSQL started for it. */
export async function provisionDatabase(options: ProvisionOptions): Promise<ProvisionedDatabase> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, kind: "external", release: async () => undefined };
  }
  const dataDir = options.embeddedDataDir ?? defaultEmbeddedDataDir();
  const server = await startEmbeddedPostgres({
    dataDir,
    ...(options.embeddedPort === undefined ? {} : { port: options.embeddedPort }),
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  return { url: server.url, kind: "embedded", dataDir: server.dataDir, release: server.stop };
}
