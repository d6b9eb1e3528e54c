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
 * a stream with no learned size (its own, or its account's in this run) is read alone until its first answer, so
 * no windows of a guessed size are planned ahead: an answer smaller than a page sizes the next ones (`estimated`),
 * which start beside its follow-up; a full one waits for the window's end. Once the rest of the read fits the
 * windows that may still start, it is shared evenly among them (at least `PAGES_PER_SHARE` pages each by
 * density), so the stream's last windows are read side by side, not the last one alone. Those are the windows the
 * stream will have by its end (`atEnd`: its account's streams with less left end first and leave it theirs), of
 * which `depth` start now and the rest as soon as the depth grows (`fill`). Once its whole read is planned, the
 * stream says how many windows it still reads (`allPlanned`), so its account gives the rest to the others. A window
 * ahead that fails fails the stream only when its turn comes: the windows before it are handed on first.
 * Whatever is in flight when the reader stops — the stream failed, a signal, the end of the read — is
 * dropped, unread further.
 *
 * Each window's read hands its early records on as its pages arrive (events.handover.ts). Those of the window whose
 * turn it is come first, its read waiting while they are not taken; while it has none ready, those the windows
 * read ahead queued are handed on too (`earlyRecords`): they move no cursor, so they need not wait for their turn.
 * A window's last page and its end (cursor, state, gaps) still wait for it.
 */
import { secondOf } from "./events.evidence.js";
import { EarlyRecordsQueue } from "./events.handover.js";
import type { Snapshot, WindowPart } from "./events.window.js";

const SECOND = 1000;
/**
 * Pages a window must be expected to hold before the rest of a read is shared among more windows than its size
 * needs: each window more costs one follow-up, and saves its pages' round trips on the stream's last windows.
 */
const PAGES_PER_SHARE = 4;

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

/** A window size learned from density, ms, and the pages a ms held. Plans reads; proves nothing. */
export interface LearnedWindow {
  windowMs: number;
  pagesPerMs: number;
}

/**
 * What a stream shares with its account's streams in a run (src/sync/requests-ahead.share.ts): its requests ahead
 * now (more once the account's other streams are done), and the window size they learned last, at which a stream
 * without one of its own starts.
 */
export interface AccountShare {
  requestsAhead(): number;
  /**
   * The most windows the stream may read at once before its read ends, given the pages it has left to read (by
   * density): the share it will have once the streams with less left have ended. Plans its last windows.
   */
  windowsAtEnd(leftPages: number): number;
  /**
   * The stream planned its whole read and still reads `held` windows: it takes no more, whatever its share grows
   * to, and leaves the rest of its account's windows to the others.
   */
  allPlanned(held: number): void;
  /** `listener` is called whenever the stream may read more windows at once (undefined: no longer). */
  whenGrown(listener: (() => void) | undefined): void;
  learnedWindow(): LearnedWindow | undefined;
  learnWindow(learned: LearnedWindow): void;
}

/** The windows of a stream in flight at once, oldest first. */
export interface WindowsAhead<T = unknown> {
  /** The oldest window, after starting reads until `depth` are in flight; undefined when the read is over. */
  take(): WindowAhead<T> | undefined;
  /**
   * What the window just taken taught: the size of the windows planned from now on, the pages a ms holds (by
   * density: plans windows, proves nothing), and where the next one starts. Only a read of one window at a time
   * may start elsewhere than where the windows ahead continue.
   */
  learned(sizeMs: number, pagesPerMs: number, nextFrom: number): void;
  /**
   * The first window, read alone while no size was learned, answered with less than a page: its density sizes
   * the windows planned from now on, and they start at once, beside its follow-up. A plan; proves nothing.
   */
  estimated(sizeMs: number, pagesPerMs: number): void;
  /** The windows in flight, for the reader to drop them. */
  pending(): readonly WindowAhead<T>[];
  /**
   * Starts reads until `depth()` windows are in flight, the one whose turn it is counted until it is done
   * (`learned`): the stream's share grew.
   */
  fill(): void;
}

/**
 * How long the next window is: the learned size, or, once the rest of the read (`rest` ms) fits the `free`
 * windows that may start now, an even share of it: among as many windows as its size needs, or more, up to
 * `free`, while each is expected to hold `PAGES_PER_SHARE` pages. Whole seconds.
 */
export function nextWindowSpan(rest: number, sizeMs: number, free: number, pagesPerMs: number): number {
  const needed = Math.ceil(rest / sizeMs);
  if (needed > free) return sizeMs;
  const shared = Math.max(needed, Math.min(free, Math.floor((rest * pagesPerMs) / PAGES_PER_SHARE)));
  return Math.min(sizeMs, Math.max(SECOND, Math.ceil(rest / shared / SECOND) * SECOND));
}

/** The first window of a stream when nothing was learned: its density sizes the next. */
const FIRST_WINDOW_MS = 3_600_000;

/**
 * How the first window is planned: at the size learned from density — the stream's own (`ownMs`), else its
 * account's streams' in this run — whole seconds, at most `maxMs`, its windows read ahead at once (`sized`); else
 * an hour, read alone, whose density sizes the next.
 */
export function firstWindow(ownMs: number | undefined, account: LearnedWindow | undefined, maxMs: number) {
  const learned = ownMs === undefined ? account : { windowMs: ownMs, pagesPerMs: 0 };
  const sizeMs = Math.min(maxMs, Math.max(SECOND, secondOf(learned?.windowMs ?? FIRST_WINDOW_MS)));
  return { sizeMs, pagesPerMs: learned?.pagesPerMs ?? 0, sized: learned !== undefined };
}

/** How the windows of a read are planned: see windowsAhead. */
export interface WindowsPlan<T> {
  read: (from: number, to: number, early: EarlyRecordsQueue<T>) => Promise<WindowPart<T>>;
  first: number;
  end: number;
  sizeMs: number;
  /** The pages a ms holds, by density (0: not known). */
  pagesPerMs: number;
  sized: boolean;
  /** Windows read at once now: the stream's requests ahead (it may grow as the account's other streams end). */
  depth: () => number;
  /**
   * The most windows read at once before the read ends, given the pages left (AccountShare.windowsAtEnd; default:
   * the depth now): the rest of the read is shared among that many windows, of which `depth` start now.
   */
  atEnd?: (leftPages: number) => number;
  /** Told the windows still read once the whole read is planned, at each fill (AccountShare.allPlanned). */
  allPlanned?: (held: number) => void;
}

/**
 * Plans windows from `first` to `end` at `sizeMs`, reading each with `read`, at most `depth()` at once once a
 * size was learned (`sized`: the stream's state holds one, or the first window's first answer gave one), one at
 * a time before.
 */
export function windowsAhead<T>(plan: WindowsPlan<T>): WindowsAhead<T> {
  const queue: WindowAhead<T>[] = [];
  let { sizeMs, sized, pagesPerMs } = plan;
  let next = plan.first;
  // The window whose turn it is, until its read is done (`learned`): in flight too, though out of the queue.
  let turn: WindowAhead<T> | undefined;
  const inFlight = () => queue.length + (turn ? 1 : 0);
  const fill = () => {
    const depth = sized ? plan.depth() : 1;
    // What is left to read, the windows in flight included, in pages by density (not known without one).
    const leftPages =
      pagesPerMs > 0 ? (plan.end - ((turn ?? queue[0])?.from ?? next)) * pagesPerMs : Number.POSITIVE_INFINITY;
    const windows = sized ? Math.max(depth, plan.atEnd?.(leftPages) ?? depth) : depth;
    while (inFlight() < depth && next < plan.end) {
      const span = nextWindowSpan(plan.end - next, sizeMs, windows - inFlight(), pagesPerMs);
      const to = Math.min(plan.end, next + span);
      queue.push(startWindow(plan.read, next, to, sizeMs));
      next = to;
    }
    if (sized && next >= plan.end) plan.allPlanned?.(inFlight());
  };
  return {
    take() {
      turn = undefined;
      fill();
      turn = queue.shift();
      return turn;
    },
    learned(size, pages, from) {
      turn = undefined;
      sizeMs = size;
      pagesPerMs = pages;
      sized = true;
      const continues = queue[0]?.from ?? next;
      if (from === continues) return;
      if (queue.length > 0)
        throw new Error("windows read ahead cannot move: the read went back while they were in flight");
      next = from;
    },
    estimated(size, pages) {
      if (sized) return;
      sizeMs = size;
      pagesPerMs = pages;
      sized = true;
      fill();
    },
    pending: () => queue,
    fill,
  };
}

/** Starts the read of the window [from, to), planned at `plannedMs`. */
function startWindow<T>(
  read: (from: number, to: number, early: EarlyRecordsQueue<T>) => Promise<WindowPart<T>>,
  from: number,
  to: number,
  plannedMs: number,
): WindowAhead<T> {
  const early = new EarlyRecordsQueue<T>();
  const part = read(from, to, early);
  // Awaited when its turn comes; a window dropped before then must not be an unhandled rejection.
  part.then(
    () => early.close(),
    () => early.close(),
  );
  return { from, to, plannedMs, part, early };
}

/**
 * Records of a window still being read, handed on early (events.handover.ts): numbered as one snapshot, stored
 * without moving the cursor or the state; the window itself follows.
 */
export interface EarlyWindowRecords<T = unknown> {
  kind: "early";
  from: Date;
  to: Date;
  snapshot: Snapshot<T>;
}

/**
 * The early records of the window whose turn it is, as its pages arrive; and, while it has none ready, those the
 * windows read ahead have queued (they move no cursor, so they are stored as they come, not at their turn).
 */
export async function* earlyRecords<T>(
  window: WindowAhead<T>,
  windows: WindowsAhead<T>,
): AsyncGenerator<EarlyWindowRecords<T>> {
  for (;;) {
    const polled = window.early.poll();
    if (polled === undefined) return;
    if (polled !== "asked") {
      yield earlyOf(window, polled);
      continue;
    }
    let ahead = false;
    for (const w of windows.pending()) {
      const ready = w.early.takeReady();
      if (!ready) continue;
      ahead = true;
      yield earlyOf(w, ready);
    }
    if (ahead) continue;
    const early = await window.early.take();
    if (!early) return;
    yield earlyOf(window, early);
  }
}

function earlyOf<T>(window: WindowAhead<T>, snapshot: Snapshot<T>): EarlyWindowRecords<T> {
  return { kind: "early", from: new Date(window.from), to: new Date(window.to), snapshot };
}
