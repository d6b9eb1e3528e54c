// Only a lost connection is tried again, a bounded number of times; a wrong statement fails at once; a lost
// connection is named as the warehouse's in the stream's error.
import { describe, expect, it } from "vitest";
import {
  isLostConnection,
  retryOnLostConnection,
  warehouseFailureMessage,
} from "../../src/warehouse/connection.loss.js";

const terminated = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });

describe("retryOnLostConnection", () => {
  it("knows a lost connection from a wrong statement", () => {
    expect(isLostConnection(terminated)).toBe(true);
    expect(isLostConnection(Object.assign(new Error("x"), { code: "08006" }))).toBe(true);
    expect(isLostConnection(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isLostConnection(Object.assign(new Error("syntax error"), { code: "42601" }))).toBe(false);
    expect(
      isLostConnection(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" })),
    ).toBe(false);
  });

  it("tries a statement again after a lost connection, up to three times, and never after another error", async () => {
    let calls = 0;
    expect(await retryOnLostConnection(async () => (++calls < 3 ? Promise.reject(terminated) : "done"))).toBe("done");
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retryOnLostConnection(async () => {
        calls++;
        throw terminated;
      }),
    ).rejects.toBe(terminated);
    expect(calls).toBe(4);
    calls = 0;
    const wrong = Object.assign(new Error("syntax error"), { code: "42601" });
    await expect(
      retryOnLostConnection(async () => {
        calls++;
        throw wrong;
      }),
    ).rejects.toBe(wrong);
    expect(calls).toBe(1);
  });
});

describe("warehouseFailureMessage", () => {
  it("names the warehouse when its connection went away, and leaves any other message as it is", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(warehouseFailureMessage(reset)).toBe("the warehouse connection was lost (read ECONNRESET)");
    expect(warehouseFailureMessage(terminated)).toMatch(/^the warehouse connection was lost \(terminating/);
    expect(warehouseFailureMessage(new Error('relation "x" does not exist'))).toBe('relation "x" does not exist');
  });
});
