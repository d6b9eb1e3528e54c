// The order a run takes its streams in: furthest behind first (to the hour), the accounts taking turns among
// streams as far behind, the plan's order otherwise.
import { describe, expect, it } from "vitest";
import { takeOrder } from "../../src/sync/stream.order.js";

const HOUR = 3_600_000;
const at = (h: number) => new Date(Date.UTC(2026, 10, 20) + h * HOUR);
const job = (account: string, key: string) => ({
  identity: { source: "yandex_direct" as const, account, streamKey: key },
});
const keys = (jobs: ReadonlyArray<{ identity: { account: string; streamKey: string } }>) =>
  jobs.map((j) => `${j.identity.account}/${j.identity.streamKey}`);

describe("takeOrder", () => {
  it("takes the stream never read first, then the oldest cursor", () => {
    const cursors = new Map([
      ["a", at(5)],
      ["b", at(1)],
      ["d", at(3)],
    ]);
    const jobs = ["a", "b", "c", "d"].map((k) => job("x", k));
    expect(keys(takeOrder(jobs, (id) => cursors.get(id.streamKey)))).toEqual(["x/c", "x/b", "x/d", "x/a"]);
  });

  it("lets the accounts take turns among streams as far behind, so copies do not crowd one token", () => {
    const jobs = [
      job("one", "1"),
      job("one", "2"),
      job("one", "3"),
      job("two", "1"),
      job("two", "2"),
      job("three", "1"),
    ];
    expect(keys(takeOrder(jobs, () => null))).toEqual(["one/1", "two/1", "three/1", "one/2", "two/2", "one/3"]);
  });

  it("counts cursors within the same hour as equally behind, and an older hour before them all", () => {
    const cursors = new Map([
      ["one/1", new Date(at(2).getTime() + 10)],
      ["one/2", new Date(at(2).getTime() + 20)],
      ["two/1", new Date(at(2).getTime() + 30)],
      ["two/2", new Date(at(1).getTime() + 59 * 60_000)],
    ]);
    const jobs = [job("one", "1"), job("one", "2"), job("two", "1"), job("two", "2")];
    expect(keys(takeOrder(jobs, (id) => cursors.get(`${id.account}/${id.streamKey}`)))).toEqual([
      "two/2",
      "one/1",
      "two/1",
      "one/2",
    ]);
  });
});
