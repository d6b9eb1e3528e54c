// Frozen in time: this file never imports the application and never changes once released.
//
// The shared request budget's sliding window: every process on one warehouse starts a request of a token
// only by claiming one of the token's rows whose last start is at least one window old, so no window holds
// more starts than the token has rows, whichever processes made them. Unlogged: a start is stamped on every
// request and needs no WAL flush; after a crash the table comes back empty and its rows are made again.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create unlogged table sync.request_starts (
      budget_key text not null,
      slot integer not null check (slot >= 0),
      started_at timestamptz not null default '-infinity',
      primary key (budget_key, slot)
    ) with (fillfactor = 50);
    comment on table sync.request_starts is 'The sliding window of each API token''s request rate, shared by every process on this warehouse: one row per start allowed in a window; a request starts by taking a row whose started_at is at least one window old and setting it to now';
    comment on column sync.request_starts.budget_key is 'Which token: a hash of the source and the token (never the token itself)';
    comment on column sync.request_starts.slot is 'Row number within the token''s window, 0 to the starts allowed per window minus one';
    comment on column sync.request_starts.started_at is 'When the last request that took this row started, by the database clock; -infinity before the first';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table sync.request_starts`.execute(db);
}
