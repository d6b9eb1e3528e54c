/**
 * Altcraft streams as engine jobs. Each run first lists the account's campaigns (and records them in
 * altcraft.campaigns); every listed campaign is a stream, a new one starting at the configured start time.
 * A campaign that is inactive, completed and whose log has ended is polled on the slow schedule until its
 * list item changes. A 401 or 403 fails the whole account: its remaining streams fail without requests.
 * One campaign's job: altcraft.campaign-job.ts; when a campaign is polled: altcraft.polling.ts.
 */
import { type AltcraftAccountConfig, resolveStartTime } from "../config/config.schema.js";
import type { HttpAgent } from "../http/http.post.js";
import { createRequestGate, type RequestGate } from "../http/request.gate.js";
import type { Logger } from "../log/pino.logger.js";
import { type AltcraftClient, createAltcraftClient } from "../sources/altcraft/altcraft.client.js";
import type { CampaignItem } from "../sources/altcraft/altcraft.schema.js";
import { createAuditPolicy } from "../sources/page.capacity.js";
import { listCampaigns } from "../sources/altcraft/campaigns.listing.js";
import { streamStates, upsertCampaigns } from "../warehouse/campaigns.repository.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import type { CampaignLogRowInput } from "../warehouse/copy.columns.js";
import { type AccountRun, campaignJob } from "./altcraft.campaign-job.js";
import { slowPolled } from "./altcraft.polling.js";
import type { RequestObserver, RequestTally } from "../http/request.retries.js";
import type { StreamJob } from "./run-stream.engine.js";

export interface AltcraftPlan {
  jobs: StreamJob<CampaignLogRowInput>[];
  /** Campaigns listed, and those left out because they are on the slow schedule. */
  listed: number;
  slowPolled: number;
  /** Stream keys of every campaign the listing returned (complete: the listing either ends or throws). */
  listedKeys: string[];
  /** Stream keys of the finished campaigns left out: the listing showed them unchanged. */
  slowPolledKeys: string[];
  discoveryRequests: number;
}

interface PlanDependencies {
  warehouse: Warehouse;
  now: () => Date;
  log: Logger;
  signal: AbortSignal;
  agent: HttpAgent;
  observer?: RequestObserver | undefined;
  /** The gate of the account's token; default: one of this process alone. */
  gate?: RequestGate;
}

export async function planAltcraftJobs(account: AltcraftAccountConfig, deps: PlanDependencies): Promise<AltcraftPlan> {
  const client = accountClient(account, deps);
  const tally = listingTally(deps.log.child({ source: "altcraft", account: account.name }), deps.observer);
  const campaigns = await listCampaigns(client, campaignFilter(account), tally, account.pageLimit, deps.signal);
  const changed = await recordCampaigns(deps.warehouse, account.name, campaigns);
  const states = await streamStates(deps.warehouse.db, "altcraft", account.name);
  const now = deps.now().getTime();
  const startTime = resolveStartTime(account.startTime, deps.now());
  const run: AccountRun = {
    client,
    account,
    startTime,
    failure: undefined,
    log: deps.log,
    audit: createAuditPolicy(account.auditShare),
  };
  const jobs: StreamJob<CampaignLogRowInput>[] = [];
  const slowPolledKeys: string[] = [];
  for (const campaign of campaigns) {
    const listChanged = changed.has(campaign.id);
    if (slowPolled(campaign, states.get(String(campaign.id)), listChanged, now)) {
      slowPolledKeys.push(String(campaign.id));
      continue;
    }
    jobs.push(campaignJob(run, campaign, listChanged, deps.now));
  }
  const slowPolledCount = slowPolledKeys.length;
  deps.log.info(
    {
      account: account.name,
      listed: campaigns.length,
      streams: jobs.length,
      slowPolled: slowPolledCount,
      requests: tally.requests,
    },
    "campaigns listed",
  );
  return {
    jobs,
    listed: campaigns.length,
    slowPolled: slowPolledCount,
    listedKeys: campaigns.map((c) => String(c.id)),
    slowPolledKeys,
    discoveryRequests: tally.requests,
  };
}

/** The account's API client: its token, format, timeout and retries, behind its request gate. */
function accountClient(account: AltcraftAccountConfig, deps: Pick<PlanDependencies, "agent" | "gate">): AltcraftClient {
  return createAltcraftClient({
    agent: deps.agent,
    apiRoot: `${account.url.replace(/\/+$/, "")}/api/v1.1/`,
    token: account.token,
    tokenIn: account.tokenIn,
    format: account.format,
    timeoutMs: account.timeout,
    gate:
      deps.gate ??
      createRequestGate({ concurrency: account.concurrency, requestsPerSecond: account.requestsPerSecond }),
    retry: { retries: account.retries, minDelayMs: account.retryMinDelay, maxDelayMs: account.retryMaxDelay },
  });
}

/** The tally of the campaign listing's requests, warning on each retry. */
function listingTally(listing: Logger, observer: RequestObserver | undefined): RequestTally {
  return {
    requests: 0,
    retries: 0,
    onRetry: ({ attempt, code, delayMs, error }) =>
      listing.warn({ attempt, code, delayMs, err: error }, "campaigns/list failed, retrying"),
    observer,
  };
}

/** Which campaigns the account's config asks the listing for. */
function campaignFilter(account: AltcraftAccountConfig): Parameters<typeof listCampaigns>[1] {
  return {
    ...(account.campaigns.type ? { type: account.campaigns.type } : {}),
    ...(account.campaigns.isActive === undefined ? {} : { isActive: account.campaigns.isActive }),
    ...(account.campaigns.ids ? { ids: account.campaigns.ids } : {}),
    ...(account.campaigns.tags ? { tags: account.campaigns.tags } : {}),
  };
}

/** Records the listed campaigns in altcraft.campaigns; the ids whose list item changed. */
function recordCampaigns(warehouse: Warehouse, account: string, campaigns: CampaignItem[]): Promise<Set<number>> {
  return upsertCampaigns(
    warehouse.db,
    account,
    campaigns.map((c) => ({
      campaign_id: c.id,
      name: c.name ?? null,
      type: c.type ?? null,
      is_active: c.is_active ?? null,
      ui_tags: c.ui_tags,
      groups: c.groups,
      raw: c,
    })),
  );
}
