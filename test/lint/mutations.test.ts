// Every named mutation still applies: its line occurs exactly once in its file, so `npm run mutations` tries it
// instead of reporting it "not applicable". Kills: a mutation left behind when the code it mutates changed.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MUTATIONS } from "../mutations/mutations.js";

const root = new URL("../../", import.meta.url);

describe("named mutations", () => {
  it.each(MUTATIONS.map((m) => [m.name, m] as const))("%s applies once to its file", (_, mutation) => {
    const text = readFileSync(new URL(mutation.file, root), "utf8");
    expect(text.split(mutation.find).length - 1).toBe(1);
    for (const test of mutation.tests) expect(() => readFileSync(new URL(test, root)), test).not.toThrow();
  });
});
