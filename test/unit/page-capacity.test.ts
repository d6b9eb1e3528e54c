// The evidence rule for "this is all there is": what a remembered capacity proves, for how long, and how a
// lowered cap is noticed. Each threshold is tested on both sides.
import { describe, expect, it } from "vitest";
import { CapacityMemory } from "../../src/sources/page-capacity.js";

const MEMORY = 60_000;
const clockAt = (start = 1_000_000) => {
  const clock = { now: start, read: () => clock.now };
  return clock;
};

describe("CapacityMemory", () => {
  it("settles only an empty response while nothing is proven, whatever its size", () => {
    const memory = new CapacityMemory<string>(undefined, MEMORY, clockAt().read);
    expect(memory.settles(0)).toBe(true);
    for (const n of [1, 5, 49, 50, 51, 1000]) expect(memory.settles(n)).toBe(false);
  });

  it("settles a response smaller than what the server delivered, not one as large", () => {
    const memory = new CapacityMemory<string>(undefined, MEMORY, clockAt().read);
    expect(memory.delivered(20, "w1")).toBe(true);
    expect(memory.settles(19)).toBe(true);
    expect(memory.settles(20)).toBe(false);
    expect(memory.settles(21)).toBe(false);
  });

  it("relies on a capacity for its memory and no longer, then asks for the proving request again", () => {
    const clock = clockAt();
    const memory = new CapacityMemory<string>(undefined, MEMORY, clock.read);
    memory.delivered(300, "proving window");
    clock.now += MEMORY;
    expect(memory.settles(10)).toBe(true);
    expect(memory.probeFor(10)).toBeUndefined();
    clock.now += 1;
    expect(memory.settles(10)).toBe(false);
    expect(memory.probeFor(10)).toBe("proving window");
    expect(memory.probeFor(0)).toBeUndefined();
    expect(memory.probeFor(300)).toBeUndefined();
  });

  it("re-proves a capacity when the probe delivers as many again, and lowers it when it delivers fewer", () => {
    const clock = clockAt();
    const memory = new CapacityMemory<string>(undefined, MEMORY, clock.read);
    memory.delivered(300, "w");
    clock.now += 2 * MEMORY;
    expect(memory.reproved(300)).toBe(true);
    expect(memory.takeLowered()).toBe(false);
    expect(memory.settles(299)).toBe(true);
    clock.now += 2 * MEMORY;
    expect(memory.reproved(299)).toBe(false);
    expect(memory.takeLowered()).toBe(true);
    expect(memory.takeLowered()).toBe(false);
    expect(memory.records).toBe(299);
    expect(memory.settles(298)).toBe(true);
    expect(memory.settles(299)).toBe(false);
  });

  it("knows the exact cap once a response of that size was shown cut short, and notices a lower one", () => {
    const memory = new CapacityMemory<string>(undefined, MEMORY, clockAt().read);
    memory.cutShortAt(60, "w");
    expect(memory.cap).toBe(60);
    expect(memory.atExactCap(60)).toBe(true);
    expect(memory.atExactCap(59)).toBe(false);
    expect(memory.settles(59)).toBe(true);
    expect(memory.takeLowered()).toBe(false);
    memory.cutShortAt(20, "w2");
    expect(memory.takeLowered()).toBe(true);
    expect(memory.cap).toBe(20);
    // Delivering more than the cap shows it was raised: no longer exact.
    expect(memory.delivered(80, "w3")).toBe(true);
    expect(memory.cap).toBeUndefined();
    expect(memory.records).toBe(80);
  });

  it("starts from the stored state and ignores a malformed one", () => {
    const clock = clockAt();
    const stored = { records: 40, provedAt: clock.now - 10, exact: false, probe: "w" };
    expect(new CapacityMemory<string>(stored, MEMORY, clock.read).settles(39)).toBe(true);
    expect(new CapacityMemory<string>({ ...stored, records: 0 }, MEMORY, clock.read).settles(1)).toBe(false);
    expect(new CapacityMemory<string>(null, MEMORY, clock.read).snapshot()).toBeNull();
  });
});
