// Copies of the sync that start a round together list an agency's clients once: one copy lists while the
// others wait for its listing, then read it from the warehouse. Three runs of the real engine, each on a
// warehouse connection of its own, against the Yandex.Direct simulator's agency; the round starts when every
// copy has begun its run and waits at the listing (the test holds the account's listing turn until then).
import pg from "pg";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/sync/run-sync.engine.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { type LockKey, lockKeysFrom, readLockSecret } from "../../src/warehouse/lock.keys.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, startYandexScenario, type YandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);
const COPIES = 3;
const TOKEN = "agency-token";

/** The keys of the account `agency`'s listing turn. */
async function turnKey(): Promise<LockKey> {
  return lockKeysFrom(await readLockSecret(database.warehouse.pool)).of("listing turn", "agency");
}

/** Copies waiting for the account's listing turn. */
async function waitingForTurn(admin: pg.Client, key: LockKey): Promise<number> {
  const result = await admin.query<{ n: number }>(
    `select count(*)::int as n from pg_locks
      where locktype = 'advisory' and not granted
        and classid::bigint = ($1::int8 & 4294967295) and objid::bigint = ($2::int8 & 4294967295)`,
    [...key],
  );
  return result.rows[0]?.n ?? 0;
}

/**
 * One round: the copies start while the test holds the listing turn, and it is let go once the copies other
 * than one wait for it (or, where copies do not share the listing, once they have all finished).
 */
async function round(scenario: YandexScenario): Promise<RunSummary[]> {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  const warehouses = Array.from({ length: COPIES }, () => openWarehouse(database.url));
  const key = await turnKey();
  try {
    await admin.query("select pg_advisory_lock($1, $2)", [...key]);
    let settled = 0;
    const runs = warehouses.map((w) =>
      scenario.run(w).finally(() => {
        settled++;
      }),
    );
    // Every copy has begun its run and waits for the turn, or (without a turn) has finished.
    while ((await waitingForTurn(admin, key)) < COPIES && settled < COPIES)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await admin.query("select pg_advisory_unlock($1, $2)", [...key]);
    return await Promise.all(runs);
  } finally {
    await admin.end();
    for (const w of warehouses) await w.close();
  }
}

const keys = (summary: RunSummary) => summary.streams.map((s) => s.identity.streamKey).sort();
const listed = (scenario: YandexScenario) =>
  scenario.sim
    .agencyClients()
    .filter((c) => !c.archived)
    .map((c) => c.login)
    .sort();

async function listingsOf(runIds: number[]) {
  const result = await database.warehouse.pool.query<{ run_id: number; complete: boolean; requests: number }>(
    "select run_id, complete, requests from yandex_direct.client_listings where run_id = any($1) order by finished_at",
    [runIds],
  );
  return result.rows;
}

describe("one agency listing per round", () => {
  it("lists the clients once a round for three copies, and every copy syncs the listed logins", async () => {
    const scenario = await start({
      simulator: { clientLogins: 6, listedClients: 4 },
      account: { logins: "all", concurrency: 5, retries: 2 },
    });
    scenario.logins.splice(0, scenario.logins.length, ...listed(scenario));
    for (const change of [() => undefined, () => scenario.sim.addAgencyClient("client-5")]) {
      scenario.clock.now += HOUR;
      change();
      scenario.logins.splice(0, scenario.logins.length, ...listed(scenario));
      scenario.sim.resetRequestCounts();
      const summaries = await round(scenario);
      // One listing (one page) reached the server, and one was recorded.
      expect(scenario.sim.requestCounts()[TOKEN]?.["AgencyClients.get"]).toBe(1);
      const listings = await listingsOf(summaries.map((s) => s.runId));
      expect(listings).toEqual([expect.objectContaining({ complete: true, requests: 1 })]);
      for (const summary of summaries) {
        expect(summary.status).toBe("succeeded");
        expect(keys(summary)).toEqual(scenario.logins);
      }
      // Each stream read by one copy, skipped by the others.
      const read = summaries.flatMap((s) => s.streams.filter((o) => o.status === "succeeded"));
      expect(read.map((o) => o.identity.streamKey).sort()).toEqual(scenario.logins);
      await scenario.expectGroundTruth(database.warehouse);
      await scenario.expectCaughtUp(database.warehouse);
    }
    expect(scenario.logins).toContain("client-5");
  }, 120_000);

  it("never reuses a failed listing: the next copy lists again and the last reuses that one", async () => {
    const scenario = await start({
      simulator: { clientLogins: 6, listedClients: 4 },
      account: { logins: "all", concurrency: 5, retries: 2, retryMinDelay: "1ms", retryMaxDelay: "2ms" },
    });
    scenario.logins.splice(0, scenario.logins.length, ...listed(scenario));
    await round(scenario);
    scenario.clock.now += HOUR;
    scenario.sim.addAgencyClient("client-5");
    // The first listing of the round fails after its retries (three attempts).
    scenario.sim.failAgencyClientsNext(TOKEN, "http500", 3);
    scenario.sim.resetRequestCounts();
    const summaries = await round(scenario);
    expect(scenario.sim.requestCounts()[TOKEN]?.["AgencyClients.get"]).toBe(3 + 1);
    const listings = await listingsOf(summaries.map((s) => s.runId));
    expect(listings).toEqual([
      expect.objectContaining({ complete: false, requests: 3 }),
      expect.objectContaining({ complete: true, requests: 1 }),
    ]);
    const failed = summaries.find((s) => s.runId === listings[0]?.run_id);
    const others = summaries.filter((s) => s !== failed);
    // The copy whose listing failed read the last complete listing's clients; the others the new one.
    expect(failed?.accounts).toEqual([expect.objectContaining({ account: "agency", streamsRead: true })]);
    expect(keys(failed as RunSummary)).not.toContain("client-5");
    for (const summary of others) {
      expect(summary.accounts).toEqual([]);
      expect(keys(summary)).toEqual(listed(scenario));
    }
  }, 120_000);

  it("lists by itself when the listing turn cannot be had within the lock timeout", async () => {
    const scenario = await start({
      simulator: { clientLogins: 6, listedClients: 4 },
      account: { logins: "all", concurrency: 5 },
    });
    scenario.logins.splice(0, scenario.logins.length, ...listed(scenario));
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    const copy = openWarehouse(database.url, { lockTimeoutMs: 200 });
    try {
      await holder.query("select pg_advisory_lock($1, $2)", [...(await turnKey())]);
      scenario.sim.resetRequestCounts();
      const summary = await scenario.run(copy);
      expect(summary.status).toBe("succeeded");
      expect(keys(summary)).toEqual(scenario.logins);
      expect(scenario.sim.requestCounts()[TOKEN]?.["AgencyClients.get"]).toBe(1);
      expect(await listingsOf([summary.runId])).toEqual([expect.objectContaining({ complete: true })]);
    } finally {
      await holder.end();
      await copy.close();
    }
  }, 60_000);
});
