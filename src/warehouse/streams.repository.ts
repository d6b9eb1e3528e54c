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

/** Streams matching the given parts of their identity. */
export async function findStreams(db: Kysely<Database>, match: { source?: string | undefined; account?: string | undefined; streamKey: string | undefined }): Promise<Stream[]> {
  let query = db.selectFrom("sync.streams").selectAll();
  if (match.source) query = query.where("source", "=", match.source as Stream["source"]);
  if (match.account) query = query.where("account", "=", match.account);
  if (match.streamKey) query = query.where("stream_key", "=", match.streamKey);
  return query.orderBy("stream_id").execute();
}

/**
 * Moves a stream's cursor (null: back to the configured start time) and forgets its paging and polling
 * state, so the next sync re-reads from there. Rows stay; the re-read ones are skipped as duplicates.
 * Events the stream stepped past are forgotten when the cursor moves back to or before them: the re-read
 * records them again if the server still will not give them.
 */
export async function resetStream(db: Kysely<Database>, streamId: number, cursor: Date | null): Promise<void> {
  const rereads = (unreadAt: Date | null) => unreadAt !== null && (cursor === null || cursor.getTime() <= unreadAt.getTime());
  await db.transaction().execute(async (tx) => {
    const stream = await tx.selectFrom("sync.streams").select("unread_at").where("stream_id", "=", streamId).forUpdate().executeTakeFirst();
    await tx
      .updateTable("sync.streams")
      .set({ cursor, state: JSON.stringify({}), updated_at: new Date(), ...(rereads(stream?.unread_at ?? null) ? { unread_events: null, unread_at: null } : {}) })
      .where("stream_id", "=", streamId)
      .execute();
  });
}
