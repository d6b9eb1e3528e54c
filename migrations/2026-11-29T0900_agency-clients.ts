// Frozen in time: this file never imports the application and never changes once released.
//
// Agency discovery: an account with `logins: all` lists the agency's clients (API v5 AgencyClients.get) on
// every run. yandex_direct.clients keeps what the listings showed, keyed by the client id (a client's login
// is its chief representative's, which can change); yandex_direct.client_listings records each listing:
// complete or not, its pages, and the points (Units) it cost.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table yandex_direct.clients (
      account text not null,
      client_id bigint not null,
      login text not null,
      stream_key text not null,
      name text,
      currency text,
      archived boolean not null,
      listed boolean not null default true,
      first_seen_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      raw jsonb not null,
      primary key (account, client_id)
    );
    create index clients_account_login_idx on yandex_direct.clients (account, lower(login));
    comment on table yandex_direct.clients is 'Clients of an agency account that discovers its logins (logins: all), as its complete listings (AgencyClients.get) showed them';
    comment on column yandex_direct.clients.account is 'The account (its name in the configuration) whose listing returned the client';
    comment on column yandex_direct.clients.name is 'ClientInfo: the client''s name';
    comment on column yandex_direct.clients.client_id is 'The advertiser''s id: the stable key of a client';
    comment on column yandex_direct.clients.login is 'The chief representative''s login, as last listed (events are requested with it)';
    comment on column yandex_direct.clients.stream_key is 'The client''s stream in sync.streams (its login when first listed, lower-case): it stays when the login changes';
    comment on column yandex_direct.clients.currency is 'The client''s currency as listed; with currency: client its events are requested in it';
    comment on column yandex_direct.clients.archived is 'Archived at the agency: its stream is retired unless discovery.archived is true';
    comment on column yandex_direct.clients.listed is 'Returned by the last complete listing; false once a complete listing no longer returns it';
    comment on column yandex_direct.clients.first_seen_at is 'First complete listing that returned it';
    comment on column yandex_direct.clients.last_seen_at is 'Last complete listing that returned it';
    comment on column yandex_direct.clients.raw is 'The listing''s item, as received';

    create table yandex_direct.client_listings (
      run_id bigint not null references sync.runs (run_id) on delete cascade,
      account text not null,
      started_at timestamptz not null,
      finished_at timestamptz not null default now(),
      complete boolean not null,
      pages integer not null,
      requests integer not null,
      clients integer,
      units_spent integer,
      units_remaining integer,
      units_daily integer,
      error text,
      primary key (run_id, account)
    );
    comment on table yandex_direct.client_listings is 'One row per run and discovering account: the listing of the agency''s clients and what it cost';
    comment on column yandex_direct.client_listings.run_id is 'The run that listed the clients';
    comment on column yandex_direct.client_listings.account is 'The account whose clients were listed';
    comment on column yandex_direct.client_listings.started_at is 'When the listing began';
    comment on column yandex_direct.client_listings.finished_at is 'When the listing ended';
    comment on column yandex_direct.client_listings.pages is 'Responses read';
    comment on column yandex_direct.client_listings.requests is 'Requests made, retries included';
    comment on column yandex_direct.client_listings.complete is 'The listing reached its last page; only a complete listing adds or retires streams';
    comment on column yandex_direct.client_listings.clients is 'Clients listed (null when the listing failed)';
    comment on column yandex_direct.client_listings.units_spent is 'Points the listing cost: the sum of the spent part of each response''s Units header';
    comment on column yandex_direct.client_listings.units_remaining is 'Points left after the listing (Units header of its last response)';
    comment on column yandex_direct.client_listings.units_daily is 'The daily points limit (Units header of its last response)';
    comment on column yandex_direct.client_listings.error is 'Why the listing failed (redacted); null when complete';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table yandex_direct.client_listings; drop table yandex_direct.clients;`.execute(db);
}
