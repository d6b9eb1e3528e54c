/**
 * The requests ahead of one Yandex.Direct account's streams in a run, shared (docs/architecture.md, Glossary:
 * requests ahead). Each stream reads `requestsAhead` windows at once; once every stream of the account has
 * started and fewer than `parallelStreams` of them are still reading (the end of a run), those left share the
 * windows of the ones that ended, so slow answers stay hidden to the last stream. The account never reads more
 * than `requestsAhead × min(parallelStreams, its streams)` windows at once: memory stays what that allows.
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

export class RequestsAheadShare {
  private started = 0;
  private reading = 0;
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
    this.reading++;
    let left = false;
    return {
      requestsAhead: () => this.requestsAhead(),
      learnedWindow: () => this.learned,
      learnWindow: (learned) => void (this.learned = learned),
      leave: () => {
        if (left) return;
        left = true;
        this.reading--;
      },
    };
  }

  /**
   * Windows a stream reads at once now: `requestsAhead` while streams may still start (they would need their
   * share), else an even share of the account's windows among the streams still reading.
   */
  private requestsAhead(): number {
    if (this.started < this.streams || this.reading < 1) return this.perStream;
    return Math.max(this.perStream, Math.floor(this.windows / this.reading));
  }
}
