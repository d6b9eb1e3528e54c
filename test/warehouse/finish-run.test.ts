// A finished run leaves nothing `running`: a stream run whose end was lost (the warehouse went away while the
// stream finished) is ended `failed` with its stream, in the transaction that records the run's end; stream
// runs that ended keep their status. Kills: finishRun recording only the run (the stream run and the stream
// stay `running` for good, which no later run repairs: the run is not `running`, so it is never abandoned).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishRun, UNRECORDED_END } from "../../src/warehouse/runs.repository.js";
import { openStreamRun } from "../../src/warehouse/stream-runs.repository.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { startRun } from "../support/runs.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe("finishRun", () => {
  it("ends the run's stream runs still running, and their streams, as failed", async () => {
    const db = database.warehouse.db;
    const runId = await startRun(db, "sync");
    const lost = await ensureStream(db, { source: "yandex_direct", account: "main", streamKey: "lost-end" });
    const ended = await ensureStream(db, { source: "yandex_direct", account: "main", streamKey: "ended" });
    await openStreamRun(db, runId, lost.stream_id);
    await openStreamRun(db, runId, ended.stream_id);
    await db
      .updateTable("sync.stream_runs")
      .set({ status: "succeeded", finished_at: new Date() })
      .where("stream_id", "=", ended.stream_id)
      .execute();
    await db
      .updateTable("sync.streams")
      .set({ status: "succeeded" })
      .where("stream_id", "=", ended.stream_id)
      .execute();

    await finishRun(db, runId, "failed", "the warehouse went away");

    const runs = await db
      .selectFrom("sync.stream_runs")
      .select(["stream_id", "status", "error"])
      .where("run_id", "=", runId)
      .orderBy("stream_id")
      .execute();
    expect(runs).toEqual([
      { stream_id: lost.stream_id, status: "failed", error: UNRECORDED_END },
      { stream_id: ended.stream_id, status: "succeeded", error: null },
    ]);
    const streams = await db
      .selectFrom("sync.streams")
      .select(["stream_key", "status", "last_error"])
      .where("stream_id", "in", [lost.stream_id, ended.stream_id])
      .orderBy("stream_key")
      .execute();
    expect(streams).toEqual([
      { stream_key: "ended", status: "succeeded", last_error: null },
      { stream_key: "lost-end", status: "failed", last_error: UNRECORDED_END },
    ]);
    const run = await db
      .selectFrom("sync.runs")
      .select(["status", "error"])
      .where("run_id", "=", runId)
      .executeTakeFirst();
    expect(run).toEqual({ status: "failed", error: "the warehouse went away" });
  });
});
