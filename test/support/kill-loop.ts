/**
 * The SIGKILL loop of the process tests, for either source: start the real CLI, wait until it has committed a
 * page of its own, let it run on for a seeded delay, kill it with SIGKILL, wait until its sessions are gone
 * and check the warehouse. Waiting for a commit first means no kill can pass for a test of the stored
 * pages on a machine so slow that every delay ends before the first commit.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import type { CliProcess } from "./cli.js";
import { waitForOtherSessions } from "./sessions.js";
import { until } from "./until.js";

/** The source whose rows show a commit. */
export type KilledSource = "altcraft" | "yandex_direct";

const ROWS_TABLE: Record<KilledSource, string> = {
  altcraft: "altcraft.campaign_log",
  yandex_direct: "yandex_direct.events",
};

export interface KillLoop {
  source: KilledSource;
  warehouse: Warehouse;
  /** Starts one CLI process that syncs the source into `warehouse`. */
  start: () => CliProcess;
  /** One process per entry: how long it runs on after its first commit before it is killed, in ms. */
  delays: readonly number[];
  /** What must hold after kill `k`, once the killed process's sessions are gone. */
  afterKill: (k: number) => Promise<void>;
  /** Bound on the wait for a process's first commit, in ms (a hang, not a speed). Default 60 000. */
  commitTimeoutMs?: number;
}

/** Rows of the source's table in the warehouse. */
export async function storedRows(warehouse: Warehouse, source: KilledSource): Promise<number> {
  const result = await warehouse.pool.query<{ n: number }>(`select count(*)::int as n from ${ROWS_TABLE[source]}`);
  return result.rows[0]?.n ?? 0;
}

/** Runs the loop; returns the pids of the killed processes, in order. */
export async function killAfterCommits(loop: KillLoop): Promise<number[]> {
  const killed: number[] = [];
  for (const [k, delay] of loop.delays.entries()) {
    const before = await storedRows(loop.warehouse, loop.source);
    const cli = loop.start();
    let gone: string | undefined;
    void cli.exited.then((exit) => (gone = exit.stderr));
    const started = await cli.started;
    expect(started, `process ${k} did not start its run: ${started ? "" : (await cli.exited).stderr}`).toBe(true);
    await until(
      `process ${k} to commit a page`,
      async () => {
        if (gone !== undefined) throw new Error(`process ${k} exited before it committed a page: ${gone}`);
        return (await storedRows(loop.warehouse, loop.source)) > before;
      },
      { timeoutMs: loop.commitTimeoutMs ?? 60_000, everyMs: 25 },
    );
    // Where the kill lands after the first commit (a request in flight, a COPY, a COMMIT) is left to the seed.
    await sleep(delay);
    expect(cli.kill(), `process ${k} was still running when its kill came`).toBe(true);
    expect((await cli.exited).signal).toBe("SIGKILL");
    killed.push(cli.pid);
    await waitForOtherSessions(loop.warehouse);
    await loop.afterKill(k);
  }
  return killed;
}
