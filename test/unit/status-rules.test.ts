/** The small decisions behind "status is the truth": a run's status, /healthz, and where retirement may act. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { assessHealth, DETAIL_LIMIT, failedRunOf, lastRunOf } from "../../src/daemon/health.status.js";
import { configuredStreams, retirementScope } from "../../src/sync/stream.retirement.js";
import { nothingToDo, runStatus, type RunSummary } from "../../src/sync/run-sync.engine.js";
import { freshOutcome, type StreamOutcome, type StreamResult } from "../../src/sync/run-stream.engine.js";

const outcome = (status: StreamResult, key = "k"): StreamOutcome => ({
  ...freshOutcome({ source: "yandex_direct", account: "a", streamKey: key }, status),
  ...(status === "succeeded" || status === "skipped" ? {} : { error: `${key} ${status}` }),
});

describe("nothingToDo", () => {
  it.each([
    { streams: ["skipped", "skipped"], accounts: 0, expected: "all 2 streams held or just synced" },
    { streams: ["skipped"], accounts: 0, expected: "the 1 stream held or just synced" },
    { streams: ["succeeded", "skipped"], accounts: 0, expected: undefined },
    { streams: ["failed", "skipped"], accounts: 0, expected: undefined },
    { streams: ["skipped"], accounts: 1, expected: undefined },
    { streams: [], accounts: 0, expected: undefined },
  ] as const)("$streams with $accounts failed accounts: $expected", ({ streams, accounts, expected }) => {
    const note = nothingToDo(
      streams.map((s) => outcome(s)),
      accounts,
    );
    if (expected === undefined) expect(note).toBeUndefined();
    else expect(note).toBe(`nothing to do: ${expected} by other eventlog-sync processes`);
  });
});

describe("runStatus", () => {
  it.each([
    { streams: [], accounts: 0, expected: "succeeded" },
    { streams: ["skipped", "skipped"], accounts: 0, expected: "succeeded" },
    { streams: ["succeeded", "skipped"], accounts: 0, expected: "succeeded" },
    { streams: ["succeeded", "failed"], accounts: 0, expected: "partial" },
    { streams: ["succeeded"], accounts: 1, expected: "partial" },
    { streams: ["succeeded", "incomplete"], accounts: 0, expected: "partial" },
    { streams: ["failed", "partial", "incomplete", "skipped"], accounts: 0, expected: "failed" },
    { streams: [], accounts: 1, expected: "failed" },
    { streams: ["partial"], accounts: 2, expected: "failed" },
    { streams: ["succeeded", "interrupted"], accounts: 0, expected: "interrupted" },
  ] as const)("$streams with $accounts failed accounts: $expected", ({ streams, accounts, expected }) => {
    expect(
      runStatus(
        streams.map((s, i) => outcome(s, String(i))),
        accounts,
      ),
    ).toBe(expected);
  });
});

describe("assessHealth", () => {
  const summary = (status: RunSummary["status"], streams: StreamOutcome[]): RunSummary => ({
    runId: 7,
    status,
    streams,
    accounts: [{ source: "altcraft", account: "main", error: "altcraft API error 401" }],
  });
  const at = new Date("2026-11-28T12:00:00Z");

  it("answers 200 starting, ok or degraded, and 503 failed or unreachable", () => {
    const up = { up: true } as const;
    expect(assessHealth(undefined, up)).toEqual({ httpStatus: 200, status: "starting" });
    expect(assessHealth(lastRunOf(summary("succeeded", []), at), up)).toEqual({ httpStatus: 200, status: "ok" });
    expect(assessHealth(lastRunOf(summary("partial", []), at), up)).toEqual({ httpStatus: 200, status: "degraded" });
    expect(assessHealth(lastRunOf(summary("interrupted", []), at), up)).toEqual({
      httpStatus: 200,
      status: "degraded",
    });
    expect(assessHealth(lastRunOf(summary("failed", []), at), up)).toEqual({ httpStatus: 503, status: "failed" });
    expect(assessHealth(failedRunOf("connect ECONNREFUSED", at), up)).toEqual({ httpStatus: 503, status: "failed" });
    expect(assessHealth(lastRunOf(summary("succeeded", []), at), { up: false, error: "down" })).toEqual({
      httpStatus: 503,
      status: "unreachable",
    });
  });

  it("details the streams that did not succeed, at most DETAIL_LIMIT of them, and the failed accounts", () => {
    const streams = [
      outcome("succeeded", "ok"),
      outcome("skipped", "held"),
      ...Array.from({ length: DETAIL_LIMIT + 5 }, (_, i) => outcome("failed", `f${i}`)),
    ];
    const last = lastRunOf(summary("partial", streams), at);
    expect(last.streams).toEqual({ succeeded: 1, skipped: 1, failed: DETAIL_LIMIT + 5 });
    expect(last.notSucceeded).toHaveLength(DETAIL_LIMIT);
    expect(last.notSucceeded[0]).toEqual({ stream: "yandex_direct/a/f0", status: "failed", error: "f0 failed" });
    expect(last.failedAccounts).toEqual([{ account: "altcraft/main", error: "altcraft API error 401" }]);
    expect(last).toMatchObject({ runId: 7, status: "partial", finishedAt: "2026-11-28T12:00:00.000Z" });
  });
});

describe("retirement", () => {
  it("may act on every source without a selection, on the chosen sources and accounts, and not at all for chosen streams", () => {
    expect(retirementScope({})).toEqual({ sources: ["altcraft", "yandex_direct"] });
    expect(retirementScope({ sources: ["yandex_direct"] })).toEqual({ sources: ["yandex_direct"] });
    expect(retirementScope({ accounts: ["agency"] })).toEqual({
      sources: ["altcraft", "yandex_direct"],
      accounts: ["agency"],
    });
    expect(retirementScope({ streams: ["client-1"] })).toBeUndefined();
  });

  it("names each Yandex.Direct login (or the token owner) and every stream of each Altcraft account", () => {
    const config = parseConfig(
      {
        sources: {
          altcraft: { accounts: [{ name: "main", token: "${T}" }] },
          yandex_direct: {
            accounts: [
              { name: "agency", token: "${T}", currency: "RUB", logins: ["client-1", "client-2"] },
              { name: "own", token: "${U}", currency: "RUB" },
            ],
          },
        },
      },
      { T: "token-one", U: "token-two" },
    );
    expect(configuredStreams(config, "(owner)")).toEqual([
      { source: "altcraft", account: "main" },
      { source: "yandex_direct", account: "agency", streamKeys: ["client-1", "client-2"] },
      { source: "yandex_direct", account: "own", streamKeys: ["(owner)"] },
    ]);
  });
});
