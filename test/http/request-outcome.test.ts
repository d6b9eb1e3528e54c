// Each request is counted once and its observer told how it ended, with one outcome per kind of failure, and each retry
// once.
import { describe, expect, it } from "vitest";
import { ApiError, HttpError, MalformedResponseError, NetworkError, TimeoutError } from "../../src/errors.js";
import { type RequestOutcome, requestOutcome } from "../../src/http/retry.policy.js";
import { countRequest, countRetry, type RequestTally, withRetries } from "../../src/http/request.retries.js";

describe("requestOutcome", () => {
  it.each<[string, unknown, RequestOutcome]>([
    ["a Yandex.Direct daily limit", new ApiError("yandex_direct", 56, "limit"), "quota"],
    ["Yandex.Direct points spent", new ApiError("yandex_direct", 152, "points"), "quota"],
    ["an Altcraft tariff limit", new ApiError("altcraft", 402, "tariff"), "quota"],
    ["a refused token", new ApiError("yandex_direct", 53, "token"), "api_error"],
    ["a transient API error", new ApiError("altcraft", 503, "busy"), "api_error"],
    ["an HTTP status without an API body", new HttpError(502, "bad gateway"), "http_error"],
    ["a body not in the API's format", new MalformedResponseError("not JSON", "<html>"), "malformed"],
    ["no answer in time", new TimeoutError(1000), "timeout"],
    ["a reset connection", new NetworkError("ECONNRESET: socket hang up"), "network"],
    ["a signal", new DOMException("This operation was aborted", "AbortError"), "aborted"],
    ["anything else", new TypeError("boom"), "error"],
  ])("%s is %s", (_, err, outcome) => {
    expect(requestOutcome(err)).toBe(outcome);
  });
});

describe("countRequest", () => {
  it("counts every attempt once, and tells the observer of each attempt's outcome and of each retry", async () => {
    const seen: Array<[RequestOutcome, number]> = [];
    let retries = 0;
    const tally: RequestTally = {
      requests: 0,
      retries: 0,
      observer: { request: (outcome, seconds) => seen.push([outcome, seconds]), retry: () => retries++ },
    };
    const answers = [new HttpError(503, ""), new TimeoutError(5), "done"];
    const result = await withRetries(
      () =>
        countRequest(tally, async () => {
          const next = answers.shift();
          if (next instanceof Error) throw next;
          return next;
        }),
      { retries: 3, minDelayMs: 0, maxDelayMs: 0 },
      { onRetry: (notice) => countRetry(tally, notice) },
    );
    expect(result).toBe("done");
    expect(tally).toMatchObject({ requests: 3, retries: 2 });
    expect(retries).toBe(2);
    expect(seen.map(([outcome]) => outcome)).toEqual(["http_error", "timeout", "ok"]);
    for (const [, seconds] of seen) expect(seconds).toBeGreaterThanOrEqual(0);
  });

  it("rethrows what the attempt threw, after telling the observer", async () => {
    const seen: RequestOutcome[] = [];
    const tally: RequestTally = {
      requests: 0,
      retries: 0,
      observer: { request: (outcome) => seen.push(outcome), retry: () => undefined },
    };
    const refused = new ApiError("altcraft", 402, "Tariff limit reached");
    await expect(countRequest(tally, () => Promise.reject(refused))).rejects.toBe(refused);
    expect(seen).toEqual(["quota"]);
    expect(tally.requests).toBe(1);
  });

  it("works without an observer", async () => {
    const tally: RequestTally = { requests: 0, retries: 0 };
    await expect(countRequest(tally, async () => 1)).resolves.toBe(1);
    expect(tally.requests).toBe(1);
  });
});
