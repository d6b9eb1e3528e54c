/**
 * The requests ahead of one Yandex.Direct account's streams in a run, shared (docs/architecture.md, Glossary:
 * requests ahead). Each stream reads `requestsAhead` windows at once; once every stream of the account has
 * started and fewer than `parallelStreams` of them are still reading (the end of a run), those left share the
 * windows of the ones that ended, so slow answers stay hidden to the last stream. The account never reads more
 * than `requestsAhead × min(parallelStreams, its streams)` windows at once: memory stays what that allows.
 *
 * A stream plans its last windows for the share it will have by then (`windowsAtEnd`): the streams with less left
 * to read than it has (by density) end first, and it gets their windows. So the last stream's end is cut into as
 * many windows as its account may read at once, not read as two long chains of pages while workers stand idle.
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
  /** Called when the stream may read more windows at once than before (another stream left). */
  grown?: (() => void) | undefined;
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

  /** A stream starts reading; it leaves once its read is over, whatever the reason. */
  join(): RequestsAheadSeat {
    this.started++;
    const reader: Reader = { leftPages: Number.POSITIVE_INFINITY };
    this.readers.add(reader);
    let left = false;
    return {
      requestsAhead: () => this.requestsAhead(),
      windowsAtEnd: (leftPages) => this.windowsAtEnd(reader, leftPages),
      whenGrown: (listener) => void (reader.grown = listener),
      learnedWindow: () => this.learned,
      learnWindow: (learned) => void (this.learned = learned),
      leave: () => {
        if (left) return;
        left = true;
        this.readers.delete(reader);
        for (const other of this.readers) other.grown?.();
      },
    };
  }

  /**
   * Windows a stream reads at once now: `requestsAhead` while streams may still start (they would need their
   * share), else an even share of the account's windows among the streams still reading.
   */
  private requestsAhead(): number {
    const reading = this.readers.size;
    if (this.started < this.streams || reading < 1) return this.perStream;
    return Math.max(this.perStream, Math.floor(this.windows / reading));
  }

  /**
   * The most windows `reader` may read at once before its read ends, now that it has `leftPages` to read: once
   * every stream started, the account's windows shared among the streams with as much left as it or more (the
   * others end first); `requestsAhead` while streams may still start. Plans windows; proves nothing.
   */
  private windowsAtEnd(reader: Reader, leftPages: number): number {
    reader.leftPages = leftPages;
    if (this.started < this.streams) return this.perStream;
    let longer = 0;
    for (const other of this.readers) if (other.leftPages >= leftPages) longer++;
    return Math.max(this.perStream, Math.floor(this.windows / Math.max(1, longer)));
  }
}
