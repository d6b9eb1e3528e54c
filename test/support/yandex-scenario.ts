/**
 * A Yandex.Direct sync scenario: the simulator on loopback with a clock the test moves, a config pointing
 * at it, runs of the real engine, and the check that matters — the warehouse holds exactly the events the
 * simulator holds for the synced range, as a multiset.
 */
import { expect } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { createLogger, type Logger } from "../../src/log/pino.logger.js";
import {
  startYandexDirectSimulator,
  type YandexDirectSimulator,
  type YandexDirectSimulatorOptions,
} from "../../src/simulators/yandex-direct/index.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import { type RunSummary, runSync, type SyncDependencies } from "../../src/sync/run-sync.engine.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export interface YandexScenario {
  sim: YandexDirectSimulator;
  clock: { now: number };
  startTime: number;
  logins: string[];
  run(
    warehouse: Warehouse,
    options?: { signal?: AbortSignal; onPage?: SyncDependencies["onPage"] },
  ): Promise<RunSummary>;
  /** Asserts every login's rows equal the simulator's events in [startTime, cursor). Returns rows checked. */
  expectGroundTruth(warehouse: Warehouse): Promise<number>;
  /** Asserts every login's cursor reached the end of what can be read: now minus the settle lag. */
  expectCaughtUp(warehouse: Warehouse): Promise<void>;
  close(): Promise<void>;
}

export interface ScenarioOptions {
  /** A server in front of the simulator (a rewriting proxy): given its endpoint, returns the endpoint the account uses. */
  front?: (upstream: string) => Promise<{ url: string; close(): Promise<void> }>;
  simulator?: YandexDirectSimulatorOptions;
  /** Fields of the account config (raw, as in the file). */
  account?: Record<string, unknown>;
  /** The config's `sync` section (raw, as in the file). */
  sync?: Record<string, unknown>;
  logins?: string[];
  accountName?: string;
  /** The account's token. Default the agency's, `agency-token`. */
  token?: string;
  /** Clock at start, ms. Default 2026-11-20T12:00:00Z. */
  now?: number;
  /** Where the runs log. Default a silent logger. */
  log?: Logger;
}

export async function startYandexScenario(options: ScenarioOptions = {}): Promise<YandexScenario> {
  const clock = { now: options.now ?? Date.UTC(2026, 10, 20, 12) };
  const sim = await startYandexDirectSimulator({
    seed: 7,
    clientLogins: 3,
    historyDays: 30,
    eventsPerHour: 6,
    clock: () => clock.now,
    ...options.simulator,
  });
  const front = options.front ? await options.front(sim.endpoint) : undefined;
  const logins = options.logins ?? ["client-1", "client-2", "client-3"];
  const startTime = clock.now - 30 * DAY;
  const accountName = options.accountName ?? "agency";
  const config = parseConfig(
    {
      ...(options.sync ? { sync: options.sync } : {}),
      sources: {
        yandex_direct: {
          accounts: [
            {
              name: accountName,
              token: "${YD_TOKEN}",
              endpoint: front?.url ?? sim.endpoint,
              currency: "RUB",
              logins,
              startTime: new Date(startTime).toISOString(),
              settleLag: "60s",
              lookback: "1h",
              timeout: "3s",
              retryMinDelay: "5ms",
              retryMaxDelay: "50ms",
              ...options.account,
            },
          ],
        },
      },
    },
    { YD_TOKEN: options.token ?? "agency-token" },
  );
  const account = config.sources.yandex_direct?.accounts[0];
  const log = options.log ?? createLogger({ level: "silent" });
  return {
    sim,
    clock,
    startTime,
    logins,
    run: (warehouse, runOptions = {}) =>
      runSync({
        warehouse,
        config,
        log,
        signal: runOptions.signal ?? new AbortController().signal,
        command: "test",
        now: () => new Date(clock.now),
        ...(runOptions.onPage ? { onPage: runOptions.onPage } : {}),
      }),
    async expectGroundTruth(warehouse) {
      let checked = 0;
      for (const login of logins) {
        const stream = await warehouse.db
          .selectFrom("sync.streams")
          .select(["cursor"])
          .where("source", "=", "yandex_direct")
          .where("account", "=", accountName)
          .where("stream_key", "=", login)
          .executeTakeFirstOrThrow();
        expect(stream.cursor, `cursor of ${login}`).not.toBeNull();
        const cursor = (stream.cursor as Date).getTime();
        const truth = sim
          .events({
            login,
            from: startTime,
            to: cursor - 1000,
            currency: account === undefined || account.currency === "client" ? "RUB" : account.currency,
            locale: account?.locale ?? "en",
            withTextDescription: account?.withTextDescription ?? true,
          })
          .map((e) => canonicalJson(e))
          .sort();
        const rows = await warehouse.db
          .selectFrom("yandex_direct.events")
          .select(["raw"])
          .where("account", "=", accountName)
          .where("login", "=", login)
          .execute();
        const stored = rows.map((r) => canonicalJson(r.raw)).sort();
        expect(stored.length, `rows of ${login}`).toBe(truth.length);
        expect(stored, `rows of ${login}`).toEqual(truth);
        checked += stored.length;
      }
      return checked;
    },
    async expectCaughtUp(warehouse) {
      const end = Math.floor((clock.now - (account?.settleLag ?? 60_000)) / 1000) * 1000;
      const streams = await warehouse.db
        .selectFrom("sync.streams")
        .select(["stream_key", "cursor"])
        .where("source", "=", "yandex_direct")
        .where("account", "=", accountName)
        .execute();
      expect(streams.map((s) => s.stream_key).sort()).toEqual([...logins].sort());
      for (const stream of streams)
        expect(stream.cursor?.toISOString(), `cursor of ${stream.stream_key}`).toBe(new Date(end).toISOString());
    },
    close: async () => {
      await front?.close();
      await sim.close();
    },
  };
}
