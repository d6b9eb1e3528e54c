// Proves runStream reads one batch ahead while it stores the current one, and stores a batch read ahead only after the
// one before it commits: dropped on a signal or a failed load.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log/pino.logger.js";
import { type EngineContext, runStream, type StreamBatch, type StreamJob } from "../../src/sync/run-stream.engine.js";
import { type YandexDirectEventRowInput, yandexDirectEventsTable } from "../../src/warehouse/copy.columns.js";
import { startRun } from "../support/runs.js";
import { syntheticEvents } from "../support/synthetic-events.js";
import { createTestDatabase, emptyWarehouse, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});
beforeEach(async () => {
  await emptyWarehouse(database.warehouse);
});

const batchOf = (n: number, login: string): StreamBatch<YandexDirectEventRowInput> => {
  const events = syntheticEvents(10, { login, offset: n * 10 });
  return {
    events,
    rejects: [],
    cursor: events[events.length - 1]?.event_time ?? new Date(0),
    state: { batch: n },
    fetched: events.length,
  };
};

/** A job of `count` batches; `hooks.reading(n, signal)` runs when batch n is asked for, before it is given. */
function job(
  login: string,
  count: number,
  hooks: {
    reading?: (n: number, signal: AbortSignal) => Promise<void> | void;
    batch?: (n: number) => StreamBatch<YandexDirectEventRowInput>;
  } = {},
): StreamJob<YandexDirectEventRowInput> {
  return {
    identity: { source: "yandex_direct", account: "ahead", streamKey: login },
    table: yandexDirectEventsTable,
    async *read(_start, tally, signal) {
      for (let n = 0; n < count; n++) {
        tally.requests++;
        await hooks.reading?.(n, signal);
        yield hooks.batch?.(n) ?? batchOf(n, login);
      }
    },
  };
}

async function context(
  signal = new AbortController().signal,
  onPage?: EngineContext["onPage"],
): Promise<EngineContext> {
  const runId = await startRun(database.warehouse.db, "test");
  return {
    warehouse: database.warehouse,
    runId,
    log: createLogger({ level: "silent" }),
    signal,
    ...(onPage ? { onPage } : {}),
  };
}

async function storedRows(login: string): Promise<number> {
  const { rows } = await database.warehouse.pool.query<{ n: number }>(
    "select count(*)::int as n from yandex_direct.events e join sync.streams s using (stream_id) where s.stream_key = $1",
    [login],
  );
  return rows[0]?.n ?? 0;
}

describe("runStream reads one batch ahead", () => {
  it("asks for the next batch before the current one is stored, and stores every batch in order", async () => {
    const asked: number[] = [];
    const stored: number[] = [];
    const askedWhenStored: number[] = [];
    const outcome = await runStream(
      await context(undefined, (_id, page) => {
        stored.push(page.inserted);
        askedWhenStored.push(asked.length);
      }),
      job("in-order", 3, { reading: (n) => void asked.push(n) }),
    );
    expect(outcome).toMatchObject({ status: "succeeded", batches: 3, inserted: 30, requests: 3 });
    // When batch n was stored, batch n + 1 had already been asked for (the last one: the end of the read).
    expect(askedWhenStored).toEqual([2, 3, 3]);
    expect(outcome.cursor?.toISOString()).toBe(batchOf(2, "in-order").cursor?.toISOString());
    const { rows } = await database.warehouse.pool.query<{ requests: number; batches: number }>(
      "select requests, batches from sync.stream_runs r join sync.streams s using (stream_id) where s.stream_key = 'in-order'",
    );
    // Each batch's requests are counted with it, not with the batch stored while it was read.
    expect(rows[0]).toMatchObject({ requests: 3, batches: 3 });
  });

  it("a signal while a batch is stored: that batch commits, the one read ahead is dropped", async () => {
    const shutdown = new AbortController();
    const outcome = await runStream(
      await context(shutdown.signal),
      job("signal", 3, {
        // Batch 1 is read ahead while batch 0 is stored; the signal comes then, and batch 1's answer is ready.
        reading: (n) => {
          if (n === 1) shutdown.abort();
        },
      }),
    );
    expect(outcome).toMatchObject({ status: "interrupted", batches: 1, inserted: 10 });
    expect(await storedRows("signal")).toBe(10);
    expect(outcome.cursor?.toISOString()).toBe(batchOf(0, "signal").cursor?.toISOString());
  });

  it("a failed load drops the batch read ahead and stops its requests", async () => {
    let aheadAborted = false;
    const outcome = await runStream(
      await context(),
      job("failed-load", 3, {
        batch: (n) => {
          const batch = batchOf(n, "failed-load");
          // Batch 0 cannot be stored: a column of the wrong type.
          if (n === 0) batch.events[0] = { ...batch.events[0], occurrence: 1.5 } as YandexDirectEventRowInput;
          return batch;
        },
        reading: (n, signal) =>
          n === 1
            ? new Promise<void>((resolve, reject) => {
                const timer = setTimeout(resolve, 5_000);
                signal.addEventListener("abort", () => {
                  aheadAborted = true;
                  clearTimeout(timer);
                  reject(signal.reason as Error);
                });
              })
            : undefined,
      }),
    );
    expect(outcome).toMatchObject({ status: "failed", batches: 0, inserted: 0 });
    expect(outcome.error).toMatch(/occurrence/);
    expect(aheadAborted).toBe(true);
    expect(await storedRows("failed-load")).toBe(0);
  });
});
