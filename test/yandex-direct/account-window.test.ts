// A stream without a window size of its own (its first run) starts at the size its account's streams learned in
// this run, not at the first-window default: it reads its windows ahead from its first one. The size plans the
// read; the follow-ups still end it, so every event is read.
import { describe, expect, it } from "vitest";
import { createAuditPolicy } from "../../src/sources/page.capacity.js";
import { type EventsStreamSettings, readEventWindows } from "../../src/sources/yandex-direct/events.stream.js";
import type { YandexDirectClient } from "../../src/sources/yandex-direct/yandex-direct.client.js";
import type { GetEventsLogParams } from "../../src/sources/yandex-direct/yandex-direct.schema.js";
import { RequestsAheadShare } from "../../src/sync/requests-ahead.share.js";
import { until } from "../support/until.js";

const S = 1000;
const HOUR = 3600 * S;
const NOW = Date.UTC(2026, 10, 20, 12);
const START = NOW - 4 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** A server with an event every 10 s from START on; it records each request's window. */
function server() {
  const log = Array.from({ length: (4 * HOUR) / (10 * S) }, (_, i) => START + i * 10 * S);
  const windows: number[] = [];
  const client: YandexDirectClient = {
    redact: (text) => text,
    getEventsLog: (param: GetEventsLogParams) => {
      const from = Date.parse(param.TimestampFrom ?? "");
      const to = Date.parse(param.TimestampTo ?? "");
      if (!param.Offset) windows.push(to - from - S);
      const matching = log.filter((at) => at >= from && at <= to).map((at) => ({ Timestamp: iso(at), EventType: "x" }));
      const offset = param.Offset ?? 0;
      return Promise.resolve(matching.slice(offset, offset + (param.Limit ?? 0)));
    },
  };
  return { client, windows, events: log.filter((at) => at < NOW - 60 * S).length };
}

const settings = (login: string): EventsStreamSettings => ({
  login,
  currency: "RUB",
  filter: undefined,
  withTextDescription: false,
  zone: "UTC",
  pageLimit: 100,
  startTime: new Date(START),
  lookbackMs: 0,
  settleLagMs: 60 * S,
  maxWindowMs: 86_400 * S,
  completeness: "strict",
  capacityMemoryMs: HOUR,
  audit: createAuditPolicy(0),
  requestsAhead: 2,
});

/** Reads one stream whole; the number of events it handed on. */
async function read(client: YandexDirectClient, s: EventsStreamSettings): Promise<number> {
  let events = 0;
  const reader = readEventWindows(
    client,
    { ...s, records: (item, _at, into) => ((into.text = JSON.stringify(item)), (into.kept = item)) },
    { cursor: null, state: {}, now: new Date(NOW) },
    { requests: 0, retries: 0 },
  );
  for await (const handed of reader) {
    const snapshots = handed.kind === "early" ? [handed.snapshot] : handed.snapshots;
    for (const snapshot of snapshots) events += snapshot.items.filter((item) => item !== undefined).length;
  }
  return events;
}

describe("a stream's first window", () => {
  it("is the default hour when nothing was learned", async () => {
    const { client, windows, events } = server();
    expect(await read(client, settings("client-1"))).toBe(events);
    expect(windows[0]).toBe(HOUR);
  });

  // Kills "a stream's first window ignores its account's size": each new stream of a backfill would read its
  // first hour alone again.
  it("is the size its account's streams learned in this run, and the read still takes every event", async () => {
    const share = new RequestsAheadShare(2, 2, 1);
    const first = server();
    const seat = share.join();
    expect(await read(first.client, { ...settings("client-1"), share: seat })).toBe(first.events);
    seat.leave();
    const learned = share.join();
    const windowMs = learned.learnedWindow()?.windowMs ?? 0;
    expect(windowMs).toBeGreaterThan(HOUR);
    const second = server();
    expect(await read(second.client, { ...settings("client-2"), share: learned })).toBe(second.events);
    // Sized from its first window: the whole range (4 h less the settle lag) shared by the two windows it reads at once.
    expect(second.windows).toEqual([2 * HOUR - 30 * S, 2 * HOUR - 30 * S]);
  });
});

/**
 * The server above, holding each request that `holds` picks (default: every one) until `answer()` is called, then
 * answering them all at once and every request after; each window is recorded as it is asked for, by its length
 * (`asked`) and its start (`starts`).
 */
function heldServer(holds: (param: GetEventsLogParams) => boolean = () => true) {
  const inner = server();
  const pending: (() => void)[] = [];
  const asked: number[] = [];
  const starts: number[] = [];
  let answering = false;
  const client: YandexDirectClient = {
    redact: inner.client.redact,
    getEventsLog: (param, tally, signal) => {
      const from = Date.parse(param.TimestampFrom ?? "") + S;
      if (!param.Offset) {
        asked.push(Date.parse(param.TimestampTo ?? "") - from);
        starts.push(from);
      }
      const answer = () => inner.client.getEventsLog(param, tally, signal);
      if (answering || !holds(param)) return answer();
      return new Promise((resolve) => pending.push(() => resolve(answer())));
    },
  };
  return {
    ...inner,
    client,
    pending,
    asked,
    starts,
    answer: () => {
      answering = true;
      for (const release of pending.splice(0)) release();
    },
  };
}

describe("the last stream of an account", () => {
  // Kills "a stream plans its end for the windows it reads now" (its end read as two long chains of pages) and
  // "a stream reads more windows only at its next window" (the windows of the stream that ended stand idle while
  // its windows in flight wait for their answers).
  it("cuts its end for the windows it will have, and reads them as soon as the other stream ends", async () => {
    const share = new RequestsAheadShare(2, 2, 2);
    const other = share.join();
    // Every 10 s, pages of 50: 7.2 pages an hour. The other stream has a page left.
    other.learnWindow({ windowMs: 2 * HOUR, pagesPerMs: 7.2 / HOUR });
    other.windowsAtEnd(1);
    const held = heldServer();
    const reading = read(held.client, { ...settings("client-2"), pageLimit: 50, share: share.join() });
    await until("the first windows' requests", () => held.pending.length === 2);
    // 4 h less the settle lag, in four windows: the two read now, two more once the other stream ends.
    expect(held.asked).toEqual([3585 * S, 3585 * S]);
    other.leave();
    await until("four windows in flight", () => held.pending.length === 4);
    expect(held.asked).toEqual([3585 * S, 3585 * S, 3585 * S, 3585 * S]);
    held.answer();
    expect(await reading).toBe(held.events);
  });
});

/** The follow-ups of the read's first window (an hour from START): what the server holds in the tests below. */
const firstFollowUp = (param: GetEventsLogParams) =>
  Boolean(param.Offset) && Date.parse(param.TimestampFrom ?? "") + S === START;

describe("a stream's first window read alone", () => {
  // Kills "the first answer sizes nothing" (the first windows of a first run wait for the first hour's
  // follow-up: a round trip with a slot idle per stream) and "windows sized by a first answer start at the next
  // window".
  it("sizes the next windows by its first answer when it held less than a page: they start beside its follow-up", async () => {
    // An event every 10 s: 360 in the first hour, less than a page of 500.
    const s = heldServer(firstFollowUp);
    const reading = read(s.client, { ...settings("client-1"), pageLimit: 500 });
    await until("the first window's follow-up", () => s.pending.length === 1);
    // The next window was asked for before the follow-up: two windows in flight, as `requestsAhead` says.
    expect(s.starts).toEqual([START, START + HOUR]);
    s.answer();
    expect(await reading).toBe(s.events);
  });

  // Kills "a full first answer sizes the read" (`<=` for `<`): a page full to its limit tells no density, only a
  // floor of it; the next windows wait for the window's end, as before.
  it("waits for its end when its first answer was a full page", async () => {
    const s = heldServer(firstFollowUp);
    const reading = read(s.client, { ...settings("client-1"), pageLimit: 360 });
    await until("the first window's follow-up", () => s.pending.length === 1);
    expect(s.starts).toEqual([START]);
    s.answer();
    expect(await reading).toBe(s.events);
  });
});
