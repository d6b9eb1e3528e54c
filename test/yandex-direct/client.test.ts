// The GetEventsLog client sends every parameter, reports API errors with their code and never the token, and retries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, HttpError, MalformedResponseError } from "../../src/errors.js";
import { createHttpAgent } from "../../src/http/http.post.js";
import { createRedactor } from "../../src/http/secrets.redactor.js";
import { createRequestGate } from "../../src/http/request.gate.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import type { RequestTally } from "../../src/http/request.retries.js";
import {
  createYandexDirectClient,
  parseResponse,
  requestIdOf,
} from "../../src/sources/yandex-direct/yandex-direct.client.js";

let sim: YandexDirectSimulator;
const agent = createHttpAgent();
const now = Date.UTC(2026, 5, 1, 12);
beforeAll(async () => {
  sim = await startYandexDirectSimulator({ seed: 3, clientLogins: 2, historyDays: 3, clock: () => now });
});
afterAll(async () => {
  await agent.close();
  await sim.close();
});

const client = (token = "agency-token", endpoint = sim.endpoint) =>
  createYandexDirectClient({
    endpoint,
    token,
    locale: "ru",
    timeoutMs: 2000,
    gate: createRequestGate({ concurrency: 2, requestsPerSecond: 0 }),
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    agent,
  });

describe("GetEventsLog client", () => {
  it("sends every request parameter and returns the items", async () => {
    const tally: RequestTally = { requests: 0, retries: 0 };
    const { campaignIds } = sim.ids("client-1");
    const items = await client().getEventsLog(
      {
        TimestampFrom: "2026-05-29T12:00:00Z",
        TimestampTo: "2026-06-01T11:00:00Z",
        Currency: "EUR",
        WithTextDescription: "Yes",
        Logins: ["client-1"],
        Filter: { CampaignIDS: campaignIds.slice(0, 2), EventType: ["MoneyIn", "MoneyWarning", "WarnPlace"] },
        Limit: 5,
        Offset: 2,
      },
      tally,
    );
    expect(tally).toEqual({ requests: 1, retries: 0 });
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(5);
    for (const item of items as Array<Record<string, unknown>>) {
      expect(["MoneyIn", "MoneyWarning", "WarnPlace"]).toContain(item.EventType);
      expect(typeof item.TextDescription).toBe("string");
      expect(item.EventName).toMatch(/[А-Яа-я]/);
    }
  });

  it("asks for the last event of each type (LastEventOnly) for ad-hoc use", async () => {
    const items = (await client().getEventsLog(
      { TimestampFrom: "2026-05-29T12:00:00Z", Currency: "RUB", LastEventOnly: "Yes", Logins: ["client-2"] },
      { requests: 0, retries: 0 },
    )) as Array<{ EventType: string }>;
    const types = items.map((i) => i.EventType);
    expect(new Set(types).size).toBe(types.length);
  });

  it("reports an API error with its code and never the token", async () => {
    const attempt = client("wrong-secret-token").getEventsLog(
      { TimestampFrom: "2026-05-29T12:00:00Z", Currency: "RUB" },
      { requests: 0, retries: 0 },
    );
    await expect(attempt).rejects.toBeInstanceOf(ApiError);
    await expect(attempt).rejects.toMatchObject({ code: 53 });
    await expect(attempt).rejects.not.toThrow(/wrong-secret-token/);
  });

  it("names the RequestId header of the failed answer, the one the simulator sent", async () => {
    const attempt = client("wrong-secret-token").getEventsLog(
      { TimestampFrom: "2026-05-29T12:00:00Z", Currency: "RUB" },
      { requests: 0, retries: 0 },
    );
    await expect(attempt).rejects.toThrow(/\(Unknown or expired token; RequestId \d+\)$/);
    const message = await attempt.catch((err: Error) => err.message);
    expect(message).toContain(`; RequestId ${sim.requestIds().at(-1)})`);
  });

  it("retries a transient error and counts the retry", async () => {
    sim.failNext("agency-token", 503, 2);
    const tally: RequestTally = { requests: 0, retries: 0 };
    await client().getEventsLog({ TimestampFrom: "2026-05-31T12:00:00Z", Currency: "RUB" }, tally);
    expect(tally).toEqual({ requests: 3, retries: 2 });
  });
});

describe("parseResponse", () => {
  const plain = { redact: createRedactor([]) };
  it("knows the error envelope, even with a string code", () => {
    expect(() =>
      parseResponse(200, '{"error_detail":"","error_str":"Internal server error","error_code":500}', plain),
    ).toThrow("yandex_direct API error 500: Internal server error");
    expect(() => parseResponse(200, '{"error_code":"56","error_str":"Limit","error_detail":"daily"}', plain)).toThrow(
      /API error 56: Limit \(daily\)/,
    );
  });

  it.each([
    ["<html><body>Bad gateway</body></html>", 200, /not JSON: <html><body>Bad gateway/],
    ['{"data": [1, 2', 200, /not JSON: \{"data": \[1, 2/],
    ['{"result": []}', 200, /without a `data` array: \{"result": \[\]\}/],
    ["", 200, /not JSON: \(empty body\)/],
  ])("calls %j a malformed response with a snippet", (body, status, message) => {
    expect(() => parseResponse(status, body, plain)).toThrow(MalformedResponseError);
    expect(() => parseResponse(status, body, plain)).toThrow(message);
  });
});

describe("the RequestId of a failed answer", () => {
  const id = "8695244274068608439";
  const withId = { redact: createRedactor([]), requestId: id };
  it.each([
    [
      200,
      '{"error_code":54,"error_str":"No rights","error_detail":"login x"}',
      ApiError,
      /No rights \(login x; RequestId \d+\)$/,
    ],
    [200, '{"error_code":54,"error_str":"No rights","error_detail":""}', ApiError, /No rights \(RequestId \d+\)$/],
    [502, "<html>Bad gateway</html>", HttpError, /^HTTP 502: <html>Bad gateway<\/html> \(RequestId \d+\)$/],
    [200, "<html>Bad gateway</html>", MalformedResponseError, /not JSON: <html>Bad gateway<\/html> \(RequestId \d+\)$/],
    [200, '{"result": []}', MalformedResponseError, /without a `data` array: .* \(RequestId \d+\)$/],
  ])("is named at the end of the error for HTTP %i %j", (status, body, kind, message) => {
    expect(() => parseResponse(status, body, withId)).toThrow(kind);
    expect(() => parseResponse(status, body, withId)).toThrow(message);
    expect(() => parseResponse(status, body, withId)).toThrow(`RequestId ${id}`);
  });

  it("is read from the header, redacted like any server text, kept short, and absent when the header is", () => {
    const redact = createRedactor(["secret-token-123"]);
    expect(requestIdOf("8695244274068608439", redact)).toBe("8695244274068608439");
    expect(requestIdOf(["8695244274068608439", "2"], redact)).toBe("8695244274068608439");
    expect(requestIdOf("echo-secret-token-123", redact)).toBe("echo-[redacted]");
    expect(requestIdOf("9".repeat(500), redact)).toHaveLength(64);
    expect(requestIdOf(undefined, redact)).toBeUndefined();
    expect(requestIdOf("  ", redact)).toBeUndefined();
  });
});
