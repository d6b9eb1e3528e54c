// The turns of a run's streams: `parallelStreams` at once, a stream in its tail handing its turn on, within the
// tails the warehouse's connections allow.
import { describe, expect, it } from "vitest";
import { type StreamTurn, StreamTurns } from "../../src/sync/stream.turns.js";
import { tailsAllowed } from "../../src/sync/run-sync.workers.js";

/** Takes turns for `n` streams in order; `started` lists those that have their turn, as they get it. */
function streams(turns: StreamTurns, n: number) {
  const started: number[] = [];
  const taken: StreamTurn[] = [];
  const all = (async () => {
    for (let i = 0; i < n; i++) {
      taken.push(await turns.take());
      started.push(i);
    }
  })();
  return { started, taken, all };
}

/** Lets every turn already passed on reach its stream. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the turns of a run's streams", () => {
  // Kills "an ended stream's turn never passed on" (the run would stop after its first streams).
  it("are parallelStreams at once; the next stream starts when one ends", async () => {
    const s = streams(new StreamTurns(2, 0), 3);
    await settle();
    expect(s.started).toEqual([0, 1]);
    s.taken[1]?.end();
    await s.all;
    expect(s.started).toEqual([0, 1, 2]);
  });

  // Kills "a stream's tail never hands its turn on": the next stream would wait for the whole of its last windows.
  it("go to the next stream as soon as a stream is in its tail, before it ends", async () => {
    const s = streams(new StreamTurns(1, 1), 2);
    await settle();
    expect(s.started).toEqual([0]);
    s.taken[0]?.handOn();
    await s.all;
    expect(s.started).toEqual([0, 1]);
  });

  // Kills "tails unbounded": every stream in its tail would hold a lock's connection, past what the pool keeps.
  it("let no more streams be in their tail at once than allowed; a tail that ends makes room", async () => {
    const s = streams(new StreamTurns(1, 1), 3);
    await settle();
    s.taken[0]?.handOn();
    await settle();
    expect(s.started).toEqual([0, 1]);
    // One tail already: the second stream keeps its turn.
    s.taken[1]?.handOn();
    await settle();
    expect(s.started).toEqual([0, 1]);
    s.taken[0]?.end();
    // Asked again (a stream says so at each window it plans), it now hands its turn on.
    s.taken[1]?.handOn();
    await s.all;
    expect(s.started).toEqual([0, 1, 2]);
  });

  // Kills "a turn handed on is passed again at the stream's end": the run would read more streams at once than
  // parallelStreams and its tails.
  it("are passed on once: a stream that handed its turn on gives none back at its end", async () => {
    const s = streams(new StreamTurns(1, 1), 3);
    await settle();
    s.taken[0]?.handOn();
    s.taken[0]?.handOn();
    await settle();
    s.taken[0]?.end();
    s.taken[0]?.end();
    await settle();
    expect(s.started).toEqual([0, 1]);
    s.taken[1]?.end();
    await s.all;
    expect(s.started).toEqual([0, 1, 2]);
  });

  it("stay with their stream when no tail is allowed", async () => {
    const s = streams(new StreamTurns(1, 0), 2);
    await settle();
    s.taken[0]?.handOn();
    await settle();
    expect(s.started).toEqual([0]);
    s.taken[0]?.end();
    await s.all;
    expect(s.started).toEqual([0, 1]);
  });
});

describe("the streams a run lets be in their tail at once", () => {
  // Kills "tails take the run's own connections": the tails' locks would take the connections of the run's lease,
  // budgets and batches, and a copy would wait on its own pool.
  it("are the pool's connections beyond the streams in their turn and the run's own, up to parallelStreams", () => {
    // sync's pool: 2 × parallelStreams + 3.
    expect(tailsAllowed(2 * 8 + 3, 8)).toBe(8);
    expect(tailsAllowed(2 * 1 + 3, 1)).toBe(1);
    expect(tailsAllowed(10, 4)).toBe(3);
    expect(tailsAllowed(6, 4)).toBe(0);
  });
});
