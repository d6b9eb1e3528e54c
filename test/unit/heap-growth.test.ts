// The CLI bounds V8's heap growth for its process unless the operator gave node a growth of their own.
// Kills: an operator's --heap-growing-percent overridden (in node's arguments or NODE_OPTIONS, either spelling).
import { describe, expect, it } from "vitest";
import { boundHeapGrowth } from "../../src/cli/heap.growth.js";

describe("boundHeapGrowth", () => {
  it("sets the growth when node was given none", () => {
    expect(boundHeapGrowth({ execArgv: ["--enable-source-maps"], nodeOptions: "--max-old-space-size=512" })).toBe(true);
    expect(boundHeapGrowth({ execArgv: [], nodeOptions: undefined })).toBe(true);
  });

  it.each([
    [["--heap-growing-percent=100"], undefined],
    [[], "--enable-source-maps --heap_growing_percent=20"],
  ])("leaves an operator's own growth as it is (%j, %s)", (execArgv, nodeOptions) => {
    expect(boundHeapGrowth({ execArgv, nodeOptions })).toBe(false);
  });
});
