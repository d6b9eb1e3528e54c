/**
 * One Altcraft campaign's stream as an engine job (docs/architecture.md, Glossary: job, batch, slow poll). Its
 * read takes the campaign log's pages from the checkpoint on as the reader yields them, holds each back until
 * the next one is read, and hands the last on with the polling state; its finish saves the status asked for
 * and checks total_count. The decisions are named units: where the log ends (the reader's evidence), when the
 * campaign is polled next (altcraft.polling.ts), what a page's rows are (altcraft.batches.ts).
 */
import type { AltcraftAccountConfig } from "../config/config.schema.js";
import { ApiError } from "../errors.js";
import type { RequestTally } from "../http/request.retries.js";
import type { Logger } from "../log/pino.logger.js";
import type { AltcraftClient } from "../sources/altcraft/altcraft.client.js";
import type { CampaignItem, CampaignStatus } from "../sources/altcraft/altcraft.schema.js";
import { lastRunState, latestRunMarker } from "../sources/altcraft/campaign-log.evidence.js";
import { type CampaignLogSettings, readCampaignLog } from "../sources/altcraft/campaign-log.stream.js";
import type { AuditPolicy } from "../sources/page.capacity.js";
import { heldRows, saveCampaignStatus } from "../warehouse/campaigns.repository.js";
import { type CampaignLogRowInput, campaignLogTable } from "../warehouse/copy.columns.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { countCheck, onlyRereads, pageBatch, pageRows, widen } from "./altcraft.batches.js";
import { type PollState, pollMoved, pollState, recheckDue } from "./altcraft.polling.js";
import { streamIdentity } from "./event.identity.js";
import type { StreamBatch, StreamFinish, StreamJob } from "./run-stream.engine.js";

/** What the jobs of one account share in a run. */
export interface AccountRun {
  client: AltcraftClient;
  account: AltcraftAccountConfig;
  startTime: Date;
  /** Set by the first 401/403: the account's other streams fail with it. */
  failure: Error | undefined;
  log: Logger;
  /** The account's audits and largest response in this run. */
  audit: AuditPolicy;
}

/** Whether a failure is the account's own (401 or 403): its remaining streams fail without requests. */
export function accountFailure(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 401 || err.code === 403);
}

type Batch = StreamBatch<CampaignLogRowInput>;
type ReadStart = Parameters<StreamJob<CampaignLogRowInput>["read"]>[0];

/** One campaign's stream in this run: what its read and its finish share. */
interface CampaignStream {
  run: AccountRun;
  campaign: CampaignItem;
  /** The campaign's list item changed in this run's listing. */
  listChanged: boolean;
  now: () => Date;
  keyPrefix: string;
  settings: CampaignLogSettings;
  /** The last page's total_count, its from_time and what it counts: the count check at finish. */
  last?: { totalCount: number | undefined; fromTime: Date; reading: "filtered" | "all" | undefined };
  /** The status the read asked for, saved at finish. */
  status?: CampaignStatus | undefined;
}

/** What one read has seen so far. */
interface ReadProgress {
  /**
   * One page is held back until the next one is read, so the polling state can travel with the last page
   * instead of in a transaction of its own.
   */
  held: Batch | undefined;
  heldKeys: Set<string>;
  /** The latest run marker (a start or end row) read: whether the log has ended. */
  marker: { time: number; state: string } | undefined;
  /** A row after the cursor the read began at came. */
  newRows: boolean;
}

export function campaignJob(
  run: AccountRun,
  campaign: CampaignItem,
  listChanged: boolean,
  now: () => Date,
): StreamJob<CampaignLogRowInput> {
  const identity = { source: "altcraft" as const, account: run.account.name, streamKey: String(campaign.id) };
  const stream: CampaignStream = {
    run,
    campaign,
    listChanged,
    now,
    keyPrefix: streamIdentity(identity.source, identity.account, identity.streamKey),
    settings: logSettings(run, campaign),
  };
  return {
    identity,
    table: campaignLogTable,
    read: (start, tally, signal) => readCampaign(stream, start, tally, signal),
    finish: (warehouse) => finishCampaign(stream, warehouse),
  };
}

/** How the reader reads one campaign's log, from the account's config. */
function logSettings(run: AccountRun, campaign: CampaignItem): CampaignLogSettings {
  const { account } = run;
  return {
    campaignId: campaign.id,
    pageLimit: account.pageLimit,
    maxPageLimit: Math.max(account.pageLimit, account.maxPageLimit),
    zone: account.timestampZone,
    startTime: run.startTime,
    lookbackMs: account.lookback,
    completeness: account.completeness,
    capacityMemoryMs: account.capacityMemory,
    audit: run.audit,
  };
}

/**
 * Which rows a read keeps: those from the start time on, unless the stream's cursor lies before it (a stream
 * that was away longer than a duration startTime resumes from its cursor); `cursorBefore` tells new rows.
 */
function wantedRows(cursor: Date | null, startTime: Date): { startMs: number; cursorBefore: number } {
  const cursorBefore = cursor?.getTime() ?? Number.NEGATIVE_INFINITY;
  const startMs = cursor && cursorBefore < startTime.getTime() ? Number.NEGATIVE_INFINITY : startTime.getTime();
  return { startMs, cursorBefore };
}

/** A read: every page, then the last one with the polling state. An account failure fails the account's other streams. */
async function* readCampaign(
  stream: CampaignStream,
  start: ReadStart,
  tally: RequestTally,
  signal: AbortSignal,
): AsyncGenerator<Batch> {
  const { run } = stream;
  if (run.failure) throw run.failure;
  const progress: ReadProgress = { held: undefined, heldKeys: new Set(), marker: undefined, newRows: false };
  try {
    yield* readPages(stream, start, progress, tally, signal);
    const closing = await closingBatch(stream, start, progress, tally, signal);
    if (closing) yield closing;
  } catch (err) {
    if (accountFailure(err)) run.failure ??= err as Error;
    // What was read before the failure is still stored.
    if (progress.held && !signal.aborted) yield progress.held;
    throw err;
  }
}

/** Yields each page read once the next one is read; the last stays held in `progress`. */
async function* readPages(
  stream: CampaignStream,
  start: ReadStart,
  progress: ReadProgress,
  tally: RequestTally,
  signal: AbortSignal,
): AsyncGenerator<Batch> {
  const { run, settings, now, campaign } = stream;
  const wanted = wantedRows(start.cursor, run.startTime);
  const pages = readCampaignLog(
    run.client,
    settings,
    { cursor: start.cursor, state: start.state, now: now() },
    tally,
    signal,
    () => now().getTime(),
  );
  for await (const page of pages) {
    const rows = pageRows(page, {
      keyPrefix: stream.keyPrefix,
      account: run.account.name,
      campaignId: campaign.id,
      zone: settings.zone,
      ...wanted,
      redact: run.client.redact,
    });
    progress.marker = latestRunMarker(progress.marker, rows.marker);
    progress.newRows ||= rows.newRows;
    stream.last = {
      totalCount: page.totalCount,
      fromTime: page.fromTime,
      reading: page.state.totalCountReading ?? undefined,
    };
    const next = pageBatch(page, rows, campaign.id);
    if (joinReread(progress, next)) continue;
    if (progress.held) yield progress.held;
    progress.held = next;
    progress.heldKeys = new Set(next.events.map((e) => e.event_key));
  }
}

/**
 * A page that only re-reads the held page's last millisecond is not stored at all: its state and counters
 * join the held page. Whether it did.
 */
function joinReread(progress: ReadProgress, next: Batch): boolean {
  const { held } = progress;
  if (!held || !onlyRereads(held, progress.heldKeys, next)) return false;
  progress.held = { ...held, state: next.state, fetched: held.fetched + next.fetched };
  if (next.covered) progress.held.covered = widen(held.covered, next.covered);
  return true;
}

/**
 * The last batch of a read: the held page, carrying the polling state when it moved; the polling state alone
 * when no page is held; none when neither.
 */
async function closingBatch(
  stream: CampaignStream,
  start: ReadStart,
  progress: ReadProgress,
  tally: RequestTally,
  signal: AbortSignal,
): Promise<Batch | undefined> {
  const { run, now } = stream;
  const previous = start.state as PollState;
  const decided = await pollState(
    { client: run.client, slowPollInterval: run.account.slowPollInterval, now },
    stream.campaign,
    {
      lastState: lastRunState(progress.marker, previous.lastState),
      recheck: recheckDue(previous, { newRows: progress.newRows, listChanged: stream.listChanged }, now),
    },
    tally,
    signal,
  );
  stream.status = decided?.status;
  const moved = decided !== undefined && pollMoved(previous, decided.state);
  const { held } = progress;
  if (held) return moved ? { ...held, state: { ...held.state, ...decided?.state } } : held;
  if (moved) return { events: [], rejects: [], state: decided.state, fetched: 0 };
  return undefined;
}

/** After a good read: the status asked for is saved, and total_count is checked against the rows held. */
async function finishCampaign(stream: CampaignStream, warehouse: Warehouse): Promise<StreamFinish> {
  const { run, campaign } = stream;
  if (stream.status) await saveCampaignStatus(warehouse.db, run.account.name, campaign.id, stream.status);
  const checked = stream.last;
  if (checked?.totalCount === undefined) return { completenessGap: null };
  const rows = await heldRows(warehouse.db, run.account.name, campaign.id, checked.fromTime);
  return countCheck({ ...checked, totalCount: checked.totalCount }, rows, campaign.id);
}
