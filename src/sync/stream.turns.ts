/**
 * The turns of a run's streams (docs/architecture.md, Glossary: stream turn, tail): `parallelStreams` streams read
 * at once, each in its turn. A stream in its tail (its whole read planned, fewer windows in flight than its requests
 * ahead) hands its turn on, so the next stream starts while it reads its last windows, not once it has ended. At
 * most `maxTails` streams are in their tail at once: each still holds its lock's connection, so the streams at once
 * stay within `parallelStreams + maxTails` and the pool keeps connections for the batches they store.
 */

/** One stream's turn, from `take` until the stream ends. */
export interface StreamTurn {
  /** The stream reads its last windows: its turn goes to the next stream, unless `maxTails` streams are already there. */
  handOn(): void;
  /** The stream ended: its turn, unless handed on, goes to the next stream; its place among the tails is freed. */
  end(): void;
}

export class StreamTurns {
  /** Turns free now. */
  private free: number;
  /** Streams in their tail now, their turns handed on. */
  private tails = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most streams in their tail at once (0: a stream keeps its turn to its end). */
  private readonly maxTails: number;

  constructor(parallelStreams: number, maxTails: number) {
    this.free = parallelStreams;
    this.maxTails = maxTails;
  }

  /** Resolves once a turn is free; the stream that takes it must `end` it. */
  async take(): Promise<StreamTurn> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let handedOn = false;
    let ended = false;
    return {
      handOn: () => {
        if (handedOn || ended || this.tails >= this.maxTails) return;
        handedOn = true;
        this.tails++;
        this.pass();
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (handedOn) this.tails--;
        else this.pass();
      },
    };
  }

  /** A turn goes to the stream waiting longest, or is free. */
  private pass(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
