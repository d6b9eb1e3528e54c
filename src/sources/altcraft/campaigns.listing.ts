/** Campaign discovery: every page of campaigns/list (keyset paging by from_id / next_from_id), and statuses. */
import { MalformedResponseError } from "../../errors.js";
import type { RequestTally } from "../../http/request.retries.js";
import { redactedSnippet } from "../../http/secrets.redactor.js";
import type { AltcraftClient } from "./altcraft.client.js";
import { type CampaignItem, type CampaignStatus, campaignSchema, statusSchema } from "./altcraft.schema.js";
import { campaignFromXml } from "./campaigns.xml-shape.js";

export interface CampaignFilter {
  /** API filter `type`. */
  type?: string;
  /** API filter `is_active`. */
  isActive?: boolean;
  /** Only these ids (checked here). */
  ids?: readonly number[];
  /** Only campaigns with one of these UI tags (checked here). */
  tags?: readonly string[];
}

function tagsOf(item: CampaignItem): string[] {
  const tags = item.ui_tags;
  if (!Array.isArray(tags)) return typeof tags === "string" && tags ? [tags] : [];
  return tags.map((t) =>
    typeof t === "string"
      ? t
      : typeof t === "object" && t && "name" in t
        ? String((t as { name: unknown }).name)
        : String(t),
  );
}

/** Lists campaigns page by page until a page is empty (a short page does not prove the end). */
export async function listCampaigns(
  client: AltcraftClient,
  filter: CampaignFilter,
  tally: RequestTally,
  pageLimit: number,
  signal?: AbortSignal,
): Promise<CampaignItem[]> {
  const found: CampaignItem[] = [];
  let fromId = 1;
  for (;;) {
    const params: Record<string, string | number | boolean> = { from_id: fromId, limit: pageLimit };
    if (filter.type) params.type = filter.type;
    if (filter.isActive !== undefined) params.is_active = filter.isActive;
    const envelope = await client.call("campaigns/list", params, tally, signal);
    const data = Array.isArray(envelope.data) ? envelope.data : envelope.data ? [envelope.data] : [];
    if (data.length === 0) break;
    let maxId = 0;
    for (const sent of data) {
      const raw = client.format === "xml" ? campaignFromXml(sent) : sent;
      const item = campaignSchema.safeParse(raw);
      if (!item.success)
        throw new MalformedResponseError(
          "campaigns/list returned an item without a numeric id",
          redactedSnippet(JSON.stringify(raw), client.redact),
        );
      found.push(item.data);
      maxId = Math.max(maxId, item.data.id);
    }
    const next =
      envelope.next_from_id !== undefined && envelope.next_from_id > fromId ? envelope.next_from_id : maxId + 1;
    if (next <= fromId)
      throw new MalformedResponseError(
        `campaigns/list does not advance past from_id ${fromId}`,
        redactedSnippet(JSON.stringify(envelope), client.redact),
      );
    fromId = next;
  }
  const ids = filter.ids ? new Set(filter.ids) : undefined;
  const tags = filter.tags ? new Set(filter.tags) : undefined;
  return found.filter((c) => (!ids || ids.has(c.id)) && (!tags || tagsOf(c).some((t) => tags.has(t))));
}

export async function getCampaignStatus(
  client: AltcraftClient,
  campaignId: number,
  tally: RequestTally,
  signal?: AbortSignal,
): Promise<CampaignStatus> {
  const envelope = await client.call("campaigns/get_status", { id: campaignId }, tally, signal);
  // In XML every <data> element reads as an array item; the status is the only one.
  const status = statusSchema.safeParse(
    Array.isArray(envelope.data) && envelope.data.length === 1 ? envelope.data[0] : envelope.data,
  );
  if (!status.success)
    throw new MalformedResponseError(
      "campaigns/get_status answered without a status",
      redactedSnippet(JSON.stringify(envelope), client.redact),
    );
  return status.data;
}
