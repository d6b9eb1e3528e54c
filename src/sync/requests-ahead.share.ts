/**
 * The requests ahead of one Yandex.Direct account's streams in a run, shared (docs/architecture.md, Glossary:
 * requests ahead). Each stream reads `requestsAhead` windows at once; once every stream of the account has
 * started and fewer than `parallelStreams` of them are still reading (the end of a run), those left share the
 * windows of the ones that ended, so slow answers stay hidden to the last stream. The account never reads more
 * than `requestsAhead × min(parallelStreams, its streams)` windows at once, besides fewer than `requestsAhead` for
 * each stream in its tail (`join`): memory stays what that allows.
 *
 * A stream plans its last windows for the share it will have by then (`windowsAtEnd`): the streams with less left
 * to read than it has (by density) end first, and it gets their windows. So the last stream's end is cut into as
 * many windows as its account may read at once, not read as two long chains of pages while workers stand idle.
 * A stream that planned its whole read (`allPlanned`) takes no more: the windows it no longer reads go to the
 * streams still planning as soon as its own end.
 *
 * They share the window size they learned too: a stream with none of its own (its first run) starts at the one
 * its account's streams learned last in this run, and so reads its windows ahead from its first one. A size only
 * plans reads; it proves nothing.
 */
import type { AccountShare, LearnedWindow } from "../sources/yandex-direct/events.pipeline.js";

/** One stream's seat in the share: its requests ahead now, the window size learned last, and its leaving. */
export interface RequestsAheadSeat extends AccountShare {
  leave(): void;
}

/** A stream reading: the pages it has left to read by density, as it last said (Infinity: not known yet). */
interface Reader {
  leftPages: number;
  /** Its whole read planned: the windows it still reads (it takes no more); undefined while it plans more. */
  held: number | undefined;
  /** Called when the stream may read more windows at once than before (another stream left). */
  grown?: (() => void) | undefined;
  /** Told when its whole read is planned and it reads fewer windows than `requestsAhead`: its tail. */
  tail: (() => void) | undefined;
}

export class RequestsAheadShare {
  private started = 0;
  /** The streams reading now. */
  private readonly readers = new Set<Reader>();
  private learned: LearnedWindow | undefined;
  /** The account's `requestsAhead`. */
  private readonly perStream: number;
  /** The account's streams in this run. */
  private readonly streams: number;
  /** The most windows the account reads at once. */
  private readonly windows: number;

  constructor(perStream: number, streams: number, parallelStreams: number) {
    this.perStream = perStream;
    this.streams = streams;
    this.windows = perStream * Math.min(parallelStreams, streams);
  }

  /**
   * A stream starts reading; it leaves once its read is over, whatever the reason. `tail` is told whenever it has
   * planned its whole read and reads fewer windows than the account's `requestsAhead` (the run may start its next
   * stream meanwhile: stream.turns.ts).
   */
  join(tail?: () => void): RequestsAheadSeat {
    this.started++;
    const reader: Reader = { leftPages: Number.POSITIVE_INFINITY, held: undefined, tail };
    this.readers.add(reader);
    let left = false;
    return {
      requestsAhead: () => this.requestsAhead(),
      windowsAtEnd: (leftPages) => this.windowsAtEnd(reader, leftPages),
      allPlanned: (held) => this.allPlanned(reader, held),
      whenGrown: (listener) => void (reader.grown = listener),
      learnedWindow: () => this.learned,
      learnWindow: (learned) => void (this.learned = learned),
      leave: () => {
        if (left) return;
        left = true;
        this.readers.delete(reader);
        this.tellOthers(reader);
      },
    };
  }

  /**
   * Windows a stream reads at once now: `requestsAhead` while streams may still start (they would need their
   * share), else an even share, among the streams still planning windows, of the account's windows that the
   * streams whose whole read is planned do not hold.
   */
  private requestsAhead(): number {
    if (this.started < this.streams || this.readers.size < 1) return this.perStream;
    const { free, planning } = this.freeWindows();
    return Math.max(this.perStream, Math.floor(free / Math.max(1, planning)));
  }

  /**
   * The most windows `reader` may read at once before its read ends, now that it has `leftPages` to read: the
   * account's windows shared among the streams with as much left as it or more, those not started yet counted
   * among them (all of their read is left). The others end first, and so do the streams whose whole read is
   * planned: they take no more windows. Plans windows; proves nothing.
   */
  private windowsAtEnd(reader: Reader, leftPages: number): number {
    reader.leftPages = leftPages;
    // A stream not started yet has all of its read left: it ends after this one.
    let longer = this.streams - this.started;
    for (const other of this.readers) if (other.held === undefined && other.leftPages >= leftPages) longer++;
    return Math.max(this.perStream, Math.floor(this.windows / Math.max(1, longer)));
  }

  /** The account's windows not held by streams whose whole read is planned, and the streams still planning. */
  private freeWindows(): { free: number; planning: number } {
    let free = this.windows;
    let planning = 0;
    for (const other of this.readers) {
      if (other.held === undefined) planning++;
      else free -= other.held;
    }
    return { free: Math.max(0, free), planning };
  }

  /**
   * `reader` planned its whole read and still reads `held` windows: fewer than before leaves the others more, and
   * fewer than `requestsAhead` is its tail.
   */
  private allPlanned(reader: Reader, held: number): void {
    const before = reader.held;
    reader.held = held;
    if (held < this.perStream) reader.tail?.();
    if (before !== undefined && held < before) this.tellOthers(reader);
  }

  private tellOthers(reader: Reader): void {
    for (const other of this.readers) if (other !== reader) other.grown?.();
  }
}
