// Each decision of the readers, alone, table by table (src/sources/*/…evidence.ts). Each table names the
// mutation it kills.
import { describe, expect, it } from "vitest";
import {
  nextWindowMs,
  repeatsStart,
  runRange,
  sameRecords,
  trustsResponse,
  unsettledSeconds,
  type ResponsePage,
} from "../../src/sources/yandex-direct/events.evidence.js";
import {
  followUpFrom,
  judgeResponse,
  lastRunState,
  latestRunMarker,
  logHasEnded,
  readTotalCount,
  stepFrom,
  unreadAcross,
} from "../../src/sources/altcraft/campaign-log.evidence.js";
import { auditsNext, createAuditPolicy } from "../../src/sources/page.capacity.js";

const S = 1000;
const page = (records: [string, number][]): ResponsePage => ({
  items: records.map(([text]) => text),
  texts: records.map(([text]) => text),
  times: records.map(([, at]) => at),
});

describe("Yandex.Direct: does a page at an Offset repeat the start (a server that ignores Offset)?", () => {
  // Kills: comparing only lengths, or only the first record.
  it.each<[string[], string[], boolean]>([
    [["a", "b", "c"], ["a", "b", "c"], true],
    [["a", "b", "c"], ["a", "b"], true],
    [["a", "b"], ["a", "b", "c"], false],
    [["a", "b", "c"], ["a", "x", "c"], false],
    [["a", "b", "c"], ["d", "e"], false],
    [["a", "b"], [], false],
  ])("received %j, page %j → %s", (received, next, expected) => {
    expect(repeatsStart(received, next)).toBe(expected);
  });
});

describe("Yandex.Direct: which seconds cannot be numbered from the pages?", () => {
  const from = 10 * S;
  const to = 20 * S;
  // Kills: re-reading no second at a suspect boundary, or a second outside the window.
  it.each<[string, ResponsePage[], number[]]>([
    [
      "one page",
      [
        page([
          ["a", 11 * S],
          ["b", 12 * S],
        ]),
      ],
      [],
    ],
    [
      "a clean boundary inside a second",
      [
        page([
          ["a", 11 * S],
          ["b", 12 * S],
        ]),
        page([
          ["c", 12 * S],
          ["d", 13 * S],
        ]),
      ],
      [],
    ],
    [
      "a suspect boundary: the next page begins with a record the page before held",
      [
        page([
          ["a", 11 * S],
          ["r", 12 * S],
        ]),
        page([
          ["r", 12 * S],
          ["d", 13 * S],
        ]),
      ],
      [12 * S],
    ],
    [
      "the seconds on both sides only",
      [
        page([
          ["a", 11 * S],
          ["r", 12 * S],
          ["r", 12 * S],
        ]),
        page([
          ["r", 12 * S],
          ["e", 14 * S],
        ]),
        page([["f", 15 * S]]),
      ],
      [12 * S],
    ],
    [
      "two events registered before the Offset: the next page begins with one of them, then the repeat",
      [
        page([
          ["a", 11 * S],
          ["r", 12 * S],
        ]),
        page([
          ["late", 11 * S],
          ["r", 12 * S],
          ["d", 13 * S],
        ]),
      ],
      [12 * S],
    ],
    [
      "a record of a page before the last seen again",
      [
        page([["a", 11 * S]]),
        page([["b", 12 * S]]),
        page([
          ["x", 14 * S],
          ["a", 11 * S],
        ]),
      ],
      [11 * S],
    ],
    [
      "the second before the window does not count",
      [
        page([
          ["p", 9 * S],
          ["p", 9 * S],
        ]),
        page([
          ["p", 9 * S],
          ["d", 13 * S],
        ]),
      ],
      [],
    ],
  ])("%s", (_, pages, expected) => {
    expect(unsettledSeconds(pages, from, to)).toEqual(expected);
  });
});

describe("Yandex.Direct: do two reads agree?", () => {
  // Kills: comparing as sets (a repeat goes unnoticed) or in order (a server's order within a second varies).
  it.each<[string[], string[], boolean]>([
    [["a", "b", "b"], ["b", "a", "b"], true],
    [["a", "b", "b"], ["a", "b"], false],
    [["a", "b"], ["a", "b", "b"], false],
    [["a", "b", "b"], ["a", "a", "b"], false],
  ])("%j and %j → %s", (a, b, expected) => {
    expect(sameRecords(a, b)).toBe(expected);
  });
});

describe("economy: is a response taken without a follow-up?", () => {
  // Kills: trusting an empty or a full-size response, a stale capacity, or an audited read.
  it.each<[number, number | undefined, boolean, boolean, boolean]>([
    [10, 100, true, false, true],
    [0, 100, true, false, false],
    [100, 100, true, false, false],
    [10, 100, false, false, false],
    [10, undefined, true, false, false],
    [10, 100, true, true, false],
  ])("%i records, capacity %s, fresh %s, audit %s → %s", (n, capacity, fresh, audit, expected) => {
    expect(trustsResponse(n, capacity, fresh, audit)).toBe(expected);
  });

  // Kills: never auditing, or auditing every read.
  it("audits the first read of a run and every 1/share-th after it", () => {
    const audit = createAuditPolicy(0.25);
    expect(Array.from({ length: 9 }, () => auditsNext(audit))).toEqual([
      true,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      true,
    ]);
    const none = createAuditPolicy(0);
    expect(Array.from({ length: 3 }, () => auditsNext(none))).toEqual([true, false, false]);
  });
});

describe("Yandex.Direct: the next window and the run's range", () => {
  // Kills: windows that do not follow density, grow without bound, or fall below a second.
  it.each<[string, Parameters<typeof nextWindowMs>[0], number]>([
    [
      "dense: aims at the pages",
      { current: 3600 * S, events: 8000, spanMs: 3600 * S, pageSize: 1000, pagesPerWindow: 8, maxMs: 86_400 * S },
      3600 * S,
    ],
    [
      "empty: grows eightfold",
      { current: 3600 * S, events: 0, spanMs: 3600 * S, pageSize: 1000, pagesPerWindow: 8, maxMs: 86_400 * S },
      8 * 3600 * S,
    ],
    [
      "never past the largest",
      { current: 86_400 * S, events: 0, spanMs: 86_400 * S, pageSize: 1000, pagesPerWindow: 8, maxMs: 86_400 * S },
      86_400 * S,
    ],
    [
      "never below a second",
      { current: 2 * S, events: 100_000, spanMs: 2 * S, pageSize: 10, pagesPerWindow: 8, maxMs: 86_400 * S },
      S,
    ],
  ])("%s", (_, input, expected) => {
    expect(nextWindowMs(input)).toBe(expected);
  });

  const now = Date.UTC(2026, 10, 20, 12);
  const day = 86_400 * S;
  // Kills: a duration startTime acting as a floor on a stream with a cursor (events of an outage skipped).
  it.each<[string, number | null, number]>([
    ["no cursor: from the start time", null, now - 30 * day],
    ["a cursor after the start: minus the lookback", now - day, now - day - 3600 * S],
    [
      "a cursor before the start (away 40 days): from the cursor minus the lookback",
      now - 40 * day,
      now - 40 * day - 3600 * S,
    ],
  ])("%s", (_, cursor, from) => {
    expect(runRange({ startTime: now - 30 * day, cursor, lookbackMs: 3600 * S, settleLagMs: 60 * S, now })).toEqual({
      from,
      end: now - 60 * S,
    });
  });

  it("never reads before the start time for a cursor just after it", () => {
    const start = now - 30 * day;
    expect(runRange({ startTime: start, cursor: start + 10 * S, lookbackMs: 3600 * S, settleLagMs: 0, now }).from).toBe(
      start,
    );
  });
});

describe("Altcraft: what does a response mean?", () => {
  const base = { limit: 100, canRaise: true, largest: 50, reading: undefined } as const;
  const t = 1_000_000;
  // Kills: a size or a total_count ending a read; a follow-up that could not advance taken as the end; a page over
  // two adjacent milliseconds taken for a stuck one.
  it.each<[string, Parameters<typeof judgeResponse>[0], string]>([
    ["empty", { ...base, response: { rows: 0, latest: undefined, totalCount: 0 }, last: t }, "end"],
    ["the first page", { ...base, response: { rows: 10, latest: t, totalCount: 10 }, last: undefined }, "page"],
    ["past the last millisecond", { ...base, response: { rows: 5, latest: t + 1, totalCount: 5 }, last: t }, "page"],
    [
      "nothing past it, room to spare",
      { ...base, response: { rows: 2, latest: t, totalCount: 2 }, last: t },
      "settled",
    ],
    [
      "fewer rows of the last millisecond than an answer before: cut inside it",
      { ...base, atLast: "fewer", response: { rows: 2, latest: t, totalCount: 2 }, last: t },
      "step",
    ],
    [
      "more rows of the last millisecond than an answer before: followed up again",
      { ...base, atLast: "more", response: { rows: 2, latest: t, totalCount: 2 }, last: t },
      "page",
    ],
    [
      "two adjacent milliseconds, total_count not falling",
      { ...base, reading: "all", response: { rows: 2, latest: t, totalCount: 40 }, last: t },
      "settled",
    ],
    [
      "nothing past it, as large as any response",
      { ...base, response: { rows: 50, latest: t, totalCount: 50 }, last: t },
      "step",
    ],
    [
      "full at limit, limit can grow",
      { ...base, response: { rows: 100, latest: t, totalCount: 100 }, last: t },
      "raise",
    ],
    [
      "full at the largest limit",
      { ...base, canRaise: false, response: { rows: 100, latest: t, totalCount: 100 }, last: t },
      "step",
    ],
    [
      "total_count (from from_time) says more is there",
      { ...base, reading: "filtered", response: { rows: 3, latest: t, totalCount: 9 }, last: t },
      "step",
    ],
    [
      "total_count of every row says nothing",
      { ...base, reading: "all", response: { rows: 3, latest: t, totalCount: 9 }, last: t },
      "settled",
    ],
  ])("%s", (_, input, kind) => {
    expect(judgeResponse(input).kind).toBe(kind);
  });

  // Kills: a reading from one coincidence, or one kept after a contradiction.
  it.each<[string, number | undefined, number | undefined, { inclusive: number; exclusive: number }, number, string]>([
    ["fell by the rows between: from from_time on", 100, 60, { inclusive: 40, exclusive: 39 }, 40, "filtered"],
    ["fell by them, from_time exclusive", 100, 61, { inclusive: 40, exclusive: 39 }, 40, "filtered"],
    ["stayed, at least every row seen", 500, 500, { inclusive: 40, exclusive: 40 }, 80, "all"],
    [
      "stayed below the rows seen: a count of the response",
      50,
      50,
      { inclusive: 49, exclusive: 49 },
      98,
      "contradicted",
    ],
    ["fell by something else", 100, 90, { inclusive: 40, exclusive: 40 }, 40, "contradicted"],
    ["nothing between: no news", 100, 100, { inclusive: 0, exclusive: 0 }, 0, "unchanged"],
    ["missing", undefined, 10, { inclusive: 1, exclusive: 1 }, 1, "contradicted"],
  ])("%s", (_, a, b, between, seen, expected) => {
    expect(readTotalCount({ totalCount: a }, { totalCount: b }, between, seen)).toBe(expected);
  });

  // Kills: an unknown count stored as 0; a count from total_count whose meaning is not known.
  it.each<[string, Parameters<typeof unreadAcross>[0], number | null]>([
    ["counted across the millisecond", { before: 900, after: 400, rowsRead: 400, reading: "filtered" }, 100],
    ["nothing left", { before: 900, after: 500, rowsRead: 400, reading: "filtered" }, 0],
    ["every row counted: unknown", { before: 900, after: 900, rowsRead: 400, reading: "all" }, null],
    ["meaning not shown: unknown", { before: 900, after: 400, rowsRead: 400, reading: undefined }, null],
    ["missing: unknown", { before: undefined, after: 400, rowsRead: 400, reading: "filtered" }, null],
    ["inconsistent: unknown, never negative", { before: 500, after: 400, rowsRead: 400, reading: "filtered" }, null],
  ])("%s", (_, input, expected) => {
    expect(unreadAcross(input)).toBe(expected);
  });

  // Kills: the follow-up from the last row instead of before it (rows of that millisecond skipped).
  it("follows up from the millisecond before the last, and steps onto the millisecond before past it", () => {
    expect(followUpFrom(1000)).toBe(999);
    expect(stepFrom(1000, false)).toBe(1000);
    expect(stepFrom(1000, true)).toBe(1001);
  });
});

describe("Altcraft: has the campaign's log ended?", () => {
  type Marker = { time: number; state: string };
  const start = (time: number): Marker => ({ time, state: "start" });
  const end = (time: number): Marker => ({ time, state: "end" });
  // Kills: the first marker kept over a later one (a reactivated campaign seen as ended), the later page's
  // marker losing a tie at the same millisecond, a page without markers dropping the one seen before.
  it.each<[string, Marker | undefined, Marker | undefined, Marker | undefined]>([
    ["the first marker read", undefined, end(5), end(5)],
    ["a later page's later marker", end(5), start(9), start(9)],
    ["an earlier one does not win", start(9), end(5), start(9)],
    ["at the same millisecond the later page's", start(5), end(5), end(5)],
    ["a page without one keeps what was seen", end(5), undefined, end(5)],
    ["none at all", undefined, undefined, undefined],
  ])("%s", (_, seen, page, expected) => {
    expect(latestRunMarker(seen, page)).toEqual(expected);
  });

  // Kills: a read that saw no marker forgetting that the log had ended (its campaign never finishing), or a
  // stored state overriding what this read saw.
  it.each<[string, Marker | undefined, string | null | undefined, string | null | undefined]>([
    ["this read's marker", start(9), "end", "start"],
    ["none read: the state recorded before", undefined, "end", "end"],
    ["none read, none recorded", undefined, undefined, undefined],
    ["none read, recorded as none", undefined, null, null],
  ])("%s", (_, read, before, expected) => {
    expect(lastRunState(read, before)).toBe(expected);
  });

  // Kills: any marker (or none) taken for the end of the log.
  it.each<[string | null | undefined, boolean]>([
    ["end", true],
    ["start", false],
    [null, false],
    [undefined, false],
  ])("latest marker %s → ended %s", (state, expected) => {
    expect(logHasEnded(state)).toBe(expected);
  });
});
