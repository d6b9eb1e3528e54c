// Frozen in time: this file never imports the application and never changes once released.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sync.runs drop constraint runs_status_check;
    alter table sync.runs add constraint runs_status_check
      check (status in ('running', 'succeeded', 'partial', 'failed', 'interrupted', 'abandoned'));
    alter table sync.stream_runs drop constraint stream_runs_status_check;
    alter table sync.stream_runs add constraint stream_runs_status_check
      check (status in ('running', 'succeeded', 'incomplete', 'partial', 'failed', 'interrupted', 'skipped', 'abandoned'));
    alter table sync.streams drop constraint streams_status_check;
    alter table sync.streams add constraint streams_status_check
      check (status in ('new', 'running', 'succeeded', 'incomplete', 'partial', 'failed', 'interrupted', 'abandoned'));
    comment on column sync.runs.status is 'running, succeeded (every stream succeeded), partial (some streams incomplete, partial or failed), failed (the run could not go on), interrupted (stopped by a signal), abandoned (its process went away without finishing it: found by a later run)';
    comment on column sync.stream_runs.status is 'running, succeeded, incomplete (the server would not give some events: see unread_events), partial (quota reached, progress kept), failed, interrupted, skipped (another process held the stream), abandoned (the process went away mid-stream)';

    -- Rejects get an identity, as events do: stream, the record, and its occurrence among identical records
    -- of one page. Copies stored by earlier re-reads collapse to one.
    alter table sync.rejects add column occurrence integer, add column reject_key uuid,
      add column nul_replaced boolean not null default false;
    with numbered as (
      select reject_id, row_number() over (partition by stream_id, run_id, payload order by reject_id) - 1 as occurrence
        from sync.rejects
    )
    update sync.rejects r set occurrence = n.occurrence from numbered n where n.reject_id = r.reject_id;
    update sync.rejects set reject_key = md5(stream_id::text || ':' || occurrence::text || ':' || payload::text)::uuid;
    delete from sync.rejects r using sync.rejects keep where keep.reject_key = r.reject_key and keep.reject_id < r.reject_id;
    alter table sync.rejects alter column occurrence set not null, alter column reject_key set not null;
    alter table sync.rejects add constraint rejects_reject_key_key unique (reject_key);
    comment on column sync.rejects.occurrence is 'How many identical records came before this one in the same response (0 for the first)';
    comment on column sync.rejects.reject_key is 'Identity of the rejected record (stream, record, occurrence): a record re-read is stored once';
    comment on column sync.rejects.nul_replaced is 'True when the record held U+0000 characters, which PostgreSQL cannot store: each was replaced by U+FFFD in payload';

    alter table altcraft.campaign_log add column nul_replaced boolean not null default false;
    alter table yandex_direct.events add column nul_replaced boolean not null default false;
    comment on column altcraft.campaign_log.nul_replaced is 'True when the row held U+0000 characters, which PostgreSQL cannot store: each was replaced by U+FFFD in the text columns and in raw';
    comment on column yandex_direct.events.nul_replaced is 'True when the event held U+0000 characters, which PostgreSQL cannot store: each was replaced by U+FFFD in the text columns and in raw';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table yandex_direct.events drop column nul_replaced;
    alter table altcraft.campaign_log drop column nul_replaced;
    alter table sync.rejects drop constraint rejects_reject_key_key;
    alter table sync.rejects drop column occurrence, drop column reject_key, drop column nul_replaced;
    update sync.runs set status = 'failed' where status = 'abandoned';
    update sync.stream_runs set status = 'failed' where status = 'abandoned';
    update sync.streams set status = 'failed' where status = 'abandoned';
    alter table sync.runs drop constraint runs_status_check;
    alter table sync.runs add constraint runs_status_check
      check (status in ('running', 'succeeded', 'partial', 'failed', 'interrupted'));
    alter table sync.stream_runs drop constraint stream_runs_status_check;
    alter table sync.stream_runs add constraint stream_runs_status_check
      check (status in ('running', 'succeeded', 'incomplete', 'partial', 'failed', 'interrupted', 'skipped'));
    alter table sync.streams drop constraint streams_status_check;
    alter table sync.streams add constraint streams_status_check
      check (status in ('new', 'running', 'succeeded', 'incomplete', 'partial', 'failed', 'interrupted'));
  `.execute(db);
}
