/**
 * An Altcraft sync scenario: the simulator on loopback with a clock the test moves, a config pointing at
 * it, runs of the real engine, and the check that the warehouse holds exactly the simulator's rows of
 * every campaign from the start time to the stream's cursor (the cursor's own millisecond included).
 */
import { expect } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { createLogger } from "../../src/log/pino.logger.js";
import {
  type AltcraftSimulator,
  type AltcraftSimulatorOptions,
  startAltcraftSimulator,
} from "../../src/simulators/altcraft/index.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import { type RunSummary, runSync, type SyncDependencies } from "../../src/sync/run-sync.engine.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export interface AltcraftScenario {
  sim: AltcraftSimulator;
  clock: { now: number };
  startTime: number;
  accountName: string;
  run(
    warehouse: Warehouse,
    options?: { signal?: AbortSignal; onPage?: SyncDependencies["onPage"] },
  ): Promise<RunSummary>;
  /** Asserts every synced campaign's rows equal the simulator's; returns the rows checked. */
  expectGroundTruth(warehouse: Warehouse): Promise<number>;
  /** Asserts every campaign's cursor reached its newest row at or before now. */
  expectCaughtUp(warehouse: Warehouse): Promise<void>;
  close(): Promise<void>;
}

export interface AltcraftScenarioOptions {
  /** A server in front of the simulator (a rewriting proxy): given its URL, returns the URL the account uses. */
  front?: (upstream: string) => Promise<{ url: string; close(): Promise<void> }>;
  simulator?: AltcraftSimulatorOptions;
  account?: Record<string, unknown>;
  accountName?: string;
  now?: number;
}

export async function startAltcraftScenario(options: AltcraftScenarioOptions = {}): Promise<AltcraftScenario> {
  const clock = { now: options.now ?? Date.UTC(2026, 10, 20, 12) };
  const sim = await startAltcraftSimulator({
    seed: 11,
    campaigns: 6,
    historyDays: 10,
    clock: () => clock.now,
    ...options.simulator,
  });
  const front = options.front ? await options.front(sim.url) : undefined;
  const startTime = clock.now - 10 * DAY;
  const accountName = options.accountName ?? "main";
  const config = parseConfig(
    {
      sources: {
        altcraft: {
          accounts: [
            {
              name: accountName,
              token: "${AC_TOKEN}",
              url: front?.url ?? sim.url,
              startTime: new Date(startTime).toISOString(),
              timeout: "3s",
              retryMinDelay: "5ms",
              retryMaxDelay: "50ms",
              ...options.account,
            },
          ],
        },
      },
    },
    { AC_TOKEN: sim.tokens[0] ?? "" },
  );
  const log = createLogger({ level: "silent" });
  return {
    sim,
    clock,
    startTime,
    accountName,
    run: (warehouse, runOptions = {}) =>
      runSync(
        {
          warehouse,
          config,
          log,
          signal: runOptions.signal ?? new AbortController().signal,
          command: "test",
          now: () => new Date(clock.now),
          ...(runOptions.onPage ? { onPage: runOptions.onPage } : {}),
        },
        { accounts: [accountName] },
      ),
    async expectGroundTruth(warehouse) {
      const streams = await warehouse.db
        .selectFrom("sync.streams")
        .select(["stream_id", "stream_key", "cursor"])
        .where("source", "=", "altcraft")
        .where("account", "=", accountName)
        .execute();
      expect(streams.length).toBeGreaterThan(0);
      let checked = 0;
      for (const stream of streams) {
        const id = Number(stream.stream_key);
        const truth = stream.cursor
          ? sim
              .log(id, { from: startTime, to: stream.cursor.getTime() })
              .map((r) => canonicalJson(r))
              .sort()
          : [];
        const rows = await warehouse.db
          .selectFrom("altcraft.campaign_log")
          .select(["raw"])
          .where("stream_id", "=", stream.stream_id)
          .execute();
        const stored = rows.map((r) => canonicalJson(r.raw)).sort();
        expect(stored.length, `rows of campaign ${id}`).toBe(truth.length);
        expect(stored, `rows of campaign ${id}`).toEqual(truth);
        checked += stored.length;
      }
      return checked;
    },
    async expectCaughtUp(warehouse) {
      const streams = await warehouse.db
        .selectFrom("sync.streams")
        .select(["stream_key", "cursor"])
        .where("source", "=", "altcraft")
        .where("account", "=", accountName)
        .execute();
      expect(streams.length).toBeGreaterThan(0);
      for (const stream of streams) {
        const rows = sim.log(Number(stream.stream_key), { from: startTime, to: clock.now });
        const newest = rows.reduce((latest, r) => Math.max(latest, Date.parse(r.time)), Number.NEGATIVE_INFINITY);
        expect(stream.cursor?.toISOString() ?? null, `cursor of campaign ${stream.stream_key}`).toBe(
          rows.length > 0 ? new Date(newest).toISOString() : null,
        );
      }
    },
    close: async () => {
      await front?.close();
      await sim.close();
    },
  };
}
