import { createRandom, deriveSeed, type Random } from "../common/seeded.random.js";
import { EVENT_TYPES, type EventType, type ResolvedDataOptions } from "./yandex-direct.options.js";
import { HOUR_SEC } from "./yandex-direct.time.js";

/**
 * Terminology: a *log* is the events log of one login; a *bucket* is the generated part of one log for
 * one UTC hour, built on first use from `deriveSeed(seed, login, hour)` and kept packed (3 × uint32 per
 * event); *extra* events are those added later (late events, `addEvents`, `addBurst`), kept as records.
 */

/** One event in base form: epoch seconds, money in RUB. What the API renders per Currency and locale. */
export interface EventRecord {
  ts: number;
  type: EventType;
  campaignId?: number;
  bannerId?: number;
  phraseId?: number;
  accountId?: number;
  moderationResult?: string;
  isEditedByModerator?: "Yes" | "No";
  minPrice?: number;
  rest?: number;
  payed?: number;
  /** `YYYY-MM-DD`; when absent the date of `ts` in the rendering zone. */
  finishDate?: string;
  oldPlace?: string;
  /** Epoch seconds. */
  stopTime?: number;
}

export type AccountRole = "agency" | "client" | "advertiser";

/** A token the simulator accepts, the login it acts as, and (for the agency) the client logins it may name. */
export interface SimulatedAccount {
  token: string;
  login: string;
  role: AccountRole;
  /** For the agency: the logins it lists now (active and archived), kept current as clients come and go. */
  clients: readonly string[];
}

export const MODERATION_RESULTS = ["Accepted", "Declined"] as const;
export const PLACES = ["Premium1", "Premium2", "Premium3", "Guarantee1", "Guarantee4", "Rotation"] as const;
const TYPE_WEIGHTS = [20, 3, 8, 4, 8, 10, 6, 20, 21];
const TOTAL_WEIGHT = TYPE_WEIGHTS.reduce((a, b) => a + b, 0);
const FIRST_CAMPAIGN_ID = 3_193_279;

interface LogState {
  number: number;
  buckets: Map<number, Uint32Array>;
  extras: Map<number, EventRecord[]>;
}

export function buildAccounts(options: ResolvedDataOptions): SimulatedAccount[] {
  const clients = Array.from({ length: options.clientLogins }, (_, i) => `client-${i + 1}`);
  return [
    { token: options.advertiserToken, login: options.advertiserLogin, role: "advertiser", clients: [] },
    { token: options.agencyToken, login: "agency", role: "agency", clients },
    ...clients.map((login) => ({ token: `${login}-token`, login, role: "client" as const, clients: [] })),
  ];
}

export interface StoreStats {
  generatedBuckets: number;
  generatedEvents: number;
  extraEvents: number;
  /** Bytes held by packed buckets (extra events not included). */
  packedBytes: number;
}

export class EventStore {
  readonly historyStartHour: number;
  private readonly logs = new Map<string, LogState>();
  private minExtraHour = Number.POSITIVE_INFINITY;
  private generatedEvents = 0;
  private generatedBuckets = 0;
  private packedBytes = 0;
  private extraEvents = 0;
  private readonly options: ResolvedDataOptions;

  constructor(options: ResolvedDataOptions, logins: readonly string[], startMs: number) {
    this.options = options;
    this.historyStartHour = Math.floor((startMs / 1000 - options.historyDays * 86_400) / HOUR_SEC);
    logins.forEach((login, number) => this.logs.set(login, { number, buckets: new Map(), extras: new Map() }));
  }

  hasLogin(login: string): boolean {
    return this.logs.has(login);
  }

  /** Starts the log of a login created while the simulator runs; its history is generated like the others'. */
  addLogin(login: string): void {
    if (this.logs.has(login)) throw new RangeError(`login ${login} already has a log`);
    this.logs.set(login, { number: this.logs.size, buckets: new Map(), extras: new Map() });
  }

  /** The first hour that can hold an event (history start, or an earlier added event). */
  firstHour(): number {
    return Math.min(this.historyStartHour, this.minExtraHour);
  }

  /** Campaign, ad, phrase and shared account ids of a login, for tests and templates. */
  ids(login: string): { campaignIds: number[]; accountId: number } {
    const log = this.log(login);
    const campaignIds = Array.from({ length: this.options.campaignsPerLogin }, (_, c) => campaignId(log.number, c));
    return { campaignIds, accountId: 200_000 + log.number };
  }

  /** How many events one login has in one hour, without making them (generates the hour's bucket). */
  hourCount(login: string, hour: number): number {
    const log = this.log(login);
    return this.bucket(log, login, hour).length / 3 + (log.extras.get(hour)?.length ?? 0);
  }

  /** Every event of one login in one hour, ascending by second (generated first, then extras as added). */
  hourRecords(login: string, hour: number): EventRecord[] {
    const log = this.log(login);
    const out: EventRecord[] = [];
    const packed = this.bucket(log, login, hour);
    for (let i = 0; i < packed.length; i += 3) {
      out.push(decode(log.number, hour, packed[i] ?? 0, packed[i + 1] ?? 0, packed[i + 2] ?? 0));
    }
    const extras = log.extras.get(hour);
    if (extras) {
      out.push(...extras);
      out.sort((a, b) => a.ts - b.ts);
    }
    return out;
  }

  /** Number of events of one login with ts ≤ `untilSec` (generates the buckets it counts). */
  count(login: string, untilSec: number): number {
    const log = this.log(login);
    let total = 0;
    const lastHour = Math.floor(untilSec / HOUR_SEC);
    for (let hour = this.historyStartHour; hour <= lastHour; hour++) {
      const packed = this.bucket(log, login, hour);
      for (let i = 0; i < packed.length; i += 3) if (hour * HOUR_SEC + ((packed[i] ?? 0) & 0xfff) <= untilSec) total++;
    }
    for (const records of log.extras.values()) for (const r of records) if (r.ts <= untilSec) total++;
    return total;
  }

  add(login: string, record: EventRecord): void {
    const log = this.log(login);
    const hour = Math.floor(record.ts / HOUR_SEC);
    const list = log.extras.get(hour) ?? [];
    list.push(record);
    log.extras.set(hour, list);
    this.minExtraHour = Math.min(this.minExtraHour, hour);
    this.extraEvents++;
  }

  /** A random event of `login` at second `ts`, drawn like generated ones (used for late events). */
  draw(login: string, ts: number, random: Random): EventRecord {
    const log = this.log(login);
    const hour = Math.floor(ts / HOUR_SEC);
    const [w0, w1, w2] = drawPacked(random, this.options, ts - hour * HOUR_SEC);
    return decode(log.number, hour, w0, w1, w2);
  }

  stats(): StoreStats {
    return {
      generatedBuckets: this.generatedBuckets,
      generatedEvents: this.generatedEvents,
      extraEvents: this.extraEvents,
      packedBytes: this.packedBytes,
    };
  }

  private log(login: string): LogState {
    const log = this.logs.get(login);
    if (!log) throw new RangeError(`unknown login ${login}`);
    return log;
  }

  private bucket(log: LogState, login: string, hour: number): Uint32Array {
    if (hour < this.historyStartHour) return EMPTY;
    const cached = log.buckets.get(hour);
    if (cached) return cached;
    const packed = generateBucket(createRandom(deriveSeed(this.options.seed, login, hour)), this.options);
    log.buckets.set(hour, packed);
    this.generatedBuckets++;
    this.generatedEvents += packed.length / 3;
    this.packedBytes += packed.byteLength;
    return packed;
  }
}

const EMPTY = new Uint32Array(0);

function campaignId(loginNumber: number, slot: number): number {
  return FIRST_CAMPAIGN_ID + loginNumber * 1000 + slot;
}

function pickType(random: Random): number {
  let roll = random.next() * TOTAL_WEIGHT;
  for (let t = 0; t < TYPE_WEIGHTS.length; t++) {
    roll -= TYPE_WEIGHTS[t] ?? 0;
    if (roll < 0) return t;
  }
  return TYPE_WEIGHTS.length - 1;
}

/**
 * Packs one event: w0 = second in hour (12 bits) | type << 12 | variant << 16;
 * w1 = campaign slot | ad slot << 8 | phrase slot << 16 | on shared account << 24; w2 = kopecks.
 */
function drawPacked(random: Random, o: ResolvedDataOptions, second: number): [number, number, number] {
  const type = pickType(random);
  const name = EVENT_TYPES[type];
  let variant = 0;
  let kopecks = 0;
  let onAccount = 0;
  if (name === "BannerModerated") variant = random.int(0, 1) | (random.chance(0.2) ? 2 : 0);
  if (name === "WarnPlace") variant = random.int(0, PLACES.length - 1);
  if (name === "MoneyOut" || name === "MoneyWarning" || name === "MoneyIn") onAccount = random.chance(0.4) ? 1 : 0;
  if (name === "WarnMinPrice") kopecks = random.int(30, 5_000);
  if (name === "MoneyWarning") kopecks = random.int(100, 500_000);
  if (name === "MoneyIn") kopecks = random.int(10, 1_000) * 10_000;
  const w1 =
    random.int(0, o.campaignsPerLogin - 1) |
    (random.int(0, o.bannersPerCampaign - 1) << 8) |
    (random.int(0, o.phrasesPerBanner - 1) << 16) |
    (onAccount << 24);
  return [(second | (type << 12) | (variant << 16)) >>> 0, w1 >>> 0, kopecks];
}

function generateBucket(random: Random, o: ResolvedDataOptions): Uint32Array {
  const rate = o.eventsPerHour;
  const count = rate > 0 ? random.int(Math.floor(rate / 2), Math.ceil(rate * 1.5)) : 0;
  const events: Array<[number, number, number]> = [];
  for (let i = 0; i < count; i++) events.push(drawPacked(random, o, random.int(0, HOUR_SEC - 1)));
  if (o.burstRate > 0 && random.chance(o.burstRate)) {
    const burst = drawPacked(random, o, random.int(0, HOUR_SEC - 1));
    for (let i = 0; i < o.burstSize; i++) events.push(burst);
  }
  events.sort((a, b) => (a[0] & 0xfff) - (b[0] & 0xfff));
  const packed = new Uint32Array(events.length * 3);
  events.forEach((e, i) => packed.set(e, i * 3));
  return packed;
}

function decode(loginNumber: number, hour: number, w0: number, w1: number, w2: number): EventRecord {
  const type = EVENT_TYPES[(w0 >>> 12) & 0xf] ?? "LowCTR";
  const variant = (w0 >>> 16) & 0xff;
  const ts = hour * HOUR_SEC + (w0 & 0xfff);
  const campaign = campaignId(loginNumber, w1 & 0xff);
  const banner = campaign * 1000 + ((w1 >>> 8) & 0xff);
  const phrase = banner * 1000 + ((w1 >>> 16) & 0xff);
  const onAccount = (w1 >>> 24) & 1;
  const rub = w2 / 100;
  switch (type) {
    case "BannerModerated":
      return {
        ts,
        type,
        campaignId: campaign,
        bannerId: banner,
        moderationResult: MODERATION_RESULTS[variant & 1],
        isEditedByModerator: variant & 2 ? "Yes" : "No",
      };
    case "CampaignFinished":
      return { ts, type, campaignId: campaign };
    case "PausedByDayBudget":
      return { ts, type, campaignId: campaign, stopTime: ts };
    case "LowCTR":
      return { ts, type, campaignId: campaign, bannerId: banner, phraseId: phrase };
    case "WarnMinPrice":
      return { ts, type, campaignId: campaign, bannerId: banner, phraseId: phrase, minPrice: rub };
    case "WarnPlace":
      return {
        ts,
        type,
        campaignId: campaign,
        bannerId: banner,
        phraseId: phrase,
        oldPlace: PLACES[variant] ?? "Rotation",
      };
    case "MoneyOut":
    case "MoneyWarning":
    case "MoneyIn": {
      const target = onAccount ? { accountId: 200_000 + loginNumber } : { campaignId: campaign };
      if (type === "MoneyWarning") return { ts, type, ...target, rest: rub };
      if (type === "MoneyIn") return { ts, type, ...target, payed: rub };
      return { ts, type, ...target };
    }
  }
}
