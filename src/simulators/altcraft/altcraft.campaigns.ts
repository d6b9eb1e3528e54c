/**
 * The campaign book: every campaign, its lifecycle and its log. Runs are generated lazily up to the clock
 * (`ensure`), each from its own derived seed, so the data is the same whether generated at start or later.
 */
import { createRandom, deriveSeed, type Random } from "../common/seeded.random.js";
import { CampaignLog, StringTable, type RowInput } from "./altcraft.log-store.js";
import { CAMPAIGN_TYPES, type CampaignType, type ResolvedOptions } from "./altcraft.options.js";
import { closeRun, generateRun, LATE_MESSAGE, type RunShape } from "./altcraft.runs.js";

const DAY_MS = 86_400_000;

export type CampaignState = "active" | "inactive" | "completed";

/** A campaign as campaigns/list shows it, plus its status and lifecycle (ground truth). */
export interface CampaignView {
  id: number;
  name: string;
  type: CampaignType;
  is_active: boolean;
  subid: string;
  for_confirm: boolean;
  ui_tags: string[];
  groups: Array<{ id: number; name: string }>;
  is_completed: boolean;
  status: "Active" | "Inactive" | "Completed";
  /** When the campaign was created (RFC 3339); it is not listed before. */
  created_at: string;
  /** Log rows with time ≤ clock. */
  log_rows: number;
}

export interface NewCampaign {
  name?: string;
  type?: CampaignType;
  /** Creation time, ms since the epoch. Default: the clock. Its first run starts then. */
  createdAt?: number;
  subid?: string;
  for_confirm?: boolean;
  ui_tags?: string[];
  groups?: Array<{ id: number; name: string }>;
}

interface Campaign {
  id: number;
  name: string;
  type: CampaignType;
  subid: string;
  forConfirm: boolean;
  uiTags: string[];
  groups: Array<{ id: number; name: string }>;
  createdAt: number;
  log: CampaignLog;
  /** Runs generated so far: the label of the next run's seed. */
  runCounter: number;
  scheduleBase: number;
  scheduleIndex: number;
  /** Start of the next run to generate. */
  nextRunAt: number;
  /** Runs starting at or after this are never generated (Infinity while active). */
  activeUntil: number;
  /** What the campaign becomes once its last run has ended; null while active. */
  finalState: Exclude<CampaignState, "active"> | null;
  lastRunStart: number;
  lastRunEnd: number;
}

const NAME_WORDS = ["Spring sale", "Welcome series", "Abandoned cart", "Weekly digest", "Price drop", "Win-back"];
const TAGS = ["promo", "news", "retention", "q3"];

export class CampaignBook {
  private readonly byId = new Map<number, Campaign>();
  private readonly strings = new StringTable();
  private readonly intervalMs: number;
  private nextId = 1;
  private readonly options: ResolvedOptions;
  private readonly shape: () => RunShape;

  constructor(options: ResolvedOptions, shape: () => RunShape, startTime: number) {
    this.options = options;
    this.shape = shape;
    this.intervalMs = DAY_MS / options.runsPerDay;
    const random = createRandom(deriveSeed(options.seed, "campaigns"));
    const historyMs = options.historyDays * DAY_MS;
    const historyStart = startTime - historyMs;
    for (let i = 0; i < options.campaigns + options.campaignsCreatedLater; i++) {
      const later = i >= options.campaigns;
      const createdAt = later
        ? startTime + (i - options.campaigns + 1) * options.campaignCreationIntervalMs
        : historyStart - random.int(0, 3_600_000);
      const campaign = this.create(random, { createdAt });
      const roll = random.next();
      const endsAt = historyStart + historyMs * (0.3 + 0.9 * random.next());
      if (roll < options.completedShare) this.schedule(campaign, endsAt, "completed");
      else if (roll < options.completedShare + options.inactiveShare) this.schedule(campaign, endsAt, "inactive");
      this.nextId += random.int(0, 2);
    }
    this.ensureAll(startTime);
  }

  /** Generates every run that starts at or before `now`. */
  ensure(campaign: Campaign, now: number): void {
    while (campaign.nextRunAt <= now && campaign.nextRunAt < campaign.activeUntil) {
      const random = createRandom(deriveSeed(this.options.seed, "run", campaign.id, campaign.runCounter));
      const run = generateRun(campaign.log, random, campaign.nextRunAt, this.shape());
      campaign.runCounter += 1;
      campaign.scheduleIndex += 1;
      campaign.lastRunStart = run.start;
      campaign.lastRunEnd = run.end;
      const planned = campaign.scheduleBase + campaign.scheduleIndex * this.intervalMs;
      const jitter = random.int(0, Math.floor(this.intervalMs * 0.2));
      campaign.nextRunAt = Math.max(Math.floor(planned) + jitter, run.end + 1);
    }
  }

  ensureAll(now: number): void {
    for (const campaign of this.byId.values()) this.ensure(campaign, now);
  }

  /** The campaign if it exists at `now` (created at or before it), its runs generated up to `now`. */
  get(id: number, now: number): Campaign | undefined {
    const campaign = this.byId.get(id);
    if (!campaign || campaign.createdAt > now) return undefined;
    this.ensure(campaign, now);
    return campaign;
  }

  /** Campaigns existing at `now`, ascending by id. */
  visible(now: number): Campaign[] {
    const out: Campaign[] = [];
    for (const campaign of this.byId.values()) {
      if (campaign.createdAt > now) continue;
      this.ensure(campaign, now);
      out.push(campaign);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  state(campaign: Campaign, now: number): CampaignState {
    const noMoreRuns = campaign.nextRunAt >= campaign.activeUntil;
    if (campaign.finalState && noMoreRuns && now >= campaign.lastRunEnd) return campaign.finalState;
    return "active";
  }

  view(campaign: Campaign, now: number): CampaignView {
    const state = this.state(campaign, now);
    return {
      id: campaign.id,
      name: campaign.name,
      type: campaign.type,
      is_active: state === "active",
      subid: campaign.subid,
      for_confirm: campaign.forConfirm,
      ui_tags: [...campaign.uiTags],
      groups: campaign.groups.map((g) => ({ ...g })),
      is_completed: state === "completed",
      status: state === "active" ? "Active" : state === "completed" ? "Completed" : "Inactive",
      created_at: new Date(campaign.createdAt).toISOString(),
      log_rows: campaign.log.upperBound(now),
    };
  }

  add(input: NewCampaign, now: number): Campaign {
    const random = createRandom(deriveSeed(this.options.seed, "added", this.nextId));
    const campaign = this.create(random, { ...input, createdAt: input.createdAt ?? now });
    this.ensure(campaign, now);
    return campaign;
  }

  /**
   * Moves a campaign to a state at `now`. Leaving "active" cuts a run in progress short (its rows after `now`
   * are dropped, then end and "Total time spent" rows are written at `now`); "active" starts a new run at `now`.
   */
  setState(campaign: Campaign, state: CampaignState, now: number): void {
    this.ensure(campaign, now);
    if (state === "active") {
      if (campaign.finalState === null) return;
      const wasActive = this.state(campaign, now) === "active";
      campaign.finalState = null;
      campaign.activeUntil = Number.POSITIVE_INFINITY;
      if (wasActive) {
        // It was only due to stop: keep its schedule, without catching up runs that were held back.
        campaign.nextRunAt = Math.max(campaign.nextRunAt, now);
      } else {
        campaign.scheduleBase = Math.max(now, campaign.lastRunEnd + 1);
        campaign.scheduleIndex = 0;
        campaign.nextRunAt = campaign.scheduleBase;
      }
      this.ensure(campaign, now);
      return;
    }
    campaign.finalState = state;
    campaign.activeUntil = Math.min(campaign.activeUntil, now);
    if (campaign.lastRunEnd > now && campaign.lastRunStart <= now) {
      const log = campaign.log;
      log.removeRange(log.upperBound(now), log.upperBound(campaign.lastRunEnd));
      closeRun(log, campaign.lastRunStart, now);
      campaign.lastRunEnd = now;
    }
  }

  addRows(campaign: Campaign, rows: readonly RowInput[]): void {
    for (const row of rows) campaign.log.add(row);
  }

  addBurst(campaign: Campaign, row: RowInput, count: number): void {
    campaign.log.addMany(row, count);
  }

  /** Inserts one late row at a time in [now - maxAgeMs, now] (not before the campaign's creation). */
  addLateRow(campaign: Campaign, now: number, random: Random, maxAgeMs: number): void {
    const time = Math.max(campaign.createdAt, now - random.int(0, maxAgeMs));
    const level = random.pick(["INFO", "WARNING"] as const);
    campaign.log.add({ time, level, message: LATE_MESSAGE, state: "", value: String(random.int(1, 999)) });
  }

  private schedule(campaign: Campaign, endsAt: number, finalState: Exclude<CampaignState, "active">): void {
    campaign.activeUntil = Math.max(endsAt, campaign.createdAt + 1);
    campaign.finalState = finalState;
  }

  private create(random: Random, input: NewCampaign & { createdAt: number }): Campaign {
    const id = this.nextId;
    this.nextId += 1;
    const type = input.type ?? random.pick(CAMPAIGN_TYPES);
    const campaign: Campaign = {
      id,
      name: input.name ?? `${random.pick(NAME_WORDS)} #${id}`,
      type,
      subid: input.subid ?? (random.chance(0.2) ? `sub${id}` : ""),
      forConfirm: input.for_confirm ?? random.chance(0.1),
      uiTags: input.ui_tags ?? (random.chance(0.5) ? [random.pick(TAGS)] : []),
      groups: input.groups ?? [{ id: 0, name: "main" }],
      createdAt: input.createdAt,
      log: new CampaignLog(this.strings),
      runCounter: 0,
      scheduleBase: input.createdAt,
      scheduleIndex: 0,
      nextRunAt: input.createdAt,
      activeUntil: Number.POSITIVE_INFINITY,
      finalState: null,
      lastRunStart: input.createdAt,
      lastRunEnd: input.createdAt,
    };
    this.byId.set(id, campaign);
    return campaign;
  }

  /** Rows stored in all logs, including rows after the clock. */
  storedRows(): number {
    let sum = 0;
    for (const campaign of this.byId.values()) sum += campaign.log.length;
    return sum;
  }

  /** Bytes held by all logs' typed arrays. */
  logBytes(): number {
    let sum = 0;
    for (const campaign of this.byId.values()) sum += campaign.log.bytes();
    return sum;
  }
}

export type { Campaign };
