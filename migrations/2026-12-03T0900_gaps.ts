// Frozen in time: this file never imports the application and never changes once released.
//
// Gaps are data: each place in source time a read stepped past (a millisecond or second the server would
// not give whole), and each shortfall a source's own count reports after a read (Altcraft total_count), is
// one row of sync.gaps, written in the transaction of the page that stepped past it. Its count is NULL when
// the server does not say how many (never 0); a gap found again replaces its count instead of adding to it;
// a later read that covers its place without meeting it closes it. sync.streams.unread_events / unread_at
// stay, kept from the open gaps by a trigger, and sync.stream_freshness reads the open gaps.
import { type Kysely, type RawBuilder, sql } from "kysely";

/** The view's column comments, so that a view dropped and made again keeps those of its remaining columns. */
async function viewColumnComments(db: Kysely<unknown>, view: string): Promise<Map<string, string>> {
  const result = await sql<{ name: string; comment: string }>`
    select a.attname as name, col_description(a.attrelid, a.attnum) as comment
      from pg_attribute a
     where a.attrelid = ${view}::regclass and a.attnum > 0 and not a.attisdropped
       and col_description(a.attrelid, a.attnum) is not null`.execute(db);
  return new Map(result.rows.map((r) => [r.name, r.comment]));
}

/** sync.stream_freshness up to its retired_at column, with the unread columns given. */
const freshness = (unread: RawBuilder<unknown>, extra: RawBuilder<unknown>, join: RawBuilder<unknown>) => sql`
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
           ${unread},
           s.retired_at${extra}
      from sync.streams s
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
      ) lr on true${join}`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sync.gaps (
      gap_id bigserial primary key,
      stream_id bigint not null references sync.streams (stream_id),
      kind text not null check (kind in ('stepped', 'count')),
      at timestamptz not null,
      until timestamptz,
      unread_events bigint check (unread_events > 0),
      reason text not null,
      found_run_id bigint,
      last_run_id bigint,
      found_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      closed_at timestamptz,
      closed_run_id bigint,
      check (until >= at)
    );
    create unique index gaps_open_stepped_key on sync.gaps (stream_id, at) where kind = 'stepped' and closed_at is null;
    create unique index gaps_open_count_key on sync.gaps (stream_id) where kind = 'count' and closed_at is null;
    create index gaps_last_run_idx on sync.gaps (last_run_id, stream_id);
    comment on table sync.gaps is 'Events a stream could not read, one row per place: a millisecond or second the server would not give whole, that the read stepped past (stepped), or a shortfall the source''s own count reports after a read (count). Open while closed_at is null; the stream''s unread events are the open gaps. Run ids are plain numbers, not foreign keys to sync.runs, so that old runs can be deleted while their gaps stay';
    comment on column sync.gaps.gap_id is 'Surrogate key';
    comment on column sync.gaps.stream_id is 'The stream (sync.streams)';
    comment on column sync.gaps.kind is 'stepped: a place in source time the read stepped past because the server would not give it whole (recorded with the page that stepped past it); count: the shortfall the source''s own count reports after a read (Altcraft total_count), at most one open per stream';
    comment on column sync.gaps.at is 'Source time where the gap starts: the millisecond or second stepped past, or for a count gap the from_time of the read the count was taken for';
    comment on column sync.gaps.until is 'Source time where the gap ends, when known; null when it is one instant or not known';
    comment on column sync.gaps.unread_events is 'How many events the gap holds, as the last read that found it said; null when the server does not say how many (unknown, never 0). A gap found again replaces this count, it never adds to it';
    comment on column sync.gaps.reason is 'Why the events could not be read, as the read reported it';
    comment on column sync.gaps.found_run_id is 'The run that first found the gap (sync.runs.run_id; not a foreign key, so that old runs can be deleted); null only for a gap carried over from sync.streams.unread_events with no run recorded';
    comment on column sync.gaps.last_run_id is 'The last run that found the gap, first or again (sync.runs.run_id; not a foreign key); null only for a gap carried over with no run recorded';
    comment on column sync.gaps.found_at is 'When the gap was first recorded';
    comment on column sync.gaps.last_seen_at is 'When a run last found the gap';
    comment on column sync.gaps.closed_at is 'When a later read covered the gap''s place without meeting it again (stepped), or the count no longer showed a shortfall (count); null while open';
    comment on column sync.gaps.closed_run_id is 'The run that closed the gap (sync.runs.run_id; not a foreign key); null while open';

    -- sync.streams.unread_events / unread_at stay as they were read, kept from the open gaps.
    create function sync.gaps_keep_stream_unread() returns trigger language plpgsql as $fn$
    declare
      streams bigint[];
    begin
      if tg_op = 'INSERT' then
        streams := array[new.stream_id];
      elsif tg_op = 'DELETE' then
        streams := array[old.stream_id];
      else
        streams := array[old.stream_id, new.stream_id];
      end if;
      update sync.streams s
         set unread_events = g.unread_events, unread_at = g.unread_at
        from (select x.stream_id,
                     case when bool_or(o.gap_id is not null and o.unread_events is null) then null
                          else sum(o.unread_events)::bigint end as unread_events,
                     min(o.at) as unread_at
                from (select distinct unnest(streams)) as x(stream_id)
                left join sync.gaps o on o.stream_id = x.stream_id and o.closed_at is null
               group by x.stream_id) g
       where s.stream_id = g.stream_id
         and (s.unread_events, s.unread_at) is distinct from (g.unread_events, g.unread_at);
      return null;
    end
    $fn$;
    create trigger gaps_keep_stream_unread after insert or update or delete on sync.gaps
      for each row execute function sync.gaps_keep_stream_unread();

    -- What the streams held becomes one open gap each. The old sum counted an unknown number as 0, so a 0
    -- with a time is unknown.
    insert into sync.gaps (stream_id, kind, at, unread_events, reason, found_run_id, last_run_id, found_at, last_seen_at)
    select s.stream_id, 'stepped', s.unread_at, nullif(s.unread_events, 0),
           'recorded before gaps were kept one by one: what sync.streams.unread_events then held, summed over its runs',
           r.first_run, r.last_run, coalesce(r.first_at, s.updated_at), coalesce(r.last_at, s.updated_at)
      from sync.streams s
      left join lateral (
        select min(sr.run_id) as first_run, max(sr.run_id) as last_run,
               min(sr.finished_at) as first_at, max(sr.finished_at) as last_at
          from sync.stream_runs sr
         where sr.stream_id = s.stream_id and sr.unread_at is not null
      ) r on true
     where s.unread_at is not null;

    comment on column sync.streams.unread_events is 'Events of the stream''s open gaps (sync.gaps), summed; null when it has none, or when any of them is of unknown size (unread_at is then set). Kept from sync.gaps by a trigger';
    comment on column sync.streams.unread_at is 'Source time of the earliest open gap (sync.gaps); null when none. Kept from sync.gaps by a trigger';
    comment on column sync.stream_runs.unread_events is 'Events of the gaps this run found or found again (sync.gaps.last_run_id) and did not close, summed; null when none, or when any of them is of unknown size';
    comment on column sync.stream_runs.unread_at is 'Source time of the earliest of those gaps; null when none';
  `.execute(db);
  await sql`
    create or replace view sync.stream_freshness as ${freshness(
      sql`case when gp.open_gaps = 0 or gp.unknown_gaps > 0 then null else gp.unread_known end as unread_events,
           gp.unread_at`,
      sql`,
           gp.unread_known,
           gp.open_gaps`,
      sql`
      left join lateral (
        select count(*) as open_gaps,
               count(*) filter (where g.unread_events is null) as unknown_gaps,
               coalesce(sum(g.unread_events), 0)::bigint as unread_known,
               min(g.at) as unread_at
          from sync.gaps g
         where g.stream_id = s.stream_id and g.closed_at is null
      ) gp on true`,
    )};
    comment on column sync.stream_freshness.unread_events is 'Events of the stream''s open gaps (sync.gaps), summed; null when it has none, or when any of them is of unknown size: see unread_known and open_gaps';
    comment on column sync.stream_freshness.unread_at is 'Source time of the earliest open gap; null when none';
    comment on column sync.stream_freshness.unread_known is 'Events of the open gaps whose size the server reported, summed (0 when none): a lower bound of the unread events when some gap is of unknown size';
    comment on column sync.stream_freshness.open_gaps is 'How many gaps of the stream are open (sync.gaps where closed_at is null), of known size or not';
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const comments = await viewColumnComments(db, "sync.stream_freshness");
  await sql`
    drop view sync.stream_freshness;
    create view sync.stream_freshness as ${freshness(
      sql`s.unread_events,
           s.unread_at`,
      sql``,
      sql``,
    )};
    comment on view sync.stream_freshness is 'One row per stream: when it last completed a read and how long ago (lag), its cursor and newest event, how many rows the warehouse holds for it, and how its last run went. Retired streams are included: filter on status <> ''retired'' for alerts';
    comment on column sync.stream_freshness.unread_events is 'Events the stream stepped past because the server would not give them (sync.streams.unread_events); null when none';
    comment on column sync.stream_freshness.unread_at is 'Source time of the earliest of them; null when none';
    comment on column sync.streams.unread_events is 'Events the stream stepped past because the server would not give them, summed over runs since the stream started or was last reset; null when none';
    comment on column sync.streams.unread_at is 'Source time of the earliest events the stream stepped past; null when none';
    comment on column sync.stream_runs.unread_events is 'Events this run could not read because the server would not give them (more in one millisecond or second than it returns in one response); null when none, or when the server does not say how many';
    comment on column sync.stream_runs.unread_at is 'Source time of the first events this run could not read; null when none';
    drop trigger gaps_keep_stream_unread on sync.gaps;
    drop function sync.gaps_keep_stream_unread();
    drop table sync.gaps;
  `.execute(db);
  for (const [column, comment] of comments) {
    if (column === "unread_events" || column === "unread_at" || column === "unread_known" || column === "open_gaps")
      continue;
    await sql`comment on column sync.stream_freshness.${sql.id(column)} is ${sql.lit(comment)}`.execute(db);
  }
}
