/**
 * The windows of one Yandex.Direct stream read ahead (docs/architecture.md, Glossary: window, requests ahead):
 * up to `depth` windows are read at once, each one its own read by Offset pages with its own evidence, and
 * handed on strictly in order, so a later window is never stored before an earlier one.
 *
 * Windows, not pages: the pages of one window cannot be asked for at once. Each page's `Offset` is the events
 * received so far, a length the server chooses per response, and the evidence that an event registered
 * between two requests shifted the order on (a record seen again) holds only when the server answers them in
 * order. Two windows are disjoint time ranges, each read whole on its own: one may be read while another is.
 *
 * A window's range is fixed when it is planned, from the size learned from density so far; the first window of
 * a stream with no learned size is read alone, so no windows of a guessed size are planned ahead. A window
 * ahead that fails fails the stream only when its turn comes: the windows before it are handed on first.
 * Whatever is in flight when the reader stops — the stream failed, a signal, the end of the read — is
 * dropped, unread further.
 *
 * Each window's read hands its early records on as its pages arrive (events.handover.ts): a window read ahead
 * keeps them until its turn comes, as it keeps the rest; the oldest window's read waits while they are not taken.
 */
import { EarlyRecordsQueue } from "./events.handover.js";
import type { WindowPart } from "./events.window.js";

/**
 * One window planned: its range, the size it was planned at, its read, in flight or done, and the early records
 * its read hands on (closed once the read is over).
 */
export interface WindowAhead<T = unknown> {
  from: number;
  to: number;
  /** The window size it was planned at (before the end of the read cut it), ms. */
  plannedMs: number;
  part: Promise<WindowPart<T>>;
  early: EarlyRecordsQueue<T>;
}

/** The windows of a stream in flight at once, oldest first. */
export interface WindowsAhead<T = unknown> {
  /** The oldest window, after starting reads until `depth` are in flight; undefined when the read is over. */
  take(): WindowAhead<T> | undefined;
  /**
   * What the window just taken taught: the size of the windows planned from now on, and where the next one
   * starts. Only a read of one window at a time may start elsewhere than where the windows ahead continue.
   */
  learned(sizeMs: number, nextFrom: number): void;
  /** The windows in flight, for the reader to drop them. */
  pending(): readonly WindowAhead<T>[];
}

/**
 * Plans windows from `first` to `end` at `sizeMs`, reading each with `read`, at most `depth` at once once a
 * size was learned (`sized`: the stream's state holds one), one at a time before.
 */
export function windowsAhead<T>(plan: {
  read: (from: number, to: number, early: EarlyRecordsQueue<T>) => Promise<WindowPart<T>>;
  first: number;
  end: number;
  sizeMs: number;
  sized: boolean;
  depth: number;
}): WindowsAhead<T> {
  const queue: WindowAhead<T>[] = [];
  let { sizeMs, sized } = plan;
  let next = plan.first;
  const fill = () => {
    while (queue.length < (sized ? plan.depth : 1) && next < plan.end) {
      const to = Math.min(plan.end, next + sizeMs);
      const early = new EarlyRecordsQueue<T>();
      const part = plan.read(next, to, early);
      // Awaited when its turn comes; a window dropped before then must not be an unhandled rejection.
      part.then(
        () => early.close(),
        () => early.close(),
      );
      queue.push({ from: next, to, plannedMs: sizeMs, part, early });
      next = to;
    }
  };
  return {
    take() {
      fill();
      return queue.shift();
    },
    learned(size, from) {
      sizeMs = size;
      sized = true;
      const continues = queue[0]?.from ?? next;
      if (from === continues) return;
      if (queue.length > 0)
        throw new Error("windows read ahead cannot move: the read went back while they were in flight");
      next = from;
    },
    pending: () => queue,
  };
}
