import { type Kysely, sql } from "kysely";
import { valueWithoutNul } from "./nul.replacement.js";
import type { Database, StreamStatus } from "./warehouse.tables.js";

export interface ListedCampaign {
  campaign_id: number;
  name: string | null;
  type: string | null;
  is_active: boolean | null;
  ui_tags: unknown;
  groups: unknown;
  raw: unknown;
}

/**
 * Upserts the listed campaigns of an account; returns the ids that are new or whose list item changed
 * since the last run (their polling goes back to the normal schedule). A U+0000 in any text of a list item
 * (name, type, tags, the raw item) is stored as U+FFFD, as in event text (nul.replacement.ts).
 */
export async function upsertCampaigns(
  db: Kysely<Database>,
  account: string,
  listed: readonly ListedCampaign[],
): Promise<Set<number>> {
  if (listed.length === 0) return new Set();
  const campaigns = listed.map(valueWithoutNul);
  const result = await sql<{ campaign_id: number }>`
    insert into altcraft.campaigns as c (account, campaign_id, name, type, is_active, ui_tags, groups, raw)
    select ${account}, t.campaign_id, t.name, t.type, t.is_active, t.ui_tags, t.groups, t.raw
      from unnest(${campaigns.map((c) => c.campaign_id)}::bigint[], ${campaigns.map((c) => c.name)}::text[], ${campaigns.map((c) => c.type)}::text[],
                  ${campaigns.map((c) => c.is_active)}::boolean[], ${campaigns.map((c) => JSON.stringify(c.ui_tags ?? null))}::jsonb[],
                  ${campaigns.map((c) => JSON.stringify(c.groups ?? null))}::jsonb[], ${campaigns.map((c) => JSON.stringify(c.raw))}::jsonb[])
        as t(campaign_id, name, type, is_active, ui_tags, groups, raw)
    on conflict (account, campaign_id) do update set
      name = excluded.name, type = excluded.type, is_active = excluded.is_active, ui_tags = excluded.ui_tags,
      groups = excluded.groups, raw = excluded.raw, last_seen_at = now(),
      updated_at = case when c.raw is distinct from excluded.raw then now() else c.updated_at end
    returning c.campaign_id, (xmax = 0 or c.updated_at = now()) as changed`.execute(db);
  return new Set(
    (result.rows as Array<{ campaign_id: number; changed: boolean }>)
      .filter((r) => r.changed)
      .map((r) => Number(r.campaign_id)),
  );
}

/** Records what campaigns/get_status said (a U+0000 in its status text stored as U+FFFD). */
export async function saveCampaignStatus(
  db: Kysely<Database>,
  account: string,
  campaignId: number,
  said: { is_active?: boolean | undefined; is_completed?: boolean | undefined; status?: string | undefined },
) {
  const status = valueWithoutNul(said);
  await db
    .updateTable("altcraft.campaigns")
    .set({
      is_completed: status.is_completed ?? null,
      status: status.status ?? null,
      ...(status.is_active === undefined ? {} : { is_active: status.is_active }),
    })
    .where("account", "=", account)
    .where("campaign_id", "=", campaignId)
    .execute();
}

/** Rows held for a campaign: all of them, those at or after `since`, and those after it. */
export async function heldRows(
  db: Kysely<Database>,
  account: string,
  campaignId: number,
  since: Date,
): Promise<{ all: number; atOrAfter: number; after: number }> {
  const r = await db
    .selectFrom("altcraft.campaign_log")
    .select([
      sql<number>`count(*)::int`.as("all"),
      sql<number>`count(*) filter (where time >= ${since})::int`.as("atOrAfter"),
      sql<number>`count(*) filter (where time > ${since})::int`.as("after"),
    ])
    .where("account", "=", account)
    .where("campaign_id", "=", campaignId)
    .executeTakeFirstOrThrow();
  return { all: r.all, atOrAfter: r.atOrAfter, after: r.after };
}

/** Stored paging state and status of every stream of an account, by stream key. */
export async function streamStates(
  db: Kysely<Database>,
  source: "altcraft" | "yandex_direct",
  account: string,
): Promise<Map<string, { state: Record<string, unknown>; status: StreamStatus }>> {
  const rows = await db
    .selectFrom("sync.streams")
    .select(["stream_key", "state", "status"])
    .where("source", "=", source)
    .where("account", "=", account)
    .execute();
  return new Map(rows.map((r) => [r.stream_key, { state: r.state, status: r.status }]));
}
