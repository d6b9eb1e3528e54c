// Frozen in time: this file never imports the application and never changes once released.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sync.streams drop constraint streams_status_check;
    alter table sync.streams add constraint streams_status_check
      check (status in ('new', 'running', 'succeeded', 'incomplete', 'partial', 'failed', 'interrupted'));
    alter table sync.stream_runs drop constraint stream_runs_status_check;
    alter table sync.stream_runs add constraint stream_runs_status_check
      check (status in ('running', 'succeeded', 'incomplete', 'partial', 'failed', 'interrupted', 'skipped'));

    alter table sync.stream_runs add column unread_events bigint, add column unread_at timestamptz;
    alter table sync.streams add column unread_events bigint, add column unread_at timestamptz;

    comment on column sync.streams.status is 'Result of the last run of the stream: new, running, succeeded, incomplete (read to its cursor, but the server would not give some events: see unread_events), partial (stopped by a quota, progress kept), failed, interrupted (stopped by a signal, progress kept)';
    comment on column sync.stream_runs.status is 'running, succeeded, incomplete (the server would not give some events: see unread_events), partial (quota reached, progress kept), failed, interrupted, skipped (another process held the stream)';
    comment on column sync.stream_runs.unread_events is 'Events this run could not read because the server would not give them (more in one millisecond or second than it returns in one response); null when none, or when the server does not say how many';
    comment on column sync.stream_runs.unread_at is 'Source time of the first events this run could not read; null when none';
    comment on column sync.streams.unread_events is 'Events the stream stepped past because the server would not give them, summed over runs since the stream started or was last reset; null when none';
    comment on column sync.streams.unread_at is 'Source time of the earliest events the stream stepped past; null when none';

    create or replace view sync.stream_freshness as
    select s.stream_id,
           s.source,
           s.account,
           s.stream_key as stream,
           s.status,
           s.cursor,
           now() - s.cursor as lag,
           floor(extract(epoch from now() - s.cursor))::bigint as lag_seconds,
           s.last_success_at,
           s.last_error,
           coalesce(held.rows_held, 0) as rows_held,
           lr.run_id as last_run_id,
           lr.status as last_run_status,
           lr.finished_at as last_run_finished_at,
           lr.completeness_gap,
           s.unread_events,
           s.unread_at
      from sync.streams s
      left join (
        select stream_id, count(*) as rows_held from altcraft.campaign_log group by stream_id
        union all
        select stream_id, count(*) as rows_held from yandex_direct.events group by stream_id
      ) held on held.stream_id = s.stream_id
      left join lateral (
        select sr.run_id, sr.status, sr.finished_at, sr.completeness_gap
          from sync.stream_runs sr
         where sr.stream_id = s.stream_id and sr.status <> 'skipped'
         order by sr.started_at desc, sr.run_id desc
         limit 1
      ) lr on true;
    comment on column sync.stream_freshness.status is 'Result of the last run of the stream: new, running, succeeded, incomplete, partial, failed, interrupted';
    comment on column sync.stream_freshness.last_run_status is 'Status of the stream in that run: running, succeeded, incomplete, partial, failed, interrupted';
    comment on column sync.stream_freshness.unread_events is 'Events the stream stepped past because the server would not give them (sync.streams.unread_events); null when none';
    comment on column sync.stream_freshness.unread_at is 'Source time of the earliest of them; null when none';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop view sync.stream_freshness;
    create view sync.stream_freshness as
    select s.stream_id, s.source, s.account, s.stream_key as stream, s.status, s.cursor,
           now() - s.cursor as lag, floor(extract(epoch from now() - s.cursor))::bigint as lag_seconds,
           s.last_success_at, s.last_error, coalesce(held.rows_held, 0) as rows_held,
           lr.run_id as last_run_id, lr.status as last_run_status, lr.finished_at as last_run_finished_at, lr.completeness_gap
      from sync.streams s
      left join (
        select stream_id, count(*) as rows_held from altcraft.campaign_log group by stream_id
        union all
        select stream_id, count(*) as rows_held from yandex_direct.events group by stream_id
      ) held on held.stream_id = s.stream_id
      left join lateral (
        select sr.run_id, sr.status, sr.finished_at, sr.completeness_gap
          from sync.stream_runs sr
         where sr.stream_id = s.stream_id and sr.status <> 'skipped'
         order by sr.started_at desc, sr.run_id desc
         limit 1
      ) lr on true;
    comment on view sync.stream_freshness is 'One row per stream: how far behind its cursor is, how many rows the warehouse holds for it, and how its last run went';
    comment on column sync.stream_freshness.stream_id is 'Surrogate key of the stream (sync.streams)';
    comment on column sync.stream_freshness.source is 'API family: altcraft or yandex_direct';
    comment on column sync.stream_freshness.account is 'Account name from the configuration';
    comment on column sync.stream_freshness.stream is 'Stream within the account: the Altcraft campaign id, or the Yandex.Direct client login';
    comment on column sync.stream_freshness.status is 'Result of the last run of the stream: new, running, succeeded, partial, failed, interrupted';
    comment on column sync.stream_freshness.cursor is 'Position in source time up to which events are loaded; null before the first page';
    comment on column sync.stream_freshness.lag is 'now() minus cursor, as an interval: how far behind the stream is; null before the first page';
    comment on column sync.stream_freshness.lag_seconds is 'lag in whole seconds, for alerts; null before the first page';
    comment on column sync.stream_freshness.last_success_at is 'When a run of the stream last succeeded';
    comment on column sync.stream_freshness.last_error is 'Error of the last run that did not succeed; null after a success';
    comment on column sync.stream_freshness.rows_held is 'Rows the warehouse holds for the stream (altcraft.campaign_log or yandex_direct.events)';
    comment on column sync.stream_freshness.last_run_id is 'Last run that synced the stream (runs that skipped it not counted); null if none did';
    comment on column sync.stream_freshness.last_run_status is 'Status of the stream in that run: running, succeeded, partial, failed, interrupted';
    comment on column sync.stream_freshness.last_run_finished_at is 'When the stream ended in that run; null while it runs or if the process died';
    comment on column sync.stream_freshness.completeness_gap is 'Events the API reported in that run that the warehouse does not hold (Altcraft); null when not measured';
    update sync.streams set status = 'succeeded' where status = 'incomplete';
    update sync.stream_runs set status = 'succeeded' where status = 'incomplete';
    alter table sync.streams drop column unread_events, drop column unread_at;
    alter table sync.stream_runs drop column unread_events, drop column unread_at;
    alter table sync.streams drop constraint streams_status_check;
    alter table sync.streams add constraint streams_status_check
      check (status in ('new', 'running', 'succeeded', 'partial', 'failed', 'interrupted'));
    alter table sync.stream_runs drop constraint stream_runs_status_check;
    alter table sync.stream_runs add constraint stream_runs_status_check
      check (status in ('running', 'succeeded', 'partial', 'failed', 'interrupted', 'skipped'));
  `.execute(db);
}
