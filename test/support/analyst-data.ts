/**
 * A warehouse shaped like a real one for the analysts' queries: Yandex.Direct events of many logins and
 * campaigns and Altcraft campaign runs, spread over two years up to now, generated inside PostgreSQL (so a
 * million rows take seconds), then analysed so the planner sees the real sizes.
 */
import type pg from "pg";

export interface AnalystDataSize {
  /** yandex_direct.events rows. */
  events: number;
  /** altcraft.campaign_log rows (runs of 10 rows each). */
  logRows: number;
  logins?: number;
  campaigns?: number;
  altcraftCampaigns?: number;
  /** How far back the events go. Default 730. */
  days?: number;
}

const TYPES = [
  "MoneyIn",
  "MoneyWarning",
  "MoneyOut",
  "BannerModerated",
  "CampaignFinished",
  "LowCTR",
  "PausedByDayBudget",
  "WarnMinPrice",
  "WarnPlace",
];

/** Fills an empty, migrated warehouse. Deterministic for one size (the random generator is seeded). */
export async function fillAnalystData(pool: pg.Pool, size: AnalystDataSize): Promise<void> {
  const logins = size.logins ?? 200;
  const campaigns = size.campaigns ?? 4000;
  const altcraftCampaigns = size.altcraftCampaigns ?? 1000;
  const days = size.days ?? 730;
  const client = await pool.connect();
  try {
    await client.query("set statement_timeout = 0");
    await client.query("select setseed(0.42)");
    const runId = (
      await client.query<{ run_id: number }>(
        "insert into sync.runs (command, host, pid, status) values ('analyst-data', 'localhost', 0, 'succeeded') returning run_id",
      )
    ).rows[0]!.run_id;
    await client.query(
      `insert into sync.streams (source, account, stream_key)
       select 'yandex_direct', 'agency', 'client-' || i from generate_series(0, $1::int - 1) i
       union all
       select 'altcraft', 'main', (1000 + i)::text from generate_series(0, $2::int - 1) i`,
      [logins, altcraftCampaigns],
    );
    // Each login has its own campaigns (campaign c belongs to login c % logins), as in Yandex.Direct.
    await client.query(
      `insert into yandex_direct.events (event_key, stream_id, account, login, event_time, event_type, event_name,
                                         campaign_id, banner_id, account_id, rest, payed, currency, occurrence, raw, run_id)
       select gen_random_uuid(), s.stream_id, 'agency', s.stream_key, e.at, e.type, e.type,
              e.campaign, case when e.type = 'BannerModerated' then e.g else null end, null,
              case when e.type in ('MoneyWarning', 'MoneyOut') then round((random() * 1000)::numeric, 2) end,
              case when e.type = 'MoneyIn' then round((random() * 50000)::numeric, 2) end,
              'RUB', 0, jsonb_build_object('EventType', e.type, 'CampaignID', e.campaign), $1
         from (select g, 1 + (g::bigint * 7919) % $3::int as campaign,
                      ($4::text[])[1 + (g::bigint * 31) % 9] as type,
                      now() - random() * ($5::int * interval '1 day') as at
                 from generate_series(1, $2::int) g) e
         join sync.streams s on s.source = 'yandex_direct' and s.account = 'agency' and s.stream_key = 'client-' || (e.campaign % $6::int)`,
      [runId, size.events, campaigns, TYPES, days, logins],
    );
    // Runs of 10 rows: a start, 7 progress rows (some warnings and errors), an end and "Total time spent".
    await client.query(
      `insert into altcraft.campaign_log (event_key, stream_id, account, campaign_id, time, level, message, state, value, value_ms, occurrence, raw, run_id)
       select gen_random_uuid(), s.stream_id, 'main', r.campaign, r.at + k * interval '1 second' + (k = 9)::int * interval '1 millisecond',
              case when k in (3, 6) then 'WARNING' when k = 5 and r.r % 4 = 0 then 'ERROR' else 'INFO' end,
              case k when 0 then 'Begin campaign' when 8 then 'Campaign finished' when 9 then 'Total time spent' else 'Batch sent' end,
              case k when 0 then 'start' when 8 then 'end' else '' end,
              case when k = 9 then '8.001s' else '' end,
              case when k = 9 then 8001 end,
              0, jsonb_build_object('k', k), $1
         from (select r, 1000 + (r * 7) % $3::int as campaign, now() - random() * ($4::int * interval '1 day') as at
                 from generate_series(0, $2::int / 10 - 1) r) r
         cross join generate_series(0, 9) k
         join sync.streams s on s.source = 'altcraft' and s.account = 'main' and s.stream_key = r.campaign::text`,
      [runId, size.logRows, altcraftCampaigns, days],
    );
    await client.query("analyze");
  } finally {
    client.release();
  }
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

/** Event tables a query's plan reads from end to end (Seq Scan nodes), from `explain (format json)`. */
export async function eventTablesScanned(pool: pg.Pool | pg.PoolClient, query: string): Promise<string[]> {
  const walk = (node: PlanNode): string[] => [
    ...(node["Node Type"] === "Seq Scan" && ["events", "campaign_log"].includes(node["Relation Name"] ?? "")
      ? [node["Relation Name"]!]
      : []),
    ...(node.Plans ?? []).flatMap(walk),
  ];
  const plan = await pool.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(`explain (format json) ${query}`);
  return walk(plan.rows[0]!["QUERY PLAN"][0].Plan);
}
