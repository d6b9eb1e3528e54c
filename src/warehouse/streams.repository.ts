import { type Kysely, sql } from "kysely";
import type { Database, SourceName, Stream } from "./warehouse.tables.js";

export interface StreamIdentity {
  source: SourceName;
  account: string;
  streamKey: string;
}

/** Returns the stream, creating it (cursor null, status new) the first time it is seen. */
export async function ensureStream(db: Kysely<Database>, identity: StreamIdentity): Promise<Stream> {
  const byIdentity = () =>
    db
      .selectFrom("sync.streams")
      .selectAll()
      .where("source", "=", identity.source)
      .where("account", "=", identity.account)
      .where("stream_key", "=", identity.streamKey);
  // Known streams (every run after the first) cost one round trip.
  const known = await byIdentity().executeTakeFirst();
  if (known) return known;
  await db
    .insertInto("sync.streams")
    .values({
      source: identity.source,
      account: identity.account,
      stream_key: identity.streamKey,
      cursor: null,
      last_error: null,
      last_run_id: null,
      last_success_at: null,
    })
    .onConflict((oc) => oc.columns(["source", "account", "stream_key"]).doNothing())
    .execute();
  return byIdentity().executeTakeFirstOrThrow();
}

export async function getStream(db: Kysely<Database>, streamId: number): Promise<Stream | undefined> {
  return db.selectFrom("sync.streams").selectAll().where("stream_id", "=", streamId).executeTakeFirst();
}

/** Streams matching the given parts of their identity. */
export async function findStreams(
  db: Kysely<Database>,
  match: { source?: string | undefined; account?: string | undefined; streamKey: string | undefined },
): Promise<Stream[]> {
  let query = db.selectFrom("sync.streams").selectAll();
  if (match.source) query = query.where("source", "=", match.source as Stream["source"]);
  if (match.account) query = query.where("account", "=", match.account);
  if (match.streamKey) query = query.where("stream_key", "=", match.streamKey);
  return query.orderBy("stream_id").execute();
}

/**
 * Moves a stream's cursor (null: back to the configured start time) and forgets its paging and polling
 * state, so the next sync re-reads from there. Rows stay; the re-read ones are skipped as duplicates.
 * Gaps stay open: the events are still missing until a read gives them. The re-read closes each gap whose
 * place it covers without meeting it again, and replaces the count of one it meets again (sync.gaps).
 */
export async function resetStream(db: Kysely<Database>, streamId: number, cursor: Date | null): Promise<void> {
  await db
    .updateTable("sync.streams")
    .set({ cursor, state: JSON.stringify({}), updated_at: new Date() })
    .where("stream_id", "=", streamId)
    .execute();
}

/**
 * What the configuration names, for retirement: the streams of one account, or all of them (undefined
 * keys) when they are judged elsewhere (an Altcraft account's campaigns, by its listing).
 */
export interface ConfiguredStreams {
  source: SourceName;
  account: string;
  streamKeys?: readonly string[] | undefined;
}

/** Which streams a retirement pass may touch: these sources, and within them only these accounts if given. */
export interface RetirementScope {
  sources: readonly SourceName[];
  accounts?: readonly string[] | undefined;
}

export interface RetirementChange {
  retired: StreamIdentity[];
  restored: StreamIdentity[];
}

/**
 * Retires the streams in `scope` that `configured` does not cover, and brings back retired streams it
 * names again by key, with the status of their last run (new if none): rows and cursors stay either way.
 * An entry without keys covers every stream of its account but brings none back: whether a campaign is
 * still there is for the account's listing to say.
 */
export async function settleRetirement(
  db: Kysely<Database>,
  scope: RetirementScope,
  configured: readonly ConfiguredStreams[],
): Promise<RetirementChange> {
  if (scope.sources.length === 0 || scope.accounts?.length === 0) return { retired: [], restored: [] };
  const roster = JSON.stringify(
    configured.map((c) => ({ source: c.source, account: c.account, keys: c.streamKeys ? [...c.streamKeys] : null })),
  );
  const accounts = scope.accounts ? [...scope.accounts] : null;
  const result = await sql<{ source: SourceName; account: string; stream_key: string; retired: boolean }>`
    with named as (
      select s.stream_id,
             exists (select 1 from jsonb_to_recordset(${roster}::jsonb) as r(source text, account text, keys text[])
                      where r.source = s.source and r.account = s.account and (r.keys is null or s.stream_key = any (r.keys))) as configured,
             exists (select 1 from jsonb_to_recordset(${roster}::jsonb) as r(source text, account text, keys text[])
                      where r.source = s.source and r.account = s.account and s.stream_key = any (r.keys)) as named
        from sync.streams s
       where s.source = any (${[...scope.sources]}::text[])
         and (${accounts}::text[] is null or s.account = any (${accounts}::text[]))
    )
    update sync.streams s
       set status = case when n.configured
                         then coalesce((select sr.status from sync.stream_runs sr
                                         where sr.stream_id = s.stream_id and sr.status <> 'skipped'
                                         order by sr.started_at desc, sr.run_id desc limit 1), 'new')
                         else 'retired' end,
           retired_at = case when n.configured then null else now() end,
           updated_at = now()
      from named n
     where n.stream_id = s.stream_id
       and (s.status <> 'retired' and not n.configured or s.status = 'retired' and n.named)
    returning s.source, s.account, s.stream_key, not n.configured as retired`.execute(db);
  const identity = (r: (typeof result.rows)[number]): StreamIdentity => ({
    source: r.source,
    account: r.account,
    streamKey: r.stream_key,
  });
  return {
    retired: result.rows.filter((r) => r.retired).map(identity),
    restored: result.rows.filter((r) => !r.retired).map(identity),
  };
}

/**
 * Finished Altcraft campaigns the listing showed unchanged are not read (the slow poll schedule), yet the
 * listing proves they hold everything there is: their freshness counts from it. Only streams whose last
 * read was complete qualify.
 */
export async function confirmReadThrough(
  db: Kysely<Database>,
  stream: { source: SourceName; account: string; streamKeys: readonly string[] },
): Promise<void> {
  if (stream.streamKeys.length === 0) return;
  await db
    .updateTable("sync.streams")
    .set({ last_read_at: sql`now()` })
    .where("source", "=", stream.source)
    .where("account", "=", stream.account)
    .where("stream_key", "in", [...stream.streamKeys])
    .where("status", "in", ["succeeded", "incomplete"])
    .execute();
}

/**
 * Registers a run's streams at once and returns each as the warehouse holds it, keyed by `source/account/stream
 * key`: those it did not know get their row (cursor null, status new), as ensureStream would give them. Two
 * statements for the whole run instead of one to three round trips per stream when it is taken. The rows are
 * inserted in one order (the database's, by identity), so copies that register the same streams at once wait
 * on each other instead of deadlocking.
 */
export async function registerStreams(
  db: Kysely<Database>,
  streams: readonly StreamIdentity[],
): Promise<Map<string, Stream>> {
  const registered = new Map<string, Stream>();
  if (streams.length === 0) return registered;
  const identities = sql`unnest(${streams.map((x) => x.source)}::text[], ${streams.map((x) => x.account)}::text[],
                  ${streams.map((x) => x.streamKey)}::text[]) as t(source, account, stream_key)`;
  await sql`
    insert into sync.streams (source, account, stream_key)
    select t.source, t.account, t.stream_key from ${identities}
     order by t.source, t.account, t.stream_key
    on conflict (source, account, stream_key) do nothing`.execute(db);
  // A statement of its own: it sees the rows another copy registered while the insert above waited on them.
  const rows = await sql<Stream>`
    select s.* from sync.streams s
      join ${identities} on s.source = t.source and s.account = t.account and s.stream_key = t.stream_key`.execute(db);
  for (const row of rows.rows)
    registered.set(streamLabel({ source: row.source, account: row.account, streamKey: row.stream_key }), row);
  return registered;
}

/** `source/account/stream key`: one stream's name in logs and maps. */
export function streamLabel(identity: { source: string; account: string; streamKey: string }): string {
  return `${identity.source}/${identity.account}/${identity.streamKey}`;
}
