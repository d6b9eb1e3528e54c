// The capacity of a server (economy's shortcut, strict's reason to doubt): what it remembers and for how long.
import { describe, expect, it } from "vitest";
import { CapacityMemory } from "../../src/sources/page.capacity.js";

const MEMORY = 60_000;
const clockAt = (start = 1_000_000) => {
  const clock = { now: start, read: () => clock.now };
  return clock;
};

describe("CapacityMemory", () => {
  // Kills: a capacity from an empty response, or one that never grows.
  it("remembers the most records delivered in one response", () => {
    const memory = new CapacityMemory<string>(undefined, MEMORY, clockAt().read);
    memory.delivered(0, "w0");
    expect(memory.records).toBeUndefined();
    memory.delivered(20, "w1");
    memory.delivered(10, "w2");
    expect(memory.records).toBe(20);
    memory.delivered(30, "w3");
    expect(memory.snapshot()).toMatchObject({ records: 30, probe: "w3" });
  });

  // Kills: a capacity relied on forever (a lowered cap never noticed).
  it("is fresh for its memory and no longer; past it, what the server delivers now replaces it", () => {
    const clock = clockAt();
    const memory = new CapacityMemory<string>(undefined, MEMORY, clock.read);
    memory.delivered(300, "w");
    clock.now += MEMORY;
    expect(memory.isFresh()).toBe(true);
    clock.now += 1;
    expect(memory.isFresh()).toBe(false);
    memory.delivered(20, "w2");
    expect(memory.records).toBe(20);
    expect(memory.isFresh()).toBe(true);
  });

  it("keeps a capacity fresh when the server delivers as many again", () => {
    const clock = clockAt();
    const memory = new CapacityMemory<string>(undefined, MEMORY, clock.read);
    memory.delivered(300, "w");
    clock.now += MEMORY - 1;
    memory.delivered(300, "w");
    clock.now += MEMORY - 1;
    expect(memory.isFresh()).toBe(true);
  });

  it("starts from the stored state and ignores a malformed one", () => {
    const clock = clockAt();
    const stored = { records: 40, provedAt: clock.now - 10, probe: "w" };
    expect(new CapacityMemory<string>(stored, MEMORY, clock.read).records).toBe(40);
    expect(new CapacityMemory<string>({ ...stored, records: 0 }, MEMORY, clock.read).records).toBeUndefined();
    expect(new CapacityMemory<string>(null, MEMORY, clock.read).snapshot()).toBeNull();
  });
});
