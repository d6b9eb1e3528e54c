/**
 * When an Altcraft campaign is polled (docs/architecture.md, Glossary: slow poll). A campaign that is
 * inactive, completed and whose log has ended is polled on the slow schedule until its list item changes; its
 * status is asked for once, not every run. Each decision is a small function: facts in, schedule out.
 */
import type { RequestTally } from "../http/request.retries.js";
import type { AltcraftClient } from "../sources/altcraft/altcraft.client.js";
import type { CampaignItem, CampaignStatus } from "../sources/altcraft/altcraft.schema.js";
import { logHasEnded } from "../sources/altcraft/campaign-log.evidence.js";
import { getCampaignStatus } from "../sources/altcraft/campaigns.listing.js";

/** Polling state of a campaign stream, kept in sync.streams.state with the paging state. */
export interface PollState {
  /** The campaign is finished: inactive, completed, its log ended. */
  finished?: boolean;
  /** When a finished campaign is polled next, ms since the epoch. */
  nextPollAt?: number;
  /** The state of the log's latest run marker (a start or end row) when the last read ended. */
  lastState?: string | null;
}

/**
 * Whether a listed campaign is left out of this run: the list shows it inactive and unchanged, it was found
 * finished, its slow-schedule time has not come, and its last result was a complete read. A stream whose last
 * result was not (its account failed, a signal stopped it) is read now, so its status comes back from a real
 * read rather than waiting for the slow schedule.
 */
export function slowPolled(
  campaign: CampaignItem,
  stored: { state: Record<string, unknown>; status: string } | undefined,
  listChanged: boolean,
  nowMs: number,
): boolean {
  const poll = (stored?.state ?? {}) as PollState;
  const settled = stored?.status === "succeeded" || stored?.status === "incomplete";
  return campaign.is_active === false && !!poll.finished && settled && !listChanged && nowMs < (poll.nextPollAt ?? 0);
}

/**
 * Whether the status of a campaign whose log has ended is asked for again: new rows came, its list item
 * changed, it was never asked, or its slow-schedule time came.
 */
export function recheckDue(
  previous: PollState,
  read: { newRows: boolean; listChanged: boolean },
  now: () => Date,
): boolean {
  return (
    read.newRows || read.listChanged || previous.finished === undefined || now().getTime() >= (previous.nextPollAt ?? 0)
  );
}

/** Whether a campaign's status says it is finished: completed and not active. */
export const campaignFinished = (status: CampaignStatus): boolean =>
  status.is_completed === true && status.is_active !== true;

/** The polling state a read decided, and the status it asked for (none when it asked for none). */
interface PollDecision {
  state: Record<string, unknown>;
  status?: CampaignStatus;
}

/**
 * Decides the polling schedule after a read. A campaign the list shows inactive whose log ends with an
 * `end` row is asked for its status — once, not every run: again only when new rows came, its list item
 * changed, or its slow-schedule time came. Completed, it moves to the slow schedule.
 */
export async function pollState(
  poll: { client: AltcraftClient; slowPollInterval: number; now: () => Date },
  campaign: CampaignItem,
  seen: { lastState: string | null | undefined; recheck: boolean },
  tally: RequestTally,
  signal: AbortSignal,
): Promise<PollDecision | undefined> {
  if (campaign.is_active !== false || !logHasEnded(seen.lastState)) {
    return { state: { finished: false, lastState: seen.lastState ?? null } };
  }
  if (!seen.recheck) return undefined;
  const status = await getCampaignStatus(poll.client, campaign.id, tally, signal);
  const finished = campaignFinished(status);
  return {
    state: { finished, nextPollAt: poll.now().getTime() + poll.slowPollInterval, lastState: seen.lastState },
    status,
  };
}

/** Whether a decided polling state differs from the stored one in any field it sets. */
export function pollMoved(previous: PollState, state: Record<string, unknown>): boolean {
  return Object.entries(state).some(([k, v]) => (previous as Record<string, unknown>)[k] !== v);
}
