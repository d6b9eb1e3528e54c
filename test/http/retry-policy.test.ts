// One place decides what a failure means (retried, a quota, fatal), and withRetries retries only what it should.
import { describe, expect, it } from "vitest";
import {
  ApiError,
  HttpError,
  LoaderInputError,
  MalformedResponseError,
  NetworkError,
  RequestBudgetWaitError,
  TimeoutError,
} from "../../src/errors.js";
import { parseRetryAfter } from "../../src/http/http.post.js";
import { createRequestGate } from "../../src/http/request.gate.js";
import { classifyFailure } from "../../src/http/retry.policy.js";
import { withRetries } from "../../src/http/request.retries.js";

describe("classifyFailure", () => {
  it("retries a wait for a budget slot that other eventlog-sync processes hold, not one a stranger holds", () => {
    const wait = (byStranger: boolean) => new RequestBudgetWaitError("no slot", { waitedMs: 60_000, byStranger });
    expect(classifyFailure(wait(false))).toBe("retryable");
    expect(classifyFailure(wait(true))).toBe("fatal");
  });
  it.each([52, 57, 500, 503, 504, 506, 1000, 1001, 1002, 1020])("Yandex.Direct %i is retryable", (code) => {
    expect(classifyFailure(new ApiError("yandex_direct", code, "x"))).toBe("retryable");
  });
  it.each([56, 152])("Yandex.Direct %i is a quota", (code) => {
    expect(classifyFailure(new ApiError("yandex_direct", code, "x"))).toBe("quota");
  });
  it.each([1, 3, 5, 8, 9, 18, 53, 54, 55, 58, 71, 245, 509, 513, 4000, 8000])("Yandex.Direct %i is fatal", (code) => {
    expect(classifyFailure(new ApiError("yandex_direct", code, "x"))).toBe("fatal");
  });
  it.each([
    [new ApiError("altcraft", 402, "Tariff limit reached"), "quota"],
    [new ApiError("altcraft", 429, "too many"), "retryable"],
    [new ApiError("altcraft", 503, "down"), "retryable"],
    [new ApiError("altcraft", 401, "API token required"), "fatal"],
    [new ApiError("altcraft", 404, "not found"), "fatal"],
    [new HttpError(429, ""), "retryable"],
    [new HttpError(502, "<html>"), "retryable"],
    [new HttpError(404, ""), "fatal"],
    [new NetworkError("ECONNRESET"), "retryable"],
    [new TimeoutError(1000), "retryable"],
    [new MalformedResponseError("not JSON", "<"), "retryable"],
    [new LoaderInputError("bad", "x"), "fatal"],
    [new Error("anything else"), "fatal"],
  ] as const)("%s is %s", (error, expected) => {
    expect(classifyFailure(error)).toBe(expected);
  });
});

describe("withRetries", () => {
  const fast = { retries: 3, minDelayMs: 1, maxDelayMs: 5 };

  it("retries retryable failures and counts them", async () => {
    let calls = 0;
    const retried: Array<{ attempt: number; code: string; delayMs: number }> = [];
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new ApiError("yandex_direct", 506, "too many connections");
        return "ok";
      },
      fast,
      { onRetry: ({ attempt, code, delayMs }) => void retried.push({ attempt, code, delayMs }) },
    );
    expect(result).toBe("ok");
    // The backoff doubles from minDelayMs (jitter comes on top).
    expect(retried).toEqual([
      { attempt: 1, code: "yandex_direct 506", delayMs: 1 },
      { attempt: 2, code: "yandex_direct 506", delayMs: 2 },
    ]);
  });

  it("does not retry a fatal or quota failure, and rethrows it as it is", async () => {
    for (const error of [
      new ApiError("yandex_direct", 53, "Authorization error"),
      new ApiError("yandex_direct", 56, "limit"),
    ]) {
      let calls = 0;
      await expect(
        withRetries(async () => {
          calls++;
          throw error;
        }, fast),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it("gives up after the bounded number of attempts with the last error", async () => {
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw new HttpError(503, `attempt ${calls}`);
      }, fast),
    ).rejects.toThrow("HTTP 503: attempt 4");
    expect(calls).toBe(4);
  });

  it("waits at least what Retry-After asks", async () => {
    let calls = 0;
    const started = performance.now();
    await withRetries(
      async () => {
        if (calls++ === 0) throw new HttpError(429, "", 150);
        return 1;
      },
      { retries: 2, minDelayMs: 1, maxDelayMs: 1000 },
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("parses Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(30_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("createRequestGate", () => {
  it("never runs more than `concurrency` requests at once", async () => {
    const gate = createRequestGate({ concurrency: 3, requestsPerSecond: 0 });
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        gate.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 10));
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it("never starts more than the per-second cap in any one-second window", async () => {
    const gate = createRequestGate({ concurrency: 5, requestsPerSecond: 10 });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 25 }, () => gate.run(async () => void starts.push(performance.now()))));
    for (const t of starts) expect(starts.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(10);
  });

  it("refuses nonsense limits naming the option and the value", () => {
    expect(() => createRequestGate({ concurrency: 0, requestsPerSecond: 0 })).toThrow(
      "Expected `concurrency` to be an integer ≥ 1, got `0`",
    );
    expect(() => createRequestGate({ concurrency: 1, requestsPerSecond: Number.NaN })).toThrow(
      "Expected `requestsPerSecond` to be a number ≥ 0, got `NaN`",
    );
  });
});
