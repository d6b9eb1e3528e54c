/** The warehouse named for people: where it is and who connects, never the password. */
import pg from "pg";

/** `host db.internal, port 5432, database warehouse, user sync` (libpq defaults filled in as pg fills them). */
export function describeWarehouse(url: string): string {
  try {
    const client = new pg.Client({ connectionString: url });
    return `host ${client.host}, port ${client.port}, database ${client.database ?? "?"}, user ${client.user ?? "?"}`;
  } catch {
    return "(a connection string that could not be read)";
  }
}
