// Frozen in time: this file never imports the application and never changes once released.
//
// Status tells the truth: streams whose account or login left the configuration become `retired`;
// freshness is measured from the stream's last complete read (last_read_at), not from its cursor (an
// idle Altcraft campaign's cursor is its last log row, days old while the stream is fully synced); the
// newest event held is its own column.
import { type Kysely, type RawBuilder, sql } from "kysely";

/**
 * The values a status check allows, read from the database: a migration between 1200 and this one may
 * have added values of its own, and this one must keep them.
 */
async function allowedStatuses(db: Kysely<unknown>, table: string, constraint: string): Promise<string[]> {
  const result = await sql<{ def: string }>`
    select pg_get_constraintdef(oid) as def from pg_constraint
     where conname = ${constraint} and conrelid = ${table}::regclass`.execute(db);
  const def = result.rows[0]?.def;
  if (!def) throw new Error(`${table} has no constraint ${constraint}`);
  return [...def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1] as string);
}

async function setStreamStatuses(db: Kysely<unknown>, values: readonly string[]): Promise<void> {
  const list = sql.join(values.map((v) => sql.lit(v)));
  await sql`
    alter table sync.streams drop constraint streams_status_check;
    alter table sync.streams add constraint streams_status_check check (status in (${list}));`.execute(db);
}

/** Status of the stream's last run that synced it (the status a retired stream comes back with). */
const lastRunStatus = (stream: RawBuilder<unknown>) => sql`
  coalesce((select sr.status from sync.stream_runs sr
             where sr.stream_id = ${stream} and sr.status <> 'skipped'
             order by sr.started_at desc, sr.run_id desc limit 1), 'new')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const statuses = await allowedStatuses(db, "sync.streams", "streams_status_check");
  await setStreamStatuses(db, [...statuses.filter((s) => s !== "retired"), "retired"]);
  await sql`
    alter table sync.streams add column retired_at timestamptz, add column last_read_at timestamptz;
    update sync.streams s set last_read_at = r.finished_at
      from (select distinct on (stream_id) stream_id, finished_at from sync.stream_runs
             where status in ('succeeded', 'incomplete') and finished_at is not null
             order by stream_id, started_at desc, run_id desc) r
     where r.stream_id = s.stream_id;
    comment on column sync.streams.status is 'Result of the last run of the stream: new, running, succeeded, incomplete (read to its cursor, but the server would not give some events: see unread_events), partial (stopped by a quota, progress kept), failed (also when its account failed as a whole), interrupted (stopped by a signal, progress kept), abandoned (its process went away mid-run), retired (its account or login is no longer configured, or its campaign no longer listed; rows stay)';
    comment on column sync.runs.status is 'running, succeeded (every stream it attempted succeeded), partial (some streams or accounts incomplete, partial or failed, others succeeded), failed (something was attempted and nothing succeeded, or the run could not go on), interrupted (stopped by a signal), abandoned (its process went away without finishing it: found by a later run)';
    comment on column sync.streams.retired_at is 'When the stream was retired; null while it is configured';
    comment on column sync.streams.last_read_at is 'When the stream last completed a read up to the end of what the source settles: the end of its last succeeded or incomplete run, or a listing that showed its finished Altcraft campaign unchanged; null before the first';

    drop view sync.stream_freshness;
    create view sync.stream_freshness as
    select s.stream_id,
           s.source,
           s.account,
           s.stream_key as stream,
           s.status,
           s.cursor,
           coalesce(ac.event_at, yd.event_at) as last_event_at,
           s.last_read_at,
           now() - coalesce(s.last_read_at, s.created_at) as lag,
           floor(extract(epoch from now() - coalesce(s.last_read_at, s.created_at)))::bigint as lag_seconds,
           s.last_success_at,
           s.last_error,
           coalesce(held.rows_held, 0) as rows_held,
           lr.run_id as last_run_id,
           lr.status as last_run_status,
           lr.finished_at as last_run_finished_at,
           lr.completeness_gap,
           s.unread_events,
           s.unread_at,
           s.retired_at
      from sync.streams s
      left join (
        select stream_id, count(*) as rows_held from altcraft.campaign_log group by stream_id
        union all
        select stream_id, count(*) as rows_held from yandex_direct.events group by stream_id
      ) held on held.stream_id = s.stream_id
      -- The newest event: one backward step of the (account, campaign_id, time) or (account, login,
      -- event_time) index per stream, never a pass over the table. The case keeps the cast away from
      -- Yandex.Direct logins.
      left join lateral (
        select l.time as event_at from altcraft.campaign_log l
         where s.source = 'altcraft' and l.account = s.account
           and l.campaign_id = case when s.source = 'altcraft' then s.stream_key::bigint end
         order by l.time desc limit 1
      ) ac on true
      left join lateral (
        select e.event_time as event_at from yandex_direct.events e
         where s.source = 'yandex_direct' and e.account = s.account and e.login = s.stream_key
         order by e.event_time desc limit 1
      ) yd on true
      left join lateral (
        select sr.run_id, sr.status, sr.finished_at, sr.completeness_gap
          from sync.stream_runs sr
         where sr.stream_id = s.stream_id and sr.status <> 'skipped'
         order by sr.started_at desc, sr.run_id desc
         limit 1
      ) lr on true;
    comment on view sync.stream_freshness is 'One row per stream: when it last completed a read and how long ago (lag), its cursor and newest event, how many rows the warehouse holds for it, and how its last run went. Retired streams are included: filter on status <> ''retired'' for alerts';
    comment on column sync.stream_freshness.stream_id is 'Surrogate key of the stream (sync.streams)';
    comment on column sync.stream_freshness.source is 'API family: altcraft or yandex_direct';
    comment on column sync.stream_freshness.account is 'Account name from the configuration';
    comment on column sync.stream_freshness.stream is 'Stream within the account: the Altcraft campaign id, or the Yandex.Direct client login';
    comment on column sync.stream_freshness.status is 'Result of the last run of the stream: new, running, succeeded, incomplete, partial, failed (also when its account failed as a whole), interrupted, abandoned, retired (no longer configured)';
    comment on column sync.stream_freshness.cursor is 'Position in source time up to which events are loaded; null before the first page. For Altcraft it is the time of the last log row, which stays put while a campaign is idle: not a measure of freshness';
    comment on column sync.stream_freshness.last_event_at is 'Source time of the newest event the warehouse holds for the stream; null when it holds none';
    comment on column sync.stream_freshness.last_read_at is 'When the stream last completed a read up to the end of what the source settles (sync.streams.last_read_at); null before the first';
    comment on column sync.stream_freshness.lag is 'now() minus last_read_at (before the first complete read: minus when the stream was first seen), as an interval: how long the stream has gone without a complete read';
    comment on column sync.stream_freshness.lag_seconds is 'lag in whole seconds, for alerts; never null';
    comment on column sync.stream_freshness.last_success_at is 'When a run of the stream last succeeded';
    comment on column sync.stream_freshness.last_error is 'Error of the last run that did not succeed; null after a success';
    comment on column sync.stream_freshness.rows_held is 'Rows the warehouse holds for the stream (altcraft.campaign_log or yandex_direct.events)';
    comment on column sync.stream_freshness.last_run_id is 'Last run that synced the stream (runs that skipped it not counted); null if none did';
    comment on column sync.stream_freshness.last_run_status is 'Status of the stream in that run: running, succeeded, incomplete, partial, failed, interrupted, abandoned';
    comment on column sync.stream_freshness.last_run_finished_at is 'When the stream ended in that run; null while it runs or if the process died';
    comment on column sync.stream_freshness.completeness_gap is 'Events the API reported in that run that the warehouse does not hold (Altcraft); null when not measured';
    comment on column sync.stream_freshness.unread_events is 'Events the stream stepped past because the server would not give them (sync.streams.unread_events); null when none';
    comment on column sync.stream_freshness.unread_at is 'Source time of the earliest of them; null when none';
    comment on column sync.stream_freshness.retired_at is 'When the stream was retired (its account or login left the configuration); null while configured';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop view sync.stream_freshness;
    create view sync.stream_freshness as
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
    comment on view sync.stream_freshness is 'One row per stream: how far behind its cursor is, how many rows the warehouse holds for it, and how its last run went';
    comment on column sync.stream_freshness.stream_id is 'Surrogate key of the stream (sync.streams)';
    comment on column sync.stream_freshness.source is 'API family: altcraft or yandex_direct';
    comment on column sync.stream_freshness.account is 'Account name from the configuration';
    comment on column sync.stream_freshness.stream is 'Stream within the account: the Altcraft campaign id, or the Yandex.Direct client login';
    comment on column sync.stream_freshness.status is 'Result of the last run of the stream: new, running, succeeded, incomplete, partial, failed, interrupted';
    comment on column sync.stream_freshness.cursor is 'Position in source time up to which events are loaded; null before the first page';
    comment on column sync.stream_freshness.lag is 'now() minus cursor, as an interval: how far behind the stream is; null before the first page';
    comment on column sync.stream_freshness.lag_seconds is 'lag in whole seconds, for alerts; null before the first page';
    comment on column sync.stream_freshness.last_success_at is 'When a run of the stream last succeeded';
    comment on column sync.stream_freshness.last_error is 'Error of the last run that did not succeed; null after a success';
    comment on column sync.stream_freshness.rows_held is 'Rows the warehouse holds for the stream (altcraft.campaign_log or yandex_direct.events)';
    comment on column sync.stream_freshness.last_run_id is 'Last run that synced the stream (runs that skipped it not counted); null if none did';
    comment on column sync.stream_freshness.last_run_status is 'Status of the stream in that run: running, succeeded, incomplete, partial, failed, interrupted';
    comment on column sync.stream_freshness.last_run_finished_at is 'When the stream ended in that run; null while it runs or if the process died';
    comment on column sync.stream_freshness.completeness_gap is 'Events the API reported in that run that the warehouse does not hold (Altcraft); null when not measured';
    comment on column sync.stream_freshness.unread_events is 'Events the stream stepped past because the server would not give them (sync.streams.unread_events); null when none';
    comment on column sync.stream_freshness.unread_at is 'Source time of the earliest of them; null when none';

    update sync.streams s set status = ${lastRunStatus(sql`s.stream_id`)} where s.status = 'retired';
    alter table sync.streams drop column retired_at, drop column last_read_at;
    comment on column sync.runs.status is 'running, succeeded (every stream succeeded), partial (some streams incomplete, partial or failed), failed (the run could not go on), interrupted (stopped by a signal), abandoned (its process went away without finishing it: found by a later run)';
    comment on column sync.streams.status is 'Result of the last run of the stream: new, running, succeeded, incomplete (read to its cursor, but the server would not give some events: see unread_events), partial (stopped by a quota, progress kept), failed, interrupted (stopped by a signal, progress kept)';
  `.execute(db);
  const statuses = await allowedStatuses(db, "sync.streams", "streams_status_check");
  await setStreamStatuses(db, statuses.filter((s) => s !== "retired"));
}
