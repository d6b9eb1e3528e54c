// readEventWindows against a scripted server that follows the model exactly — a prefix of what matches, from
// Offset, of a length chosen per response — and registers events between two requests on cue. Occurrences
// are numbered per snapshot, as the job does; the keys a read yields must be a subset of the truth's keys
// (nothing invented) and, where no gap is reported, all of them.
import { describe, expect, it } from "vitest";
import { createAuditPolicy } from "../../src/sources/page.capacity.js";
import {
  type EarlyWindowRecords,
  type EventsStreamSettings,
  type EventsWindow,
  readEventWindows,
  type Snapshot,
} from "../../src/sources/yandex-direct/events.stream.js";
import type { RecordReading } from "../../src/sources/yandex-direct/events.evidence.js";
import type { YandexDirectClient } from "../../src/sources/yandex-direct/yandex-direct.client.js";
import type { GetEventsLogParams } from "../../src/sources/yandex-direct/yandex-direct.schema.js";

const S = 1000;
const NOW = Date.UTC(2026, 10, 20, 12);
const START = NOW - 2 * 3600 * S;

interface Event {
  at: number;
  kind: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** A server holding `log`, answering each request with `cap(request index, offset)` events at most. */
function scriptedServer(
  log: Event[],
  options: {
    cap: (index: number, offset: number) => number;
    ignoreOffset?: boolean;
    /** Called before answering request `index`: may register events. */
    before?: (index: number, log: Event[], param: GetEventsLogParams) => void;
  },
) {
  let requests = 0;
  const client: YandexDirectClient = {
    redact: (text: string) => text,
    getEventsLog: (param: GetEventsLogParams) => {
      const index = requests++;
      options.before?.(index, log, param);
      const from = Date.parse(param.TimestampFrom ?? "");
      const to = Date.parse(param.TimestampTo ?? "");
      const matching = log
        .filter((e) => e.at >= from && e.at <= to)
        .sort((a, b) => a.at - b.at)
        .map((e) => ({ Timestamp: iso(e.at), EventType: e.kind }));
      const offset = options.ignoreOffset ? 0 : (param.Offset ?? 0);
      const size = Math.min(param.Limit ?? Number.POSITIVE_INFINITY, options.cap(index, offset));
      return Promise.resolve(matching.slice(offset, offset + size));
    },
  };
  return { client, requests: () => requests };
}

const settings = (): EventsStreamSettings => ({
  login: "client-1",
  currency: "RUB",
  filter: undefined,
  withTextDescription: false,
  zone: "UTC",
  pageLimit: 1000,
  startTime: new Date(START),
  lookbackMs: 0,
  settleLagMs: 60 * S,
  maxWindowMs: 86_400 * S,
  completeness: "strict",
  capacityMemoryMs: 3_600_000,
  audit: createAuditPolicy(0.1),
});

/** The record as sent: its JSON text tells it apart, and it is kept as it is. */
const plainReading: RecordReading<unknown> = (item, _at, into) => {
  into.text = JSON.stringify(item) ?? "null";
  into.kept = item;
};

/** What the reader handed on: its windows, and the early records before each. */
interface ReadAll {
  windows: EventsWindow[];
  early: EarlyWindowRecords[];
  /** Every snapshot, in the order handed on. */
  snapshots: Snapshot<unknown>[];
}

async function readAll(client: YandexDirectClient, pageLimit = 1000): Promise<ReadAll> {
  const read: ReadAll = { windows: [], early: [], snapshots: [] };
  const reader = readEventWindows(
    client,
    { ...settings(), pageLimit, records: plainReading },
    { cursor: null, state: {}, now: new Date(NOW) },
    { requests: 0, retries: 0 },
  );
  for await (const handed of reader) {
    if (handed.kind === "early") {
      read.early.push(handed);
      read.snapshots.push(handed.snapshot);
    } else {
      read.windows.push(handed);
      read.snapshots.push(...handed.snapshots);
    }
  }
  return read;
}

/**
 * The keys a job would make, as handed on: each snapshot numbered alone on its texts, a placeholder (a record
 * handed on early) numbered and left out.
 */
function keyList(snapshots: readonly Snapshot<unknown>[]): string[] {
  const keys: string[] = [];
  for (const snapshot of snapshots) {
    const seen = new Map<string, number>();
    for (const [i, item] of snapshot.items.entries()) {
      const text = snapshot.texts[i] ?? JSON.stringify(item);
      const n = seen.get(text) ?? 0;
      seen.set(text, n + 1);
      if (item !== undefined) keys.push(`${text}#${n}`);
    }
  }
  return keys;
}

/** The keys stored once each. */
const keysOf = (read: ReadAll): Set<string> => new Set(keyList(read.snapshots));

function truthKeys(log: Event[], end: number): Set<string> {
  const items = log
    .filter((e) => e.at >= START && e.at < end)
    .sort((a, b) => a.at - b.at)
    .map((e) => ({ Timestamp: iso(e.at), EventType: e.kind }));
  return new Set(keyList([{ items, times: [], texts: items.map((item) => JSON.stringify(item)) }]));
}

function logWithBurst(): { log: Event[]; burstAt: number } {
  const log: Event[] = [];
  for (let at = START; at < NOW - 120 * S; at += 7 * S) log.push({ at, kind: "MoneyIn" });
  const burstAt = START + 3600 * S + 500 * S;
  for (let i = 0; i < 60; i++) log.push({ at: burstAt, kind: "PausedByDayBudget" });
  return { log, burstAt };
}

describe("readEventWindows under the server model", () => {
  // Kills: numbering identical events over Offset pages that a late event shifted (a permanent extra occurrence).
  it("numbers a dense second from one consistent snapshot when an event is registered while it is paged", async () => {
    const { log, burstAt } = logWithBurst();
    let registered = 0;
    const server = scriptedServer(log, {
      cap: () => 25,
      before: (_, events, param) => {
        // While the burst's window is paged by Offset, an event is registered a second before the burst (before
        // the Offset in the server's order), three times.
        const covers =
          Date.parse(param.TimestampFrom ?? "") <= burstAt && Date.parse(param.TimestampTo ?? "") > burstAt;
        if (covers && (param.Offset ?? 0) > 0 && registered < 3)
          events.push({ at: burstAt - S, kind: `Late${registered++}` });
      },
    });
    const read = await readAll(server.client);
    const end = read.windows.at(-1)?.to.getTime() ?? 0;
    const keys = keysOf(read);
    const truth = truthKeys(log, end);
    expect(registered).toBe(3);
    for (const key of keys) expect(truth.has(key), key).toBe(true);
    // The burst is read whole: 60 occurrences, never 61.
    const burst = [...keys].filter((k) => k.includes("PausedByDayBudget"));
    expect(burst).toHaveLength(60);
    expect(read.windows.flatMap((w) => w.gaps)).toEqual([]);
    // Its first page went early, the rest after its second was read again alone: each handed on once.
    expect(read.early.some((e) => e.snapshot.texts.some((t) => t.includes("PausedByDayBudget")))).toBe(true);
    expect(keyList(read.snapshots)).toHaveLength(keys.size);
  });

  // Kills: any size-based end (a varying cap loses events).
  it.each([
    ["a cap that varies per response", (i: number) => [7, 300, 20, 999, 3][i % 5] as number],
    ["a smaller cap with Offset", (_: number, offset: number) => (offset > 0 ? 11 : 200)],
    ["a cap of one", () => 1],
  ])("reads everything with %s, each event handed on once", async (_, cap) => {
    const { log } = logWithBurst();
    const read = await readAll(scriptedServer(log, { cap }).client);
    const end = read.windows.at(-1)?.to.getTime() ?? 0;
    expect(keysOf(read)).toEqual(truthKeys(log, end));
    expect(keyList(read.snapshots)).toHaveLength(keysOf(read).size);
    expect(end).toBe(NOW - 60 * S);
  });

  // Kills: paging a server that ignores Offset until the page bound, or recursing; storing repeats.
  it("stops each window with a gap after a bounded number of requests when the server ignores Offset", async () => {
    const { log } = logWithBurst();
    const server = scriptedServer(log, { cap: () => 50, ignoreOffset: true });
    const read = await readAll(server.client);
    const end = read.windows.at(-1)?.to.getTime() ?? 0;
    const keys = keysOf(read);
    const truth = truthKeys(log, end);
    for (const key of keys) expect(truth.has(key)).toBe(true);
    const gaps = read.windows.flatMap((w) => w.gaps);
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.every((g) => g.unread === null)).toBe(true);
    expect(server.requests()).toBeLessThanOrEqual(3 * read.windows.length);
  });

  // Kills: a page's early records handed on before another page follows (a window of one page stored in two
  // transactions: its records, then its end).
  it("hands a window of one page on whole, with its end, and a window of several pages page by page", async () => {
    const { log } = logWithBurst();
    const whole = await readAll(scriptedServer(log, { cap: () => 1000 }).client);
    expect(whole.windows.length).toBeGreaterThan(1);
    expect(whole.early).toEqual([]);
    const paged = await readAll(scriptedServer(log, { cap: () => 1000 }).client, 100);
    expect(paged.early.length).toBeGreaterThan(0);
    // Every early part comes before its window's end, and the keys are the same either way.
    for (const e of paged.early) expect(paged.windows.some((w) => w.from.getTime() === e.from.getTime())).toBe(true);
    expect(keysOf(paged)).toEqual(keysOf(whole));
  });

  // Kills "windows read ahead keep their early records until their turn": a stream's later windows would then be
  // stored one after another once its last answer is in.
  it("hands on a window read ahead's early records while the window whose turn it is has none ready", async () => {
    const log: Event[] = [];
    for (let at = START; at < NOW - 120 * S; at += 10 * S) log.push({ at, kind: "x" });
    const order: string[] = [];
    const starts: number[] = [];
    const reader = readEventWindows(
      scriptedServer(log, { cap: () => 1000 }).client,
      { ...settings(), pageLimit: 20, requestsAhead: 2, records: plainReading },
      { cursor: null, state: { windowMs: 3600 * S }, now: new Date(NOW) },
      { requests: 0, retries: 0 },
    );
    for await (const handed of reader) {
      const from = handed.from.getTime();
      if (!starts.includes(from)) starts.push(from);
      order.push(`${handed.kind} ${starts.indexOf(from)}`);
    }
    // Two windows of about an hour, about 18 pages each, read at once.
    expect(order.filter((o) => o.startsWith("window"))).toEqual(["window 0", "window 1"]);
    expect(order.indexOf("early 1")).toBeGreaterThan(-1);
    expect(order.indexOf("early 1")).toBeLessThan(order.indexOf("window 0"));
  });
});
