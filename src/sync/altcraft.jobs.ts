/**
 * Altcraft streams as engine jobs. Each run first lists the account's campaigns (and records them in
 * altcraft.campaigns); every listed campaign is a stream, a new one starting at the configured start time.
 * A campaign that is inactive, completed and whose log has ended is polled on the slow schedule until its
 * list item changes. A 401 or 403 fails the whole account: its remaining streams fail without requests.
 */
import { type AltcraftAccountConfig, resolveStartTime } from "../config/config.schema.js";
import { ApiError } from "../errors.js";
import type { HttpAgent } from "../http/post.js";
import { createRequestGate, type RequestGate } from "../http/request-gate.js";
import type { Logger } from "../log/logger.js";
import { type AltcraftClient, createAltcraftClient } from "../sources/altcraft/altcraft.client.js";
import type { CampaignItem } from "../sources/altcraft/altcraft.schemas.js";
import { type CampaignLogSettings, readCampaignLog } from "../sources/altcraft/campaign-log.stream.js";
import { type AuditPolicy, createAuditPolicy } from "../sources/page-capacity.js";
import { getCampaignStatus, listCampaigns } from "../sources/altcraft/campaigns.discovery.js";
import { heldRows, saveCampaignStatus, streamStates, upsertCampaigns } from "../warehouse/campaigns.repository.js";
import type { Warehouse } from "../warehouse/database.js";
import { type CampaignLogRowInput, campaignLogTable } from "../warehouse/copy-columns.js";
import { countCheck, onlyRereads, pageBatch, pageRows, widen } from "./altcraft.batches.js";
import { streamIdentity } from "./event-identity.js";
import type { RequestObserver, RequestTally } from "../http/with-retries.js";
import type { StreamJob, StreamBatch } from "./run-stream.js";

/** Polling state of a campaign stream, kept in sync.streams.state with the paging state. */
interface PollState {
  /** The campaign is finished: inactive, completed, its log ended. */
  finished?: boolean;
  /** When a finished campaign is polled next, ms since the epoch. */
  nextPollAt?: number;
}

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

function accountFailure(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 401 || err.code === 403);
}

export async function planAltcraftJobs(
  account: AltcraftAccountConfig,
  deps: {
    warehouse: Warehouse;
    now: () => Date;
    log: Logger;
    signal: AbortSignal;
    agent: HttpAgent;
    observer?: RequestObserver | undefined;
    /** The gate of the account's token; default: one of this process alone. */
    gate?: RequestGate;
  },
): Promise<AltcraftPlan> {
  const client = createAltcraftClient({
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
  const listing = deps.log.child({ source: "altcraft", account: account.name });
  const tally: RequestTally = {
    requests: 0,
    retries: 0,
    onRetry: ({ attempt, code, delayMs, error }) =>
      listing.warn({ attempt, code, delayMs, err: error }, "campaigns/list failed, retrying"),
    observer: deps.observer,
  };
  const campaigns = await listCampaigns(
    client,
    {
      ...(account.campaigns.type ? { type: account.campaigns.type } : {}),
      ...(account.campaigns.isActive === undefined ? {} : { isActive: account.campaigns.isActive }),
      ...(account.campaigns.ids ? { ids: account.campaigns.ids } : {}),
      ...(account.campaigns.tags ? { tags: account.campaigns.tags } : {}),
    },
    tally,
    account.pageLimit,
    deps.signal,
  );
  const changed = await upsertCampaigns(
    deps.warehouse.db,
    account.name,
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
  const states = await streamStates(deps.warehouse.db, "altcraft", account.name);
  const now = deps.now().getTime();
  const startTime = resolveStartTime(account.startTime, deps.now());
  const shared: Shared = {
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
    const stored = states.get(String(campaign.id));
    const poll = (stored?.state ?? {}) as PollState;
    // A stream whose last result was not a complete read (its account failed, a signal stopped it) is
    // read now, so its status comes back from a real read rather than waiting for the slow schedule.
    const settled = stored?.status === "succeeded" || stored?.status === "incomplete";
    if (
      campaign.is_active === false &&
      poll.finished &&
      settled &&
      !changed.has(campaign.id) &&
      now < (poll.nextPollAt ?? 0)
    ) {
      slowPolledKeys.push(String(campaign.id));
      continue;
    }
    jobs.push(campaignJob(shared, campaign, changed.has(campaign.id), deps.now));
  }
  const slowPolled = slowPolledKeys.length;
  deps.log.info(
    { account: account.name, listed: campaigns.length, streams: jobs.length, slowPolled, requests: tally.requests },
    "campaigns listed",
  );
  return {
    jobs,
    listed: campaigns.length,
    slowPolled,
    listedKeys: campaigns.map((c) => String(c.id)),
    slowPolledKeys,
    discoveryRequests: tally.requests,
  };
}

interface Shared {
  client: AltcraftClient;
  account: AltcraftAccountConfig;
  startTime: Date;
  /** Set by the first 401/403: the account's other streams fail with it. */
  failure: Error | undefined;
  log: Logger;
  /** The account's audits and largest response in this run. */
  audit: AuditPolicy;
}

function campaignJob(
  shared: Shared,
  campaign: CampaignItem,
  listChanged: boolean,
  now: () => Date,
): StreamJob<CampaignLogRowInput> {
  const { account, client } = shared;
  const identity = { source: "altcraft" as const, account: account.name, streamKey: String(campaign.id) };
  const keyPrefix = streamIdentity(identity.source, identity.account, identity.streamKey);
  const settings: CampaignLogSettings = {
    campaignId: campaign.id,
    pageLimit: account.pageLimit,
    maxPageLimit: Math.max(account.pageLimit, account.maxPageLimit),
    zone: account.timestampZone,
    startTime: shared.startTime,
    lookbackMs: account.lookback,
    completeness: account.completeness,
    capacityMemoryMs: account.capacityMemory,
    audit: shared.audit,
  };
  let last: { totalCount: number | undefined; fromTime: Date; reading: "filtered" | "all" | undefined } | undefined;
  let status:
    { is_active?: boolean | undefined; is_completed?: boolean | undefined; status?: string | undefined } | undefined;
  return {
    identity,
    table: campaignLogTable,
    async *read(start, tally, signal) {
      if (shared.failure) throw shared.failure;
      const cursorBefore = start.cursor?.getTime() ?? Number.NEGATIVE_INFINITY;
      // Rows before the start time are not wanted, unless the stream's cursor lies before it (a stream that
      // was away longer than a duration startTime resumes from its cursor).
      const startMs =
        start.cursor && cursorBefore < shared.startTime.getTime()
          ? Number.NEGATIVE_INFINITY
          : shared.startTime.getTime();
      let lastState: string | null | undefined;
      let lastTime = Number.NEGATIVE_INFINITY;
      // The log has ended when its latest run marker (a start or end row) is an end row.
      let newRows = false;
      // One page is held back until the next one is read, so the polling state can travel with the last
      // page instead of in a transaction of its own. A page that only re-reads the previous page's last
      // millisecond is not stored at all.
      let held: StreamBatch<CampaignLogRowInput> | undefined;
      let heldKeys = new Set<string>();
      try {
        const pages = readCampaignLog(
          client,
          settings,
          { cursor: start.cursor, state: start.state, now: now() },
          tally,
          signal,
          () => now().getTime(),
        );
        for await (const page of pages) {
          const rows = pageRows(page, {
            keyPrefix,
            account: account.name,
            campaignId: campaign.id,
            zone: settings.zone,
            startMs,
            cursorBefore,
            redact: client.redact,
          });
          if (rows.marker && rows.marker.time >= lastTime) ({ time: lastTime, state: lastState } = rows.marker);
          newRows ||= rows.newRows;
          last = {
            totalCount: page.totalCount,
            fromTime: page.fromTime,
            reading: page.state.totalCountReading ?? undefined,
          };
          const next = pageBatch(page, rows, campaign.id);
          if (held && onlyRereads(held, heldKeys, next)) {
            held = { ...held, state: next.state, fetched: held.fetched + next.fetched };
            if (next.covered) held.covered = widen(held.covered, next.covered);
            continue;
          }
          if (held) yield held;
          held = next;
          heldKeys = new Set(next.events.map((e) => e.event_key));
        }
        const previous = start.state as PollState & { lastState?: string | null };
        const decided = await pollState(
          shared,
          campaign,
          {
            lastState: lastState === undefined ? previous.lastState : lastState,
            recheck:
              newRows ||
              listChanged ||
              previous.finished === undefined ||
              now().getTime() >= (previous.nextPollAt ?? 0),
          },
          tally,
          now,
          signal,
        );
        status = decided?.status;
        const moved =
          decided !== undefined &&
          Object.entries(decided.state).some(([k, v]) => (previous as Record<string, unknown>)[k] !== v);
        if (held) yield moved ? { ...held, state: { ...held.state, ...decided?.state } } : held;
        else if (moved) yield { events: [], rejects: [], state: decided.state, fetched: 0 };
      } catch (err) {
        if (accountFailure(err)) shared.failure ??= err as Error;
        // What was read before the failure is still stored.
        if (held && !signal.aborted) yield held;
        throw err;
      }
    },
    async finish(warehouse) {
      if (status) await saveCampaignStatus(warehouse.db, account.name, campaign.id, status);
      const checked = last;
      if (checked?.totalCount === undefined) return { completenessGap: null };
      const rows = await heldRows(warehouse.db, account.name, campaign.id, checked.fromTime);
      return countCheck({ ...checked, totalCount: checked.totalCount }, rows, campaign.id);
    },
  };
}

/**
 * Decides the polling schedule after a read. A campaign the list shows inactive whose log ends with an
 * `end` row is asked for its status — once, not every run: again only when new rows came, its list item
 * changed, or its slow-schedule time came. Completed, it moves to the slow schedule.
 */
async function pollState(
  shared: Shared,
  campaign: CampaignItem,
  seen: { lastState: string | null | undefined; recheck: boolean },
  tally: RequestTally,
  now: () => Date,
  signal: AbortSignal,
): Promise<{ state: Record<string, unknown>; status?: Awaited<ReturnType<typeof getCampaignStatus>> } | undefined> {
  if (campaign.is_active !== false || seen.lastState !== "end") {
    return { state: { finished: false, lastState: seen.lastState ?? null } };
  }
  if (!seen.recheck) return undefined;
  const status = await getCampaignStatus(shared.client, campaign.id, tally, signal);
  const finished = status.is_completed === true && status.is_active !== true;
  return {
    state: { finished, nextPollAt: now().getTime() + shared.account.slowPollInterval, lastState: seen.lastState },
    status,
  };
}
