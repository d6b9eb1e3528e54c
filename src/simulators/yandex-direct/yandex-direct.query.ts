import { createRandom, deriveSeed } from "../common/seeded.random.js";
import type { EventRecord, EventStore } from "./yandex-direct.data.js";
import type { EventOrder, EventType } from "./yandex-direct.options.js";
import { HOUR_SEC } from "./yandex-direct.time.js";

/** GetEventsLogFilter, as sets; an absent or empty list does not filter. */
export interface EventFilter {
  campaignIds?: ReadonlySet<number>;
  bannerIds?: ReadonlySet<number>;
  phraseIds?: ReadonlySet<number>;
  accountIds?: ReadonlySet<number>;
  eventTypes?: ReadonlySet<EventType>;
}

export interface EventQuery {
  /** Logs to read, merged by Timestamp (ties keep this order). */
  logins: readonly string[];
  fromMs: number;
  fromInclusive: boolean;
  /** Upper bound; the clock always caps it. */
  toMs: number;
  toInclusive: boolean;
  filter: EventFilter;
  lastEventOnly: boolean;
  order: EventOrder;
  /** Page size; undefined returns everything. */
  limit?: number;
  offset: number;
}

function inSet<T>(set: ReadonlySet<T> | undefined, value: T | undefined): boolean {
  if (!set || set.size === 0) return true;
  return value !== undefined && set.has(value);
}

function matches(r: EventRecord, f: EventFilter): boolean {
  return (
    inSet(f.eventTypes, r.type) &&
    inSet(f.campaignIds, r.campaignId) &&
    inSet(f.bannerIds, r.bannerId) &&
    inSet(f.phraseIds, r.phraseId) &&
    inSet(f.accountIds, r.accountId)
  );
}

/** Whether the filter leaves any event out (an absent or empty list does not). */
function filters(f: EventFilter): boolean {
  return [f.eventTypes, f.campaignIds, f.bannerIds, f.phraseIds, f.accountIds].some((set) => set && set.size > 0);
}

/** Shuffles each run of equal timestamps, seeded by the second so every request sees the same order. */
function shuffleWithinSecond(records: EventRecord[], seed: number): void {
  let start = 0;
  while (start < records.length) {
    const ts = records[start]?.ts;
    let end = start + 1;
    while (end < records.length && records[end]?.ts === ts) end++;
    if (end - start > 1) {
      const random = createRandom(deriveSeed(seed, "order", ts ?? 0));
      for (let i = end - 1; i > start; i--) {
        const j = random.int(start, i);
        const a = records[i] as EventRecord;
        records[i] = records[j] as EventRecord;
        records[j] = a;
      }
    }
    start = end;
  }
}

/** The events of one hour for all requested logs, in the requested order. */
function hourSlice(store: EventStore, q: EventQuery, hour: number, lowSec: number, highSec: number, seed: number) {
  const all: EventRecord[] = [];
  for (const login of q.logins) {
    for (const r of store.hourRecords(login, hour)) {
      if (r.ts >= lowSec && r.ts <= highSec && matches(r, q.filter)) all.push(r);
    }
  }
  if (q.logins.length > 1) all.sort((a, b) => a.ts - b.ts);
  if (q.order === "shuffled-within-second") shuffleWithinSecond(all, seed);
  if (q.order === "descending") all.reverse();
  return all;
}

/**
 * Answers a query over the logs: events with Timestamp in the bounds and ≤ `nowSec`, filtered, ordered,
 * reduced to the last per EventType when asked, then cut to `[offset, offset + limit)`.
 */
export function runQuery(store: EventStore, q: EventQuery, nowSec: number, seed: number): EventRecord[] {
  const lowSec = q.fromInclusive ? Math.ceil(q.fromMs / 1000) : Math.floor(q.fromMs / 1000) + 1;
  const toSec = q.toInclusive ? Math.floor(q.toMs / 1000) : Math.ceil(q.toMs / 1000) - 1;
  const highSec = Math.min(toSec, nowSec);
  if (highSec < lowSec) return [];
  const firstHour = Math.max(Math.floor(lowSec / HOUR_SEC), store.firstHour());
  const lastHour = Math.floor(highSec / HOUR_SEC);
  const wanted = q.limit === undefined || q.lastEventOnly ? Number.POSITIVE_INFINITY : q.offset + q.limit;
  const descending = q.order === "descending";
  // Whole hours before the Offset are counted, not read: paging by Offset would otherwise read a window's
  // first pages again for each page after them.
  const countable = q.offset > 0 && wanted !== Number.POSITIVE_INFINITY && !filters(q.filter);
  let passed = 0;
  let out: EventRecord[] = [];
  for (let i = 0; i <= lastHour - firstHour && passed + out.length < wanted; i++) {
    const hour = descending ? lastHour - i : firstHour + i;
    if (countable && hour * HOUR_SEC >= lowSec && (hour + 1) * HOUR_SEC - 1 <= highSec) {
      const count = q.logins.reduce((sum, login) => sum + store.hourCount(login, hour), 0);
      // Everything read so far lies before the Offset too: it is passed over with the hour.
      if (passed + out.length + count <= q.offset) {
        passed += out.length + count;
        out = [];
        continue;
      }
    }
    const slice = hourSlice(store, q, hour, lowSec, highSec, seed);
    for (const r of slice) out.push(r);
  }
  if (q.lastEventOnly) {
    const last = new Map<EventType, EventRecord>();
    // `out` is in the requested order; "last" means the latest Timestamp, ties broken by stored order.
    const ascending = descending ? [...out].reverse() : out;
    for (const r of ascending) {
      const seen = last.get(r.type);
      if (!seen || r.ts >= seen.ts) last.set(r.type, r);
    }
    const keep = new Set(last.values());
    out = out.filter((r) => keep.has(r));
  }
  if (q.limit === undefined) return out;
  return out.slice(q.offset - passed, q.offset - passed + q.limit);
}
