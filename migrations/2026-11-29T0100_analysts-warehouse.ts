// Frozen in time: this file never imports the application and never changes once released.
//
// The warehouse as analysts meet it: a UTC day and a stable English label stored on every Yandex.Direct
// event, a dictionary of the event types, indexes that lead with what analysts filter on, campaign runs
// kept as a table in the transaction that loads their log rows, and rows held per stream kept as a count.
import { type Kysely, sql } from "kysely";

/** The nine GetEventsLog event types: code, stable English label, Russian name, what it means, its Attributes. */
const EVENT_TYPES: readonly (readonly [string, string, string, string, Record<string, string>])[] = [
  [
    "BannerModerated",
    "Ad moderated",
    "Объявление проверено модератором",
    "A moderator reviewed an ad (BannerID) of the campaign",
    {
      ModerationResult: "Outcome of the review, as the API words it (for example accepted or declined): moderation_result",
      IsEditedByModerator: "Yes when the moderator edited the ad before accepting it: is_edited_by_moderator",
    },
  ],
  ["CampaignFinished", "Campaign finished", "Кампания завершена", "The campaign reached its end date", { FinishDate: "Date the campaign ended: finish_date" }],
  ["LowCTR", "Phrase disabled for low CTR", "Фраза отключена за низкий CTR", "A phrase (PhraseID) of an ad was switched off for a low click-through rate", {}],
  [
    "MoneyOut",
    "Out of funds",
    "Закончились средства",
    "The campaign's or shared account's money ran out; its ads stopped",
    { Rest: "Funds left, in currency, without VAT (usually 0): rest", Currency: "Currency of Rest: currency" },
  ],
  [
    "MoneyWarning",
    "Funds running low",
    "Средства на исходе",
    "The balance fell to the warning level",
    { Rest: "Funds left, in currency, without VAT: rest", Currency: "Currency of Rest: currency" },
  ],
  [
    "MoneyIn",
    "Funds added",
    "Зачислены средства",
    "Money was credited to the campaign or shared account (AccountID)",
    { Payed: "Amount credited, in currency, without VAT: payed", Currency: "Currency of Payed: currency" },
  ],
  [
    "PausedByDayBudget",
    "Paused by daily budget",
    "Остановлена по дневному бюджету",
    "The campaign spent its daily budget and stopped until the next day",
    { StopTime: "When the campaign stopped: stop_time" },
  ],
  [
    "WarnMinPrice",
    "Minimum price changed",
    "Изменилась минимальная цена",
    "The minimum bid for a phrase's position changed above the phrase's bid",
    { MinPrice: "The new minimum bid, in currency, without VAT: min_price", Currency: "Currency of MinPrice: currency" },
  ],
  ["WarnPlace", "Ad position changed", "Изменилась позиция показа", "A phrase's ad lost its position", { OldPlace: "The position it held before: old_place" }],
];

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const dictionary = EVENT_TYPES.map(
    ([code, label, nameRu, meaning, attributes]) =>
      `(${[code, label, nameRu, meaning, JSON.stringify(attributes)].map(quote).join(", ")})`,
  ).join(",\n      ");
  const labelCase = EVENT_TYPES.map(([code, label]) => `when ${quote(code)} then ${quote(label)}`).join(" ");

  await sql`
    create table yandex_direct.event_types (
      event_type text primary key,
      label text not null unique,
      name_ru text not null,
      meaning text not null,
      attributes jsonb not null
    );
    comment on table yandex_direct.event_types is 'The nine Yandex.Direct GetEventsLog event types: join on event_type for labels and what each Attributes field means';
    comment on column yandex_direct.event_types.event_type is 'Code of the type as the API sends it (EventType), e.g. MoneyIn';
    comment on column yandex_direct.event_types.label is 'Stable English name of the type, the same whatever language the account''s events are in (also stored on every event as event_label)';
    comment on column yandex_direct.event_types.name_ru is 'Russian name of the type, as the API sends it in EventName for a Russian-language account';
    comment on column yandex_direct.event_types.meaning is 'What happened, in one sentence';
    comment on column yandex_direct.event_types.attributes is 'The Attributes fields of the type: field name → what it means and the events column that holds it';
    ${sql.raw(`insert into yandex_direct.event_types (event_type, label, name_ru, meaning, attributes) values\n      ${dictionary};`)}

    -- Stored, not computed in each query: a filter on a plain column can use an index.
    alter table yandex_direct.events
      add column day date generated always as ((event_time at time zone 'UTC')::date) stored,
      ${sql.raw(`add column event_label text generated always as (case event_type ${labelCase} end) stored;`)}
    comment on column yandex_direct.events.day is 'Day of event_time in UTC: filter and group on it, it is indexed';
    comment on column yandex_direct.events.event_label is 'Stable English name of event_type (yandex_direct.event_types.label), next to event_name, which is in the account''s language';
    comment on column yandex_direct.events.currency is 'Currency the money values of the row are in: the account''s configured currency, on every row (null only on rows loaded before every row carried it, in a stream that then had no money event)';

    -- Rows loaded before the currency was stored on every row: the currency of a money event of the same
    -- stream (all of a stream's events are requested in one currency).
    update yandex_direct.events e set currency = m.currency
      from (select distinct on (stream_id) stream_id, currency from yandex_direct.events
             where currency is not null order by stream_id, event_time desc) m
     where e.stream_id = m.stream_id and e.currency is null;

    -- Indexes lead with what analysts filter on. (account, login, event_time) stays: it finds a stream's
    -- newest event.
    drop index yandex_direct.events_campaign_time_idx;
    drop index yandex_direct.events_type_time_idx;
    create index events_login_day_idx on yandex_direct.events (login, day);
    create index events_campaign_day_idx on yandex_direct.events (campaign_id, day);
    create index events_type_day_idx on yandex_direct.events (event_type, day);

    drop view yandex_direct.money_movements;
    create view yandex_direct.money_movements as
    select e.account,
           e.login,
           e.campaign_id,
           e.account_id,
           e.day,
           e.currency,
           coalesce(sum(e.payed) filter (where e.event_type = 'MoneyIn'), 0) as money_in,
           count(*) filter (where e.event_type = 'MoneyIn') as money_in_count,
           (array_agg(e.rest order by e.event_time desc, (e.event_type = 'MoneyOut') desc, e.rest nulls first)
              filter (where e.event_type in ('MoneyWarning', 'MoneyOut')))[1] as last_rest,
           count(*) filter (where e.event_type = 'MoneyWarning') as money_warnings,
           count(*) filter (where e.event_type = 'MoneyOut') as money_outs
      from yandex_direct.events e
     where e.event_type in ('MoneyIn', 'MoneyWarning', 'MoneyOut')
     group by e.account, e.login, e.campaign_id, e.account_id, e.day, e.currency;
    comment on view yandex_direct.money_movements is 'Yandex.Direct money per advertiser login, campaign (or shared account), UTC day and currency: credits (MoneyIn), warnings (MoneyWarning), money running out (MoneyOut). One row per login, campaign, day and currency';
    comment on column yandex_direct.money_movements.account is 'Account name from the configuration';
    comment on column yandex_direct.money_movements.login is 'Advertiser login the events belong to';
    comment on column yandex_direct.money_movements.campaign_id is 'Campaign whose balance moved; null for movements of a shared account (see account_id)';
    comment on column yandex_direct.money_movements.account_id is 'Shared account whose balance moved; null for movements of a campaign balance';
    comment on column yandex_direct.money_movements.day is 'Day of the events, in UTC';
    comment on column yandex_direct.money_movements.currency is 'Currency of money_in and last_rest: the account''s configured currency';
    comment on column yandex_direct.money_movements.money_in is 'Sum credited that day (payed of MoneyIn events), in currency, without VAT; 0 when nothing was credited';
    comment on column yandex_direct.money_movements.money_in_count is 'MoneyIn events that day';
    comment on column yandex_direct.money_movements.last_rest is 'Remaining funds reported by the last MoneyWarning or MoneyOut event of the day, in currency, without VAT; null when there was none or it reported no rest';
    comment on column yandex_direct.money_movements.money_warnings is 'MoneyWarning events that day (balance fell to the warning level)';
    comment on column yandex_direct.money_movements.money_outs is 'MoneyOut events that day (the money ran out)';

    -- Campaign runs as a table, rebuilt for the campaigns a statement touched, in that statement's
    -- transaction: a query over a time range reads an index of runs instead of sorting the whole log.
    create table altcraft.runs (
      account text not null,
      campaign_id bigint not null,
      start_key uuid not null,
      started_at timestamptz not null,
      finished_at timestamptz,
      time_spent_ms double precision,
      warnings bigint not null,
      errors bigint not null,
      primary key (account, campaign_id, started_at, start_key)
    );
    create index runs_started_at_idx on altcraft.runs (started_at);
    create index runs_running_idx on altcraft.runs (account, campaign_id) where finished_at is null;
    comment on table altcraft.runs is 'One row per Altcraft campaign run, kept by the warehouse from altcraft.campaign_log in the transaction that loads the log rows; query altcraft.campaign_runs, which adds names and durations';
    comment on column altcraft.runs.account is 'Account name from the configuration';
    comment on column altcraft.runs.campaign_id is 'Campaign id in Altcraft';
    comment on column altcraft.runs.start_key is 'event_key of the start row (altcraft.campaign_log)';
    comment on column altcraft.runs.started_at is 'Time of the start row (UTC, millisecond precision)';
    comment on column altcraft.runs.finished_at is 'Time of the first end row after the start and before the next start; null while there is none';
    comment on column altcraft.runs.time_spent_ms is 'Duration Altcraft reported in the "Total time spent" row after the end row, in milliseconds; null if there is none';
    comment on column altcraft.runs.warnings is 'WARNING rows from the start row to the end row (to the latest row while running)';
    comment on column altcraft.runs.errors is 'ERROR rows from the start row to the end row (to the latest row while running)';

    -- Rebuilds the runs of one campaign that begin at or after the last start row before since. Log rows
    -- at or after since belong to that run or later ones, so the runs before it do not change.
    -- Order within one millisecond: an end row, then "Total time spent", then a start row, then the rest
    -- (a deactivated run writes its end and total at the same millisecond, and the next run may begin in
    -- it); event_key breaks the remaining ties, so a rebuild always gives the same runs.
    create function altcraft.rebuild_runs(p_account text, p_campaign_id bigint, p_since timestamptz)
    returns void language plpgsql as $fn$
    declare
      v_from timestamptz;
    begin
      select max(l.time) into v_from
        from altcraft.campaign_log l
       where l.account = p_account and l.campaign_id = p_campaign_id and l.state = 'start' and l.time < p_since;
      v_from := coalesce(v_from, '-infinity');
      delete from altcraft.runs r
       where r.account = p_account and r.campaign_id = p_campaign_id and r.started_at >= v_from;
      insert into altcraft.runs (account, campaign_id, start_key, started_at, finished_at, time_spent_ms, warnings, errors)
      with ordered as (
        select l.event_key, l.time, l.level, l.message, l.state, l.value_ms,
               case when l.state = 'end' then 0
                    when l.message = 'Total time spent' then 1
                    when l.state = 'start' then 2
                    else 3 end as tie_order
          from altcraft.campaign_log l
         where l.account = p_account and l.campaign_id = p_campaign_id and l.time >= v_from
      ),
      numbered as (
        select o.*,
               count(*) filter (where o.state = 'start') over w as run_no,
               count(*) filter (where o.state = 'end') over w as ends_through
          from ordered o
        window w as (order by o.time, o.tie_order, o.event_key rows unbounded preceding)
      ),
      placed as (
        select n.*,
               n.ends_through - (n.state is not distinct from 'end')::int
                 - coalesce(max(case when n.state = 'start' then n.ends_through end) over w, 0) as ends_before
          from numbered n
        window w as (order by n.time, n.tie_order, n.event_key rows unbounded preceding)
      )
      select p_account, p_campaign_id,
             (array_agg(p.event_key order by p.time, p.tie_order, p.event_key) filter (where p.state = 'start'))[1],
             min(p.time),
             min(p.time) filter (where p.state = 'end' and p.ends_before = 0),
             (array_agg(p.value_ms order by p.time) filter (where p.message = 'Total time spent' and p.ends_before = 1))[1],
             count(*) filter (where p.level = 'WARNING' and p.ends_before = 0),
             count(*) filter (where p.level = 'ERROR' and p.ends_before = 0)
        from placed p
       where p.run_no > 0
       group by p.run_no;
    end
    $fn$;
    comment on function altcraft.rebuild_runs(text, bigint, timestamptz) is 'Rebuilds altcraft.runs of one campaign from the last start row before the given time';

    create function altcraft.runs_after_insert() returns trigger language plpgsql as $fn$
    begin
      perform altcraft.rebuild_runs(t.account, t.campaign_id, t.since)
         from (select account, campaign_id, min(time) as since from inserted group by account, campaign_id) t;
      return null;
    end
    $fn$;
    create function altcraft.runs_after_delete() returns trigger language plpgsql as $fn$
    begin
      perform altcraft.rebuild_runs(t.account, t.campaign_id, t.since)
         from (select account, campaign_id, min(time) as since from removed group by account, campaign_id) t;
      return null;
    end
    $fn$;
    create trigger campaign_log_runs_insert after insert on altcraft.campaign_log
      referencing new table as inserted for each statement execute function altcraft.runs_after_insert();
    create trigger campaign_log_runs_delete after delete on altcraft.campaign_log
      referencing old table as removed for each statement execute function altcraft.runs_after_delete();
    select altcraft.rebuild_runs(c.account, c.campaign_id, '-infinity')
      from (select distinct account, campaign_id from altcraft.campaign_log) c;

    drop view altcraft.campaign_runs;
    create view altcraft.campaign_runs as
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
      from altcraft.runs r
      left join altcraft.campaigns c on c.account = r.account and c.campaign_id = r.campaign_id;
    comment on view altcraft.campaign_runs is 'One row per Altcraft campaign run: a start row (Begin campaign) paired with the first end row (Campaign finished) of the same account and campaign before the next start. Kept up to date in the transaction that loads the log, so filters on started_at are fast';
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

    -- Rows held per stream, counted as they are inserted or deleted (in the same statement's transaction),
    -- so the freshness view reads a number instead of counting both event tables.
    alter table sync.streams add column rows_held bigint not null default 0;
    comment on column sync.streams.rows_held is 'Rows the warehouse holds for the stream (altcraft.campaign_log or yandex_direct.events), kept by triggers on those tables';
    update sync.streams s set rows_held = h.n
      from (select stream_id, count(*) as n from altcraft.campaign_log group by stream_id
            union all
            select stream_id, count(*) as n from yandex_direct.events group by stream_id) h
     where h.stream_id = s.stream_id;
    create function sync.count_rows_inserted() returns trigger language plpgsql as $fn$
    begin
      update sync.streams s set rows_held = s.rows_held + t.n
        from (select stream_id, count(*) as n from inserted group by stream_id) t
       where s.stream_id = t.stream_id;
      return null;
    end
    $fn$;
    create function sync.count_rows_deleted() returns trigger language plpgsql as $fn$
    begin
      update sync.streams s set rows_held = s.rows_held - t.n
        from (select stream_id, count(*) as n from removed group by stream_id) t
       where s.stream_id = t.stream_id;
      return null;
    end
    $fn$;
    create trigger campaign_log_rows_inserted after insert on altcraft.campaign_log
      referencing new table as inserted for each statement execute function sync.count_rows_inserted();
    create trigger campaign_log_rows_deleted after delete on altcraft.campaign_log
      referencing old table as removed for each statement execute function sync.count_rows_deleted();
    create trigger events_rows_inserted after insert on yandex_direct.events
      referencing new table as inserted for each statement execute function sync.count_rows_inserted();
    create trigger events_rows_deleted after delete on yandex_direct.events
      referencing old table as removed for each statement execute function sync.count_rows_deleted();
  `.execute(db);
  await sql`
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
           s.unread_events,
           s.unread_at,
           s.retired_at
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
      ) lr on true;
    comment on column sync.stream_freshness.rows_held is 'Rows the warehouse holds for the stream (altcraft.campaign_log or yandex_direct.events)';
  `.execute(db);
}

// Back to the views as the earlier migrations left them (their comments are not restored).
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
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
    drop trigger events_rows_deleted on yandex_direct.events;
    drop trigger events_rows_inserted on yandex_direct.events;
    drop trigger campaign_log_rows_deleted on altcraft.campaign_log;
    drop trigger campaign_log_rows_inserted on altcraft.campaign_log;
    drop function sync.count_rows_deleted();
    drop function sync.count_rows_inserted();
    alter table sync.streams drop column rows_held;

    drop view altcraft.campaign_runs;
    create view altcraft.campaign_runs as
    with ordered as (
      select l.account, l.campaign_id, l.time, l.level, l.message, l.state, l.value_ms,
             case when l.state = 'end' then 0 when l.message = 'Total time spent' then 1
                  when l.state = 'start' then 2 else 3 end as tie_order
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
    select r.account, r.campaign_id, c.name as campaign_name, r.started_at, r.finished_at,
           r.finished_at - r.started_at as duration,
           (extract(epoch from r.finished_at - r.started_at) * 1000)::double precision as duration_ms,
           r.time_spent_ms, r.warnings, r.errors,
           case when r.finished_at is null then 'running' else 'finished' end as status
      from runs r
      left join altcraft.campaigns c on c.account = r.account and c.campaign_id = r.campaign_id;
    drop trigger campaign_log_runs_delete on altcraft.campaign_log;
    drop trigger campaign_log_runs_insert on altcraft.campaign_log;
    drop function altcraft.runs_after_delete();
    drop function altcraft.runs_after_insert();
    drop function altcraft.rebuild_runs(text, bigint, timestamptz);
    drop table altcraft.runs;

    drop view yandex_direct.money_movements;
    create view yandex_direct.money_movements as
    select e.account, e.login, e.campaign_id, e.account_id,
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
    drop index yandex_direct.events_type_day_idx;
    drop index yandex_direct.events_campaign_day_idx;
    drop index yandex_direct.events_login_day_idx;
    create index events_campaign_time_idx on yandex_direct.events (campaign_id, event_time);
    create index events_type_time_idx on yandex_direct.events (event_type, event_time);
    alter table yandex_direct.events drop column event_label, drop column day;
    drop table yandex_direct.event_types;
  `.execute(db);
}
