// Frozen in time: this file never imports the application and never changes once released.
//
// sync.stream_freshness found a stream's newest event with `order by time desc limit 1` under an equality on
// its campaign (Altcraft) or login (Yandex.Direct). PostgreSQL drops an equality's column from the order, so the
// plain time index (campaign_log_time_idx, events_time_idx) serves that order as well as the stream's own index
// does, and the planner chose it whenever its statistics showed few campaigns or logins (one login holding most
// rows): a backward walk of every newer row of the table, filtered, until one of the stream's own came up. A
// stream with no rows walked the whole index: about a second over a million rows, for every such stream, at
// every status and every scrape of the daemon's metrics.
//
// The stream's campaign or login is now bounded from both sides (`>= x and <= x`, the same rows as `= x`) and
// leads the order: only the stream's own index, (account, campaign_id, time) or (account, login, event_time),
// gives that order, so the newest event is one backward step of it whatever the statistics say. Only the view's
// definition changes; its columns and their comments stay (`create or replace view`).
import { type Kysely, type RawBuilder, sql } from "kysely";

/** sync.stream_freshness as migration 2026-12-03T1700_owner-freshness left it, with the newest events given. */
const freshness = (newestAltcraftEvent: RawBuilder<unknown>, newestYandexEvent: RawBuilder<unknown>) => sql`
    create or replace view sync.stream_freshness as
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
           s.rows_held,
           lr.run_id as last_run_id,
           lr.status as last_run_status,
           lr.finished_at as last_run_finished_at,
           lr.completeness_gap,
           case when gp.open_gaps = 0 or gp.unknown_gaps > 0 then null else gp.unread_known end as unread_events,
           gp.unread_at,
           s.retired_at,
           gp.unread_known,
           gp.open_gaps
      from sync.streams s
      left join lateral (${newestAltcraftEvent}) ac on true
      left join lateral (${newestYandexEvent}) yd on true
      left join lateral (
        select sr.run_id, sr.status, sr.finished_at, sr.completeness_gap
          from sync.stream_runs sr
         where sr.stream_id = s.stream_id and sr.status <> 'skipped'
         order by sr.started_at desc, sr.run_id desc
         limit 1
      ) lr on true
      left join lateral (
        select count(*) as open_gaps,
               count(*) filter (where g.unread_events is null) as unknown_gaps,
               coalesce(sum(g.unread_events), 0)::bigint as unread_known,
               min(g.at) as unread_at
          from sync.gaps g
         where g.stream_id = s.stream_id and g.closed_at is null
      ) gp on true`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await freshness(
    sql`
        select l.time as event_at from altcraft.campaign_log l
         where s.source = 'altcraft' and l.account = s.account
           and l.campaign_id >= case when s.source = 'altcraft' then s.stream_key::bigint end
           and l.campaign_id <= case when s.source = 'altcraft' then s.stream_key::bigint end
         order by l.campaign_id desc, l.time desc limit 1`,
    sql`
        select max(n.event_at) as event_at from (
          (select e.event_time as event_at from yandex_direct.events e
            where s.source = 'yandex_direct' and e.account = s.account
              and e.login >= s.stream_key and e.login <= s.stream_key
            order by e.login desc, e.event_time desc limit 1)
          union all
          (select e.event_time from yandex_direct.events e
            where s.source = 'yandex_direct' and e.account = s.account
              and e.login >= s.state ->> 'ownerLogin' and e.login <= s.state ->> 'ownerLogin'
            order by e.login desc, e.event_time desc limit 1)
        ) n`,
  ).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await freshness(
    sql`
        select l.time as event_at from altcraft.campaign_log l
         where s.source = 'altcraft' and l.account = s.account
           and l.campaign_id = case when s.source = 'altcraft' then s.stream_key::bigint end
         order by l.time desc limit 1`,
    sql`
        select max(n.event_at) as event_at from (
          (select e.event_time as event_at from yandex_direct.events e
            where s.source = 'yandex_direct' and e.account = s.account and e.login = s.stream_key
            order by e.event_time desc limit 1)
          union all
          (select e.event_time from yandex_direct.events e
            where s.source = 'yandex_direct' and e.account = s.account and e.login = s.state ->> 'ownerLogin'
            order by e.event_time desc limit 1)
        ) n`,
  ).execute(db);
}
