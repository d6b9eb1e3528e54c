// A stream the server would not give whole is said so everywhere an operator looks: the exit code, the
// run's output, `status` and `status --json`, sync.stream_freshness and /metrics.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createDaemonMetrics } from "../../src/daemon/daemon.metrics.js";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const TOKEN = "ac-incomplete-4e1b7c09d2";
let sim: AltcraftSimulator;
let database: TestDatabase;
let dir: string;

beforeAll(async () => {
  // Real clock; the server caps every response at 5 rows.
  sim = await startAltcraftSimulator({
    host: "127.0.0.1",
    seed: 5,
    tokens: [TOKEN],
    campaigns: 2,
    historyDays: 1,
    maxLimit: 5,
    overMaxLimit: "clamp",
  });
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-incomplete-"));
});

afterAll(async () => {
  await sim?.close();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a millisecond the server will not give whole", () => {
  it("ends the run with exit 2 and shows the stream incomplete, with the count, in status and metrics", async () => {
    const [dense] = sim.campaigns().map((c) => c.id) as [number];
    const at = Date.now() - 3_600_000 + 17;
    sim.addBurst(dense, { time: at, count: 12, level: "WARNING", message: "Duplicate send", value: "" });
    const file = join(dir, "config.yaml");
    await writeFile(
      file,
      stringify({
        sources: { altcraft: { accounts: [{ name: "main", token: "${AC_TOKEN}", url: sim.url, startTime: "2d" }] } },
      }),
    );
    const env = { DATABASE_URL: database.url, AC_TOKEN: TOKEN };

    const sync = await runCli(["sync", "-c", file], { env });
    expect(sync.code, sync.stderr).toBe(2);
    expect(sync.stdout).toMatch(/run \d+: partial/);
    expect(sync.stdout).toMatch(new RegExp(`altcraft/main/${dense}\\s+incomplete`));
    expect(sync.stdout).toContain("7 events could not be read");

    const json = await runCli(["status", "--json"], { env });
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{
      stream: string;
      status: string;
      unread_events: number | null;
      unread_at: string | null;
    }>;
    expect(rows.find((r) => r.stream === String(dense))).toMatchObject({
      status: "incomplete",
      unread_events: 7,
      unread_at: new Date(at).toISOString(),
    });
    expect(
      rows.filter((r) => r.stream !== String(dense)).every((r) => r.status === "succeeded" && r.unread_events === null),
    ).toBe(true);

    const table = await runCli(["status"], { env });
    expect(table.stdout).toMatch(/UNREAD/);
    expect(table.stdout).toContain(`7 from ${new Date(at).toISOString()}`);

    const metrics = await createDaemonMetrics().render(database.warehouse);
    expect(metrics).toMatch(/^eventlog_sync_streams\{status="incomplete"\} 1$/m);
    expect(metrics).toMatch(
      new RegExp(`^eventlog_sync_stream_unread_events\\{source="altcraft",account="main",stream="${dense}"\\} 7$`, "m"),
    );
  });
});
