// The warehouse restarts in the middle of a run (an upgrade, a failover): the sync process does not crash,
// it ends with a recorded status or exit 1, nothing stays `running`, and the next run ends exact.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/postgres/embedded.postgres.js";
import { findFreePort } from "../../src/postgres/port.finder.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { killRunningClis, startCli } from "../support/cli.js";
import { copiesBeyondSource, expectGroundTruth } from "../support/ground-truth.js";

const HOUR = 3_600_000;
const LOGINS = ["client-1", "client-2", "client-3"];
let sim: YandexDirectSimulator;
let server: EmbeddedPostgres;
let dir: string;
let port: number;

beforeAll(async () => {
  sim = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 99,
    clientLogins: 3,
    historyDays: 6,
    eventsPerHour: 30,
    latencyMs: 40,
  });
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-restart-"));
  // As root the server runs as the postgres user, which must be able to reach the data directory.
  await chmod(dir, 0o755);
  port = await findFreePort();
  server = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port });
}, 120_000);

afterAll(async () => {
  killRunningClis();
  await sim?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rowsHeld(url: string): Promise<number> {
  const warehouse = openWarehouse(url, { maxConnections: 1, connectTimeoutMs: 2_000 });
  try {
    const result = await warehouse.pool.query<{ n: number }>("select count(*)::int as n from yandex_direct.events");
    return result.rows[0]?.n ?? 0;
  } catch {
    return 0;
  } finally {
    await warehouse.close();
  }
}

describe("the warehouse restarting mid-run", () => {
  it("ends the run without a crash, leaves nothing running, and the next run is exact", async () => {
    const startTime = Math.ceil((Date.now() - 5 * 24 * HOUR) / HOUR) * HOUR;
    const file = join(dir, "config.yaml");
    await writeFile(
      file,
      stringify({
        database: { connectTimeout: "3s" },
        sync: { parallelStreams: 3 },
        sources: {
          yandex_direct: {
            accounts: [
              {
                name: "agency",
                token: "${YD_TOKEN}",
                endpoint: sim.endpoint,
                currency: "RUB",
                logins: LOGINS,
                startTime: new Date(startTime).toISOString(),
                settleLag: "2s",
                pageLimit: 100,
                timeout: "5s",
                retryMinDelay: "5ms",
                retryMaxDelay: "50ms",
              },
            ],
          },
        },
      }),
    );
    const env = { DATABASE_URL: server.url, YD_TOKEN: "agency-token" };
    const cli = startCli(["sync", "-c", file], { env, cwd: dir, timeoutMs: 90_000 });
    expect(await cli.started).toBe(true);
    // Restart once some pages are stored, while the backfill goes on.
    const deadline = Date.now() + 30_000;
    while ((await rowsHeld(server.url)) === 0 && Date.now() < deadline) await sleep(50);
    await server.stop();
    server = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port });
    const exit = await cli.exited;
    expect(exit.signal, exit.stderr).toBeNull();
    expect([1, 2], exit.stderr).toContain(exit.code);
    expect(exit.stderr).not.toMatch(/Unhandled|uncaught/i);

    const clean = startCli(["sync", "-c", file], { env, cwd: dir, timeoutMs: 90_000 });
    const done = await clean.exited;
    expect(done.code, done.stderr).toBe(0);
    const warehouse: Warehouse = openWarehouse(server.url, { maxConnections: 2 });
    try {
      const check = { sim, warehouse, account: "agency", streams: LOGINS, startTime };
      expect(await copiesBeyondSource(check)).toEqual([]);
      expect(await expectGroundTruth({ ...check, label: "after the restart and a clean run" })).toBeGreaterThan(
        3 * 24 * 5 * 20,
      );
      const runs = await warehouse.db.selectFrom("sync.runs").select(["run_id", "status"]).orderBy("run_id").execute();
      expect(runs.map((r) => r.status)).not.toContain("running");
      expect(runs[runs.length - 1]?.status).toBe("succeeded");
      expect(
        await warehouse.db.selectFrom("sync.stream_runs").select("run_id").where("status", "=", "running").execute(),
      ).toEqual([]);
    } finally {
      await warehouse.close();
    }
  });
});
