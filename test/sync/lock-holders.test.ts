/**
 * Who holds a stream's lock decides what a run says of it. Another eventlog-sync process (same role, its
 * application name): the stream is skipped, counted on the run, with no sync.stream_runs row, and a run that
 * finds every stream held says it had nothing to do (exit 0). A session that is not an eventlog-sync process
 * holding the real key: the stream fails naming its role, application and pid — log, stream run, status — and
 * the run exits 2. The holders here are the test's own connections (the superuser, as the sync itself).
 */
import type pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exitCodeOf } from "../../src/cli/sync.command.js";
import { lockKeysFrom, readLockSecret } from "../../src/warehouse/lock.keys.js";
import { streamStatuses } from "../../src/warehouse/status.repository.js";
import { HOUR, startYandexScenario, type YandexScenario } from "../support/yandex-scenario.js";
import { connectClient, createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
let scenario: YandexScenario;
const holders: pg.Client[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  scenario = await startYandexScenario({ logins: ["client-1", "client-2", "client-3"] });
  // The streams exist and are caught up before anyone holds them.
  expect((await scenario.run(database.warehouse)).status).toBe("succeeded");
});
afterEach(async () => {
  for (const client of holders.splice(0)) await client.end();
});
afterAll(async () => {
  await scenario?.close();
  await database?.drop();
});

/** A session of the test's role named `application`, holding the real locks of the streams `logins`. */
async function holdStreams(application: string, logins: readonly string[]): Promise<number> {
  const client = await connectClient(database.url, application);
  holders.push(client);
  const keys = lockKeysFrom(await readLockSecret(database.warehouse.pool));
  for (const login of logins) {
    const { stream_id } = await database.warehouse.db
      .selectFrom("sync.streams")
      .select("stream_id")
      .where("stream_key", "=", login)
      .executeTakeFirstOrThrow();
    await client.query("select pg_advisory_lock($1, $2)", [...keys.of("stream", stream_id)]);
  }
  const pid = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  return Number(pid.rows[0]?.pid);
}

async function streamRunsOf(runId: number) {
  return database.warehouse.db
    .selectFrom("sync.stream_runs as sr")
    .innerJoin("sync.streams as s", "s.stream_id", "sr.stream_id")
    .select(["s.stream_key", "sr.status", "sr.error"])
    .where("sr.run_id", "=", runId)
    .orderBy("s.stream_key")
    .execute();
}

async function skippedOn(runId: number): Promise<number> {
  const run = await database.warehouse.db
    .selectFrom("sync.runs")
    .select("streams_skipped")
    .where("run_id", "=", runId)
    .executeTakeFirstOrThrow();
  return run.streams_skipped;
}

describe("a stream whose lock another session holds", () => {
  it("held by another eventlog-sync process: skipped, counted on the run, no stream-run row", async () => {
    await holdStreams("eventlog-sync", ["client-2"]);
    scenario.clock.now += HOUR;
    const summary = await scenario.run(database.warehouse);
    expect(summary.streams.map((s) => [s.identity.streamKey, s.status]).sort()).toEqual([
      ["client-1", "succeeded"],
      ["client-2", "skipped"],
      ["client-3", "succeeded"],
    ]);
    expect(summary.status).toBe("succeeded");
    expect(summary.note).toBeUndefined();
    expect((await streamRunsOf(summary.runId)).map((r) => r.stream_key)).toEqual(["client-1", "client-3"]);
    expect(await skippedOn(summary.runId)).toBe(1);
  });

  it("every stream held by other eventlog-sync processes: nothing to do, said so, exit 0, no stream-run rows", async () => {
    await holdStreams("eventlog-sync", ["client-1", "client-2"]);
    await holdStreams("eventlog-sync (request budget)", ["client-3"]);
    scenario.clock.now += HOUR;
    const summary = await scenario.run(database.warehouse);
    expect(summary.streams.map((s) => s.status)).toEqual(["skipped", "skipped", "skipped"]);
    expect(summary.note).toBe("nothing to do: all 3 streams held or just synced by other eventlog-sync processes");
    expect(summary.status).toBe("succeeded");
    expect(exitCodeOf(summary)).toBe(0);
    expect(await streamRunsOf(summary.runId)).toEqual([]);
    expect(await skippedOn(summary.runId)).toBe(3);
  });

  it("held by a session that is not an eventlog-sync process: that stream fails naming the holder, exit 2", async () => {
    const pid = await holdStreams("psql", ["client-2"]);
    const role = (await database.warehouse.pool.query<{ role: string }>("select current_user as role")).rows[0]?.role;
    scenario.clock.now += HOUR;
    const summary = await scenario.run(database.warehouse);
    const holder = `role ${role}, application "psql", pid ${pid}`;
    const held = summary.streams.find((s) => s.identity.streamKey === "client-2");
    expect(held?.status).toBe("failed");
    expect(held?.error).toContain(`held by a session that is not an eventlog-sync process (${holder})`);
    expect(summary.streams.filter((s) => s.status === "succeeded")).toHaveLength(2);
    expect(summary.status).toBe("partial");
    expect(exitCodeOf(summary)).toBe(2);
    const rows = await streamRunsOf(summary.runId);
    expect(rows.find((r) => r.stream_key === "client-2")).toMatchObject({ status: "failed" });
    expect(rows.find((r) => r.stream_key === "client-2")?.error).toContain(holder);
    expect(await skippedOn(summary.runId)).toBe(0);
    const status = (await streamStatuses(database.warehouse.db)).find((s) => s.stream === "client-2");
    expect(status?.status).toBe("failed");
    expect(status?.last_error).toContain(holder);

    // Let go, the stream is synced again.
    await holders.splice(0)[0]?.end();
    scenario.clock.now += HOUR;
    const after = await scenario.run(database.warehouse);
    expect(after.streams.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
  });
});
