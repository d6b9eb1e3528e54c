// The requests ahead of an account's streams, shared at the end of a run, and the last windows of a stream
// shared evenly among the windows it may read at once. Both plan reads; neither decides what a read proved.
import { describe, expect, it } from "vitest";
import { RequestsAheadShare } from "../../src/sync/requests-ahead.share.js";
import { nextWindowSpan, windowsAhead } from "../../src/sources/yandex-direct/events.pipeline.js";
import type { WindowPart } from "../../src/sources/yandex-direct/events.window.js";

const HOUR = 3_600_000;

describe("the requests ahead of an account's streams", () => {
  // Kills "the share grows before every stream started": a stream that starts later would find the account's
  // windows taken.
  it("are each stream's own while streams of the account may still start", () => {
    const share = new RequestsAheadShare(2, 3, 4);
    const first = share.join();
    const second = share.join();
    second.leave();
    expect(first.requestsAhead()).toBe(2);
  });

  // Kills "the share never grows" (the last streams read `requestsAhead` windows while workers stand idle).
  it("are shared among the streams still reading once every stream started", () => {
    const share = new RequestsAheadShare(2, 10, 4);
    const seats = Array.from({ length: 10 }, () => share.join());
    for (const seat of seats.slice(0, 8)) seat.leave();
    // Two streams left of four reading at once: each reads the windows of two.
    expect(seats[8]?.requestsAhead()).toBe(4);
    seats[8]?.leave();
    expect(seats[9]?.requestsAhead()).toBe(8);
  });

  // Kills "the share counts every stream, not the ones read at once": the account never reads more windows at
  // once than `requestsAhead` × min(parallelStreams, streams).
  it("never give the account more windows than its streams read at once would", () => {
    // Six streams, two at a time, as the run's workers take them.
    const share = new RequestsAheadShare(3, 6, 2);
    let reading = [share.join(), share.join()];
    for (let started = 2; started < 6; started++) {
      reading[0]?.leave();
      reading = [...reading.slice(1), share.join()];
      expect(reading.reduce((n, s) => n + s.requestsAhead(), 0)).toBeLessThanOrEqual(6);
    }
    reading[0]?.leave();
    expect(reading[1]?.requestsAhead()).toBe(6);
  });

  // Kills "a stream plans its end for the windows it reads now": the last stream of a run would read its end as
  // `requestsAhead` long chains of pages while the windows of the streams that ended stand idle.
  it("plan a stream's end for the windows it will have once the streams with less left to read have ended", () => {
    const share = new RequestsAheadShare(2, 3, 3);
    const [short, middle, long] = [share.join(), share.join(), share.join()];
    expect(short?.windowsAtEnd(4)).toBe(2);
    expect(middle?.windowsAtEnd(10)).toBe(3);
    // The longest ends last: it will read all six of the account's windows.
    expect(long?.windowsAtEnd(40)).toBe(6);
    // Its rest shrinks below the middle one's: two streams end after the short one, three windows each.
    expect(long?.windowsAtEnd(8)).toBe(3);
  });

  // Kills "streams not started yet counted as ending first": a stream that starts later would find the windows
  // planned for by the others.
  it("count the streams not started yet among those with more left", () => {
    const share = new RequestsAheadShare(2, 3, 3);
    const first = share.join();
    share.join().leave();
    // Six windows: the first stream and the one still to start share them at the end.
    expect(first.windowsAtEnd(40)).toBe(3);
  });

  // Kills "a stream whose whole read is planned keeps its share": its idle windows would stay unread while the
  // streams still planning read their ends as long chains of pages.
  it("give the windows a stream whose whole read is planned no longer reads to the streams still planning", () => {
    const share = new RequestsAheadShare(2, 3, 3);
    const [done, planning, other] = [share.join(), share.join(), share.join()];
    expect(planning.requestsAhead()).toBe(2);
    done.allPlanned(1);
    // Six windows, one still read by the stream that planned its whole read: five for the two still planning.
    expect(planning.requestsAhead()).toBe(2);
    other.allPlanned(1);
    expect(planning.requestsAhead()).toBe(4);
  });

  // Kills "a planned stream counts among those with more left": the streams still planning would cut their ends
  // for windows the planned stream never takes.
  it("plan a stream's end without the streams whose whole read is planned", () => {
    const share = new RequestsAheadShare(2, 3, 3);
    const [first, second, last] = [share.join(), share.join(), share.join()];
    first.windowsAtEnd(10);
    second.windowsAtEnd(20);
    expect(last.windowsAtEnd(5)).toBe(2);
    first.allPlanned(2);
    second.allPlanned(2);
    expect(last.windowsAtEnd(5)).toBe(6);
  });

  // Kills "a planned stream's windows ending tell no one": the streams still planning would read more windows
  // only at their next window.
  it("tell the streams still reading when a planned stream reads fewer windows, and only then", () => {
    const share = new RequestsAheadShare(2, 2, 2);
    const [planned, planning] = [share.join(), share.join()];
    let told = 0;
    planning.whenGrown(() => told++);
    planned.allPlanned(2);
    planned.allPlanned(2);
    expect(told).toBe(0);
    planned.allPlanned(1);
    expect(told).toBe(1);
  });

  // Kills "a stream's tail told no one" (the run's next stream would wait for its last windows) and "the tail told at
  // full depth" (a stream still reading all its windows would hand its turn on).
  it("tell a stream its tail once its whole read is planned and it reads fewer windows than requestsAhead", () => {
    const share = new RequestsAheadShare(2, 3, 2);
    let tails = 0;
    const stream = share.join(() => tails++);
    stream.allPlanned(2);
    expect(tails).toBe(0);
    stream.allPlanned(1);
    expect(tails).toBe(1);
    stream.allPlanned(0);
    expect(tails).toBe(2);
  });

  // Kills "a stream that has not said what it has left counts as having nothing left": its windows would be
  // planned for by another stream.
  it("count a stream that has not said what it has left as one with more", () => {
    const share = new RequestsAheadShare(2, 2, 2);
    const said = share.join();
    share.join();
    expect(said.windowsAtEnd(1_000)).toBe(2);
  });

  // Kills "a stream's leaving tells no one": the streams left would read more windows only at their next window.
  it("tell the streams still reading when one leaves, and no longer once a stream stops listening", () => {
    const share = new RequestsAheadShare(1, 3, 3);
    const [first, second, third] = [share.join(), share.join(), share.join()];
    const told: string[] = [];
    second.whenGrown(() => told.push("second"));
    third.whenGrown(() => told.push("third"));
    first.leave();
    third.whenGrown(undefined);
    second.leave();
    expect(told).toEqual(["second", "third"]);
  });

  it("count a stream's leaving once", () => {
    const share = new RequestsAheadShare(1, 3, 3);
    const seats = [share.join(), share.join(), share.join()];
    seats[0]?.leave();
    seats[0]?.leave();
    expect(seats[1]?.requestsAhead()).toBe(1);
  });
});

describe("the next window's span", () => {
  it("is the learned size while the rest needs more windows than may start", () => {
    expect(nextWindowSpan(21 * HOUR, 8 * HOUR, 2, 1)).toBe(8 * HOUR);
  });

  // Kills "the rest read as its size needs": the last window read alone while the stream could read three.
  it("shares the rest evenly among the windows that may start, when each holds enough pages", () => {
    // 21 h of ~13 pages over 3 free windows: three windows of 7 h.
    expect(nextWindowSpan(21 * HOUR, 8 * HOUR, 3, 13 / (21 * HOUR))).toBe(7 * HOUR);
    // Balanced to what the size needs when two windows would do: 13 h as two of 6.5 h.
    expect(nextWindowSpan(13 * HOUR, 8 * HOUR, 2, 0)).toBe(6.5 * HOUR);
  });

  // Kills "the rest shared whatever its density": an incremental run of a few events would cost a follow-up more.
  it("reads a rest of few pages as one window", () => {
    expect(nextWindowSpan(HOUR, 8 * HOUR, 4, 2 / HOUR)).toBe(HOUR);
    expect(nextWindowSpan(HOUR, 8 * HOUR, 4, 0)).toBe(HOUR);
  });

  it("is whole seconds, at least one", () => {
    expect(nextWindowSpan(10_500, 8 * HOUR, 4, 100)).toBe(3_000);
    expect(nextWindowSpan(500, 8 * HOUR, 4, 100)).toBe(1_000);
  });
});

describe("windows read ahead", () => {
  const empty: WindowPart = { snapshots: [], gaps: [], events: 0 };

  // Kills "the rest shared among the windows read now" and "windows start only at the next take": the end is cut
  // for the windows the stream will have, and those start as soon as its depth grows.
  it("cut the end of the read for the windows the stream will have, and start them once its depth grows", () => {
    let depth = 2;
    const started: [number, number][] = [];
    const windows = windowsAhead({
      read: async (from, to) => {
        started.push([from, to]);
        return empty;
      },
      first: 0,
      end: 16 * HOUR,
      sizeMs: 8 * HOUR,
      // 2 pages an hour: 32 pages left, four windows of 8 pages at most.
      pagesPerMs: 2 / HOUR,
      sized: true,
      depth: () => depth,
      atEnd: () => 4,
    });
    windows.take();
    expect(started).toEqual([
      [0, 4 * HOUR],
      [4 * HOUR, 8 * HOUR],
    ]);
    depth = 4;
    windows.fill();
    // Four in flight now, the one whose turn it is counted: the rest (8 h) as the two planned for.
    expect(started.slice(2)).toEqual([
      [8 * HOUR, 12 * HOUR],
      [12 * HOUR, 16 * HOUR],
    ]);
  });

  // Kills "the whole read planned told no one": the account would keep the windows the stream no longer reads
  // for it, and its other streams would read their ends as long chains of pages.
  it("tell the account once the whole read is planned, and how many windows it still reads", () => {
    const held: number[] = [];
    const windows = windowsAhead({
      read: async () => empty,
      first: 0,
      end: 16 * HOUR,
      sizeMs: 8 * HOUR,
      pagesPerMs: 0,
      sized: true,
      depth: () => 2,
      allPlanned: (n) => held.push(n),
    });
    windows.take();
    expect(held).toEqual([2]);
    windows.learned(8 * HOUR, 0, 8 * HOUR);
    windows.take();
    expect(held).toEqual([2, 1]);
  });

  // Kills "no density read as nothing left": a stream resuming at its own window size (its density not yet read)
  // would tell its account it ends first, and the others would cut their ends for windows they never get.
  it("say that what is left is not known while no density was read", () => {
    const told: number[] = [];
    const windows = windowsAhead({
      read: async () => empty,
      first: 0,
      end: 16 * HOUR,
      sizeMs: 8 * HOUR,
      pagesPerMs: 0,
      sized: true,
      depth: () => 2,
      atEnd: (leftPages) => (told.push(leftPages), 2),
    });
    windows.take();
    expect(told).toEqual([Number.POSITIVE_INFINITY]);
  });

  // Kills "depth fixed when the read starts": a stream whose share grows reads more windows at its next window.
  it("follow the stream's requests ahead as it changes, and read the last ones side by side", () => {
    let depth = 1;
    const started: [number, number][] = [];
    const windows = windowsAhead({
      read: async (from, to) => {
        started.push([from, to]);
        return empty;
      },
      first: 0,
      end: 25 * HOUR,
      sizeMs: HOUR,
      pagesPerMs: 0,
      sized: false,
      depth: () => depth,
    });
    const first = windows.take();
    expect(first).toMatchObject({ from: 0, to: HOUR });
    depth = 3;
    // 24 h left at ~1 page an hour, 8 h windows: three of 8 h, side by side.
    windows.learned(8 * HOUR, 1 / HOUR, HOUR);
    windows.take();
    expect(started.slice(1)).toEqual([
      [HOUR, 9 * HOUR],
      [9 * HOUR, 17 * HOUR],
      [17 * HOUR, 25 * HOUR],
    ]);
  });
});
