import type { Kysely } from "kysely";
import type { Database, SourceName, Stream } from "./tables.js";

export interface StreamIdentity {
  source: SourceName;
  account: string;
  streamKey: string;
}

/** Returns the stream, creating it (cursor null, status new) the first time it is seen. */
export async function ensureStream(db: Kysely<Database>, identity: StreamIdentity): Promise<Stream> {
  await db
    .insertInto("sync.streams")
    .values({ source: identity.source, account: identity.account, stream_key: identity.streamKey, cursor: null, last_error: null, last_run_id: null, last_success_at: null })
    .onConflict((oc) => oc.columns(["source", "account", "stream_key"]).doNothing())
    .execute();
  return db
    .selectFrom("sync.streams")
    .selectAll()
    .where("source", "=", identity.source)
    .where("account", "=", identity.account)
    .where("stream_key", "=", identity.streamKey)
    .executeTakeFirstOrThrow();
}

export async function getStream(db: Kysely<Database>, streamId: number): Promise<Stream | undefined> {
  return db.selectFrom("sync.streams").selectAll().where("stream_id", "=", streamId).executeTakeFirst();
}
