// Frozen in time: this file never imports the application and never changes once released.
//
// Locks no other role can take, and no bookkeeping row for a stream a run only skipped.
// - sync_private.lock_secret: a random secret, made here, from which the job derives the keys of its advisory
//   locks (a stream's lock, the slots of a token's request budget). Advisory locks are shared by every role of
//   the database; keys that a role reading the warehouse could compute (a fixed namespace and a stream id) let
//   that role hold them. The schema and the table are granted to nobody: only their owner, the role that runs
//   the migrations, reads them (and whatever role it grants them to).
// - sync.runs.streams_skipped: the streams a run left to another process (held by another eventlog-sync
//   process, or synced by one since the run began). Those used to be one sync.stream_runs row each, `skipped`:
//   with several copies, most rows of the table. Existing ones are folded into the count and deleted.
import { type Kysely, sql } from "kysely";

const STATUSES = "'running', 'succeeded', 'incomplete', 'partial', 'failed', 'interrupted', 'abandoned'";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create schema sync_private;
    revoke all on schema sync_private from public;
    comment on schema sync_private is 'What only the job''s own role may read: grant it to no other role';
    create table sync_private.lock_secret (
      only_row boolean primary key default true check (only_row),
      secret text not null,
      created_at timestamptz not null default now()
    );
    revoke all on table sync_private.lock_secret from public;
    comment on table sync_private.lock_secret is 'The random secret the job derives its advisory lock keys from, so that no other role can compute them and take its locks';
    comment on column sync_private.lock_secret.only_row is 'Always true: the table holds one row';
    comment on column sync_private.lock_secret.secret is 'Random, made by the migration that created the table; changing it while a copy runs lets two copies sync one stream at once';
    comment on column sync_private.lock_secret.created_at is 'When the secret was made';
    insert into sync_private.lock_secret (secret)
      values (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

    alter table sync.runs add column streams_skipped integer not null default 0 check (streams_skipped >= 0);
    comment on column sync.runs.streams_skipped is 'Streams the run left to another eventlog-sync process (held by it, or synced by it since the run began); written when the run finishes. Such streams get no sync.stream_runs row';
    update sync.runs r set streams_skipped = s.n
      from (select run_id, count(*)::int as n from sync.stream_runs where status = 'skipped' group by run_id) s
     where r.run_id = s.run_id;
    delete from sync.stream_runs where status = 'skipped';
    alter table sync.stream_runs drop constraint stream_runs_status_check;
    alter table sync.stream_runs add constraint stream_runs_status_check check (status in (${sql.raw(STATUSES)}));
    comment on column sync.stream_runs.status is 'running, succeeded, incomplete (the server would not give some events: see unread_events), partial (quota reached, progress kept), failed, interrupted, abandoned (the process went away mid-stream). A stream the run left to another process has no row: see sync.runs.streams_skipped';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sync.stream_runs drop constraint stream_runs_status_check;
    alter table sync.stream_runs add constraint stream_runs_status_check
      check (status in (${sql.raw(STATUSES)}, 'skipped'));
    comment on column sync.stream_runs.status is 'running, succeeded, incomplete (the server would not give some events: see unread_events), partial (quota reached, progress kept), failed, interrupted, skipped (another process held the stream), abandoned (the process went away mid-stream)';
    alter table sync.runs drop column streams_skipped;
    drop schema sync_private cascade;
  `.execute(db);
}
