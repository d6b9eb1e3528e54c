// Frozen in time: this file never imports the application and never changes once released.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create schema altcraft;
    comment on schema altcraft is 'Altcraft Platform API v1.1: campaigns and their logs (campaigns/list, campaigns/log_v2)';
    create schema yandex_direct;
    comment on schema yandex_direct is 'Yandex.Direct API Live 4: the events log of each advertiser (GetEventsLog)';

    create table altcraft.campaigns (
      account text not null,
      campaign_id bigint not null,
      name text,
      type text,
      is_active boolean,
      is_completed boolean,
      status text,
      ui_tags jsonb,
      groups jsonb,
      raw jsonb not null,
      first_seen_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (account, campaign_id)
    );
    comment on table altcraft.campaigns is 'Altcraft campaigns (mailings) as last listed by campaigns/list and campaigns/get_status';
    comment on column altcraft.campaigns.account is 'Account name from the configuration';
    comment on column altcraft.campaigns.campaign_id is 'Campaign id in Altcraft';
    comment on column altcraft.campaigns.name is 'Campaign name';
    comment on column altcraft.campaigns.type is 'Campaign type: broadcast, regular, trigger, splittest, …';
    comment on column altcraft.campaigns.is_active is 'Campaign active flag';
    comment on column altcraft.campaigns.is_completed is 'Campaign finished flag (campaigns/get_status)';
    comment on column altcraft.campaigns.status is 'Current campaign status text (campaigns/get_status)';
    comment on column altcraft.campaigns.ui_tags is 'Interface tags of the campaign';
    comment on column altcraft.campaigns.groups is 'Groups the campaign belongs to';
    comment on column altcraft.campaigns.raw is 'The list item exactly as the API sent it';
    comment on column altcraft.campaigns.first_seen_at is 'When a run first listed the campaign';
    comment on column altcraft.campaigns.last_seen_at is 'When a run last listed the campaign';
    comment on column altcraft.campaigns.updated_at is 'When a listed field last changed';

    create table altcraft.campaign_log (
      event_key uuid primary key,
      stream_id bigint not null references sync.streams (stream_id),
      account text not null,
      campaign_id bigint not null,
      time timestamptz not null,
      level text,
      message text,
      state text,
      value text,
      value_ms double precision,
      occurrence integer not null,
      raw jsonb not null,
      run_id bigint not null references sync.runs (run_id),
      loaded_at timestamptz not null default now()
    );
    comment on table altcraft.campaign_log is 'Altcraft campaign log entries (campaigns/log_v2): one row per entry, identical entries in one millisecond kept as separate rows';
    comment on column altcraft.campaign_log.event_key is 'Identity of the entry: hash of stream, canonical record and occurrence; the same entry read twice gets the same key';
    comment on column altcraft.campaign_log.stream_id is 'Stream (account and campaign) the entry was read from';
    comment on column altcraft.campaign_log.account is 'Account name from the configuration';
    comment on column altcraft.campaign_log.campaign_id is 'Campaign id in Altcraft';
    comment on column altcraft.campaign_log.time is 'Entry registration time (UTC, millisecond precision)';
    comment on column altcraft.campaign_log.level is 'Logging level: DEBUG, INFO, WARNING, ERROR';
    comment on column altcraft.campaign_log.message is 'Log entry text, e.g. Begin campaign, Campaign finished, Total time spent';
    comment on column altcraft.campaign_log.state is 'Entry status: start (campaign start), end (campaign finish), or empty';
    comment on column altcraft.campaign_log.value is 'Value associated with the entry, as sent (e.g. 138.351985ms)';
    comment on column altcraft.campaign_log.value_ms is 'The value in milliseconds when it is a duration (138.351985ms, 2.5s, 1m3s); null otherwise';
    comment on column altcraft.campaign_log.occurrence is 'How many identical entries at the same time came before this one in one response (0 for most)';
    comment on column altcraft.campaign_log.raw is 'The entry exactly as the API sent it';
    comment on column altcraft.campaign_log.run_id is 'Run that loaded the row';
    comment on column altcraft.campaign_log.loaded_at is 'When the row was loaded';
    create index campaign_log_time_idx on altcraft.campaign_log (time);
    create index campaign_log_campaign_time_idx on altcraft.campaign_log (account, campaign_id, time);
    create index campaign_log_level_time_idx on altcraft.campaign_log (level, time);

    create table yandex_direct.events (
      event_key uuid primary key,
      stream_id bigint not null references sync.streams (stream_id),
      account text not null,
      login text not null,
      event_time timestamptz not null,
      event_type text not null,
      event_name text,
      campaign_id bigint,
      banner_id bigint,
      phrase_id bigint,
      account_id bigint,
      text_description text,
      moderation_result text,
      is_edited_by_moderator boolean,
      min_price numeric,
      rest numeric,
      payed numeric,
      currency text,
      finish_date date,
      old_place text,
      stop_time timestamptz,
      occurrence integer not null,
      raw jsonb not null,
      run_id bigint not null references sync.runs (run_id),
      loaded_at timestamptz not null default now()
    );
    comment on table yandex_direct.events is 'Yandex.Direct events log entries (GetEventsLog, Live 4): one row per event, identical events in one second kept as separate rows';
    comment on column yandex_direct.events.event_key is 'Identity of the event: hash of stream, canonical record and occurrence; the same event read twice gets the same key';
    comment on column yandex_direct.events.stream_id is 'Stream (account and login) the event was read from';
    comment on column yandex_direct.events.account is 'Account name from the configuration';
    comment on column yandex_direct.events.login is 'Advertiser login the event belongs to (the agency client, or the token owner)';
    comment on column yandex_direct.events.event_time is 'When the event was registered (Timestamp), UTC';
    comment on column yandex_direct.events.event_type is 'Event type: BannerModerated, CampaignFinished, LowCTR, MoneyOut, MoneyWarning, MoneyIn, PausedByDayBudget, WarnMinPrice, WarnPlace';
    comment on column yandex_direct.events.event_name is 'Short description of the event in the requested locale (EventName)';
    comment on column yandex_direct.events.campaign_id is 'Campaign the event relates to (CampaignID); may be absent';
    comment on column yandex_direct.events.banner_id is 'Ad the event relates to (BannerID); may be absent';
    comment on column yandex_direct.events.phrase_id is 'Phrase the event relates to (PhraseID); may be absent';
    comment on column yandex_direct.events.account_id is 'Shared account the event relates to (AccountID); may be absent';
    comment on column yandex_direct.events.text_description is 'Description of the event (TextDescription), when requested';
    comment on column yandex_direct.events.moderation_result is 'Moderation result (BannerModerated)';
    comment on column yandex_direct.events.is_edited_by_moderator is 'Whether the moderator edited the ad (BannerModerated, Yes/No)';
    comment on column yandex_direct.events.min_price is 'New minimum price per click (WarnMinPrice), in currency';
    comment on column yandex_direct.events.rest is 'Remaining funds (MoneyWarning, MoneyOut), in currency, without VAT';
    comment on column yandex_direct.events.payed is 'Amount credited (MoneyIn), in currency, without VAT';
    comment on column yandex_direct.events.currency is 'Currency of min_price, rest and payed: RUB, CHF, EUR, KZT, TRY, UAH, USD, BYN';
    comment on column yandex_direct.events.finish_date is 'Date the campaign stopped (CampaignFinished)';
    comment on column yandex_direct.events.old_place is 'Previous ad position (WarnPlace)';
    comment on column yandex_direct.events.stop_time is 'When the campaign stopped (PausedByDayBudget)';
    comment on column yandex_direct.events.occurrence is 'How many identical events in the same second came before this one in one response (0 for most)';
    comment on column yandex_direct.events.raw is 'The event exactly as the API sent it';
    comment on column yandex_direct.events.run_id is 'Run that loaded the row';
    comment on column yandex_direct.events.loaded_at is 'When the row was loaded';
    create index events_time_idx on yandex_direct.events (event_time);
    create index events_login_time_idx on yandex_direct.events (account, login, event_time);
    create index events_campaign_time_idx on yandex_direct.events (campaign_id, event_time);
    create index events_type_time_idx on yandex_direct.events (event_type, event_time);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop schema yandex_direct cascade; drop schema altcraft cascade`.execute(db);
}
