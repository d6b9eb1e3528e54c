/**
 * yandex_direct.clients and client_listings: what the listings of an agency's clients showed, and what each
 * listing cost. A client is keyed by its id; its stream key is fixed when it is first listed (the stream of
 * the same login this account already had, else the login in lower case), so a login that changes case or
 * hands over to another chief representative keeps the client's stream, cursor and event keys.
 */
import { type Kysely, sql } from "kysely";
import type pg from "pg";
import { valueWithoutNul } from "./nul.replacement.js";
import { lockKeysOf } from "./lock.keys.js";
import type { Database } from "./warehouse.tables.js";

export interface ListedClient {
  clientId: number;
  login: string;
  name: string | null;
  currency: string | null;
  archived: boolean;
  raw: unknown;
}

/** A client as the warehouse knows it: its stream and what its last listing said. */
export interface KnownClient {
  clientId: number;
  login: string;
  streamKey: string;
  currency: string | null;
  archived: boolean;
}

interface ClientRow {
  client_id: string | number;
  login: string;
  stream_key: string;
  currency: string | null;
  archived: boolean;
}

const known = (r: ClientRow): KnownClient => ({
  clientId: Number(r.client_id),
  login: r.login,
  streamKey: r.stream_key,
  currency: r.currency,
  archived: r.archived,
});

/**
 * Stores a complete listing of `account`: every listed client upserted and marked listed, every other client
 * of the account marked not listed. Returns the listed clients with their stream keys, in listing order.
 * A U+0000 in any text of a client (name, login, currency, the raw item) is stored as U+FFFD (nul.replacement.ts).
 */
export async function recordClients(
  db: Kysely<Database>,
  account: string,
  listing: readonly ListedClient[],
): Promise<KnownClient[]> {
  const clients = listing.map(valueWithoutNul);
  return db.transaction().execute(async (tx) => {
    const result = await sql<ClientRow & { ord: number }>`
      with listed as (
        select t.ord, t.client_id, t.login, t.name, t.currency, t.archived, t.raw
          from unnest(${clients.map((c) => c.clientId)}::bigint[], ${clients.map((c) => c.login)}::text[],
                      ${clients.map((c) => c.name)}::text[], ${clients.map((c) => c.currency)}::text[],
                      ${clients.map((c) => c.archived)}::boolean[], ${clients.map((c) => JSON.stringify(c.raw ?? null))}::jsonb[])
               with ordinality as t(client_id, login, name, currency, archived, raw, ord)
      )
      insert into yandex_direct.clients as c (account, client_id, login, stream_key, name, currency, archived, listed, raw)
      select ${account}, l.client_id, l.login,
             coalesce((select s.stream_key from sync.streams s
                        where s.source = 'yandex_direct' and s.account = ${account} and lower(s.stream_key) = lower(l.login)
                        order by s.stream_key = lower(l.login) desc, s.stream_id limit 1),
                      lower(l.login)),
             l.name, l.currency, l.archived, true, l.raw
        from listed l
       order by l.ord
      on conflict (account, client_id) do update set
        login = excluded.login, name = excluded.name, currency = excluded.currency, archived = excluded.archived,
        listed = true, last_seen_at = now(), raw = excluded.raw
      returning c.client_id, c.login, c.stream_key, c.currency, c.archived,
                (select l.ord from listed l where l.client_id = c.client_id) as ord`.execute(tx);
    await sql`
      update yandex_direct.clients set listed = false
       where account = ${account} and listed and client_id <> all (${clients.map((c) => c.clientId)}::bigint[])`.execute(
      tx,
    );
    return result.rows.sort((a, b) => Number(a.ord) - Number(b.ord)).map(known);
  });
}

/** The clients the last complete listing of `account` returned. */
export async function listedClients(db: Kysely<Database>, account: string): Promise<KnownClient[]> {
  const rows = await db
    .selectFrom("yandex_direct.clients")
    .select(["client_id", "login", "stream_key", "currency", "archived"])
    .where("account", "=", account)
    .where("listed", "=", true)
    .orderBy("client_id")
    .execute();
  return rows.map(known);
}

export interface ClientListingRecord {
  runId: number;
  account: string;
  startedAt: Date;
  complete: boolean;
  pages: number;
  requests: number;
  clients: number | null;
  units: { spent: number; remaining: number | null; daily: number | null } | null;
  error: string | null;
}

/** Records one listing of an account's clients (one per run and account). */
export async function recordClientListing(db: Kysely<Database>, listing: ClientListingRecord): Promise<void> {
  await db
    .insertInto("yandex_direct.client_listings")
    .values({
      run_id: listing.runId,
      account: listing.account,
      started_at: listing.startedAt,
      complete: listing.complete,
      pages: listing.pages,
      requests: listing.requests,
      clients: listing.clients,
      units_spent: listing.units?.spent ?? null,
      units_remaining: listing.units?.remaining ?? null,
      units_daily: listing.units?.daily ?? null,
      error: listing.error,
    })
    .onConflict((oc) => oc.columns(["run_id", "account"]).doNothing())
    .execute();
}

/**
 * Runs `work` holding the account's listing turn: a session advisory lock keyed by the account name (with the
 * warehouse's lock secret, so no other role can take it; see lock.keys.ts), on a
 * connection of its own, so copies that start a round together list the agency's clients one after the other
 * and each sees the listings recorded before it. The wait is bounded by the pool's lock_timeout (the error
 * is thrown); the lock ends with its connection if the process dies.
 */
export async function withListingTurn<T>(pool: pg.Pool, account: string, work: () => Promise<T>): Promise<T> {
  const key = (await lockKeysOf(pool)).of("listing turn", account);
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1, $2)", [...key]);
  } catch (err) {
    client.release(err instanceof Error ? err : true);
    throw err;
  }
  try {
    return await work();
  } finally {
    try {
      await client.query("select pg_advisory_unlock($1, $2)", [...key]);
      client.release();
    } catch (err) {
      // Destroying the connection also ends the lock.
      client.release(err instanceof Error ? err : true);
    }
  }
}

/** A complete listing another run took that this run may reuse. */
export interface ReusableListing {
  runId: number;
  clients: number;
  finishedAt: Date;
}

/**
 * The newest complete listing of `account` by another run that ended after run `runId` began, or at most
 * `withinMs` before (the database's clock on both sides). A listing that failed or stopped halfway is never
 * returned.
 */
export async function reusableListing(
  db: Kysely<Database>,
  account: string,
  runId: number,
  withinMs: number,
): Promise<ReusableListing | undefined> {
  const result = await sql<{ run_id: number; clients: number | null; finished_at: Date }>`
    select l.run_id, l.clients, l.finished_at
      from yandex_direct.client_listings l, sync.runs me
     where me.run_id = ${runId} and l.account = ${account} and l.complete and l.run_id <> ${runId}
       and l.finished_at >= me.started_at - ${withinMs} * interval '1 millisecond'
     order by l.finished_at desc
     limit 1`.execute(db);
  const row = result.rows[0];
  return row
    ? { runId: Number(row.run_id), clients: Number(row.clients ?? 0), finishedAt: row.finished_at }
    : undefined;
}
