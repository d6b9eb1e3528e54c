// Frozen in time: this file never imports the application and never changes once released.
//
// Views for analysts in BI tools: the questions everyone asks of the raw logs, answered once, correctly.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Runs of a campaign, in one sorted pass over its log (no subquery per row):
    --  1. sort each campaign's log by time; at one millisecond an end row comes first, then a
    --     "Total time spent" row, then a start row, then the rest (a deactivated run writes its end and
    --     total at the same millisecond, and the next run may begin in it);
    --  2. run_no = start rows so far: every row belongs to the run of the latest start before it (0: the
    --     log held begins inside a run, those rows belong to no run);
    --  3. ends_before = end rows of the same run before this row: 0 from the start up to and including the
    --     run's first end row (the run proper), 1 from just after it up to a second end (where "Total time
    --     spent" is), more after repeated end rows;
    --  4. one row per run.
    -- Steps 2 and 3 use the same window order, so the log is sorted once (or read in index order).
    create view altcraft.campaign_runs as
    with ordered as (
      select l.account, l.campaign_id, l.time, l.level, l.message, l.state, l.value_ms,
             case when l.state = 'end' then 0
                  when l.message = 'Total time spent' then 1
                  when l.state = 'start' then 2
                  else 3 end as tie_order
        from altcraft.campaign_log l
    ),
    numbered as (
      select o.*,
             count(*) filter (where o.state = 'start') over w as run_no,
             count(*) filter (where o.state = 'end') over w as ends_through
        from ordered o
      window w as (partition by o.account, o.campaign_id order by o.time, o.tie_order rows unbounded preceding)
    ),
    placed as (
      select n.*,
             n.ends_through - (n.state is not distinct from 'end')::int
               - coalesce(max(case when n.state = 'start' then n.ends_through end) over w, 0) as ends_before
        from numbered n
      window w as (partition by n.account, n.campaign_id order by n.time, n.tie_order rows unbounded preceding)
    ),
    runs as (
      select p.account, p.campaign_id,
             min(p.time) as started_at,
             min(p.time) filter (where p.state = 'end' and p.ends_before = 0) as finished_at,
             (array_agg(p.value_ms order by p.time) filter (where p.message = 'Total time spent' and p.ends_before = 1))[1] as time_spent_ms,
             count(*) filter (where p.level = 'WARNING' and p.ends_before = 0) as warnings,
             count(*) filter (where p.level = 'ERROR' and p.ends_before = 0) as errors
        from placed p
       where p.run_no > 0
       group by p.account, p.campaign_id, p.run_no
    )
    select r.account,
           r.campaign_id,
           c.name as campaign_name,
           r.started_at,
           r.finished_at,
           r.finished_at - r.started_at as duration,
           (extract(epoch from r.finished_at - r.started_at) * 1000)::double precision as duration_ms,
           r.time_spent_ms,
           r.warnings,
           r.errors,
           case when r.finished_at is null then 'running' else 'finished' end as status
      from runs r
      left join altcraft.campaigns c on c.account = r.account and c.campaign_id = r.campaign_id;

    comment on view altcraft.campaign_runs is 'One row per Altcraft campaign run: a start row (Begin campaign) paired with the first end row (Campaign finished) of the same account and campaign before the next start. Filter by account and campaign_id for speed';
    comment on column altcraft.campaign_runs.account is 'Account name from the configuration';
    comment on column altcraft.campaign_runs.campaign_id is 'Campaign id in Altcraft';
    comment on column altcraft.campaign_runs.campaign_name is 'Campaign name as last listed (altcraft.campaigns); null if the campaign was never listed';
    comment on column altcraft.campaign_runs.started_at is 'Time of the start row (UTC, millisecond precision)';
    comment on column altcraft.campaign_runs.finished_at is 'Time of the end row; null while the run has no end row (running)';
    comment on column altcraft.campaign_runs.duration is 'finished_at minus started_at, as an interval; null while running';
    comment on column altcraft.campaign_runs.duration_ms is 'finished_at minus started_at, in milliseconds; null while running';
    comment on column altcraft.campaign_runs.time_spent_ms is 'Duration Altcraft reported in the "Total time spent" row after the end row, in milliseconds; null if there is none';
    comment on column altcraft.campaign_runs.warnings is 'WARNING rows from the start row to the end row (to the latest row while running)';
    comment on column altcraft.campaign_runs.errors is 'ERROR rows from the start row to the end row (to the latest row while running)';
    comment on column altcraft.campaign_runs.status is 'finished (an end row follows the start) or running (no end row yet; also a run whose end row never came before the next start)';

    create view yandex_direct.money_movements as
    select e.account,
           e.login,
           e.campaign_id,
           e.account_id,
           (e.event_time at time zone 'UTC')::date as day,
           e.currency,
           coalesce(sum(e.payed) filter (where e.event_type = 'MoneyIn'), 0) as money_in,
           count(*) filter (where e.event_type = 'MoneyIn') as money_in_count,
           (array_agg(e.rest order by e.event_time desc, (e.event_type = 'MoneyOut') desc, e.rest nulls first)
              filter (where e.event_type in ('MoneyWarning', 'MoneyOut')))[1] as last_rest,
           count(*) filter (where e.event_type = 'MoneyWarning') as money_warnings,
           count(*) filter (where e.event_type = 'MoneyOut') as money_outs
      from yandex_direct.events e
     where e.event_type in ('MoneyIn', 'MoneyWarning', 'MoneyOut')
     group by e.account, e.login, e.campaign_id, e.account_id, (e.event_time at time zone 'UTC')::date, e.currency;

    comment on view yandex_direct.money_movements is 'Yandex.Direct money per advertiser login, campaign (or shared account), UTC day and currency: credits (MoneyIn), warnings (MoneyWarning), money running out (MoneyOut)';
    comment on column yandex_direct.money_movements.account is 'Account name from the configuration';
    comment on column yandex_direct.money_movements.login is 'Advertiser login the events belong to';
    comment on column yandex_direct.money_movements.campaign_id is 'Campaign whose balance moved; null for movements of a shared account (see account_id)';
    comment on column yandex_direct.money_movements.account_id is 'Shared account whose balance moved; null for movements of a campaign balance';
    comment on column yandex_direct.money_movements.day is 'Day of the events, in UTC';
    comment on column yandex_direct.money_movements.currency is 'Currency of money_in and last_rest';
    comment on column yandex_direct.money_movements.money_in is 'Sum credited that day (payed of MoneyIn events), in currency, without VAT; 0 when nothing was credited';
    comment on column yandex_direct.money_movements.money_in_count is 'MoneyIn events that day';
    comment on column yandex_direct.money_movements.last_rest is 'Remaining funds reported by the last MoneyWarning or MoneyOut event of the day, in currency, without VAT; null when there was none or it reported no rest';
    comment on column yandex_direct.money_movements.money_warnings is 'MoneyWarning events that day (balance fell to the warning level)';
    comment on column yandex_direct.money_movements.money_outs is 'MoneyOut events that day (the money ran out)';

    -- Rows held: one grouped count per event table, joined once (not a count per stream). The last run
    -- of a stream: its latest sync.stream_runs row that is not "skipped" (skipped means another process
    -- held the stream and that process's row is the one that counts), found through the
    -- (stream_id, started_at) index, once per stream.
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
           lr.completeness_gap
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
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop view sync.stream_freshness;
    drop view yandex_direct.money_movements;
    drop view altcraft.campaign_runs;
  `.execute(db);
}
