// What a stream costs the warehouse in an incremental run: statements on the warehouse's pool, counted on
// every connection the run opens. A run's own statements (lease, plan, end) are the same whatever its
// streams, so two runs that differ only in how many streams they take tell the cost of one stream.
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { HOUR, startYandexScenario } from "../support/yandex-scenario.js";

const yandex = useScenarioDatabase(startYandexScenario);

/**
 * A warehouse on the test database whose statements are counted, but for a connection's staging table (made once
 * per connection the pool opens, whatever the streams).
 */
function countedWarehouse(url: string): { warehouse: Warehouse; statements: string[]; on: pg.PoolClient[] } {
  const warehouse = openWarehouse(url);
  const statements: string[] = [];
  // The connection each statement ran on.
  const on: pg.PoolClient[] = [];
  warehouse.pool.on("connect", (client: pg.PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string } | undefined;
      const text = typeof first === "string" ? first : (first?.text ?? "copy");
      if (!text.startsWith("create temp table")) {
        statements.push(text);
        on.push(client);
      }
      return query(...args);
    };
  });
  return { warehouse, statements, on };
}

/** Statements of an incremental run (an hour after a first run) of `logins` streams, one batch each. */
async function incrementalStatements(logins: number): Promise<string[]> {
  return (await incrementalRun(logins)).statements;
}

/** An incremental run (an hour after a first run) of `logins` streams, one batch each: its statements counted. */
async function incrementalRun(logins: number): Promise<{ statements: string[]; on: pg.PoolClient[] }> {
  const names = Array.from({ length: logins }, (_, i) => `client-${i + 1}`);
  const scenario = await yandex.start({
    logins: names,
    simulator: { clientLogins: logins, eventsPerHour: 60, historyDays: 1 },
    account: { startTime: "2h" },
  });
  expect((await scenario.run(yandex.database.warehouse)).status).toBe("succeeded");
  scenario.clock.now += HOUR;
  const counted = countedWarehouse(yandex.database.url);
  try {
    const summary = await scenario.run(counted.warehouse);
    expect(summary.status).toBe("succeeded");
    expect(summary.streams.map((s) => s.batches)).toEqual(names.map(() => 1));
    // Most logins have new events: their batch is COPYed (a login with none costs a statement less).
    expect(summary.streams.filter((s) => s.inserted > 0).length).toBeGreaterThan(logins / 2);
  } finally {
    await counted.warehouse.close();
  }
  await scenario.close();
  return counted;
}

describe("a stream's round trips to the warehouse", () => {
  // Kills: the run's streams registered one by one when taken (ensureStream per stream), the stream read under
  // its lock apart from opening its run, and covered gaps closed in a statement of their own: each is one
  // statement more per stream.
  it("an incremental run costs at most 8 statements per stream", async () => {
    const few = await incrementalStatements(2);
    const many = await incrementalStatements(12);
    const perStream = (many.length - few.length) / 10;
    // Lock (1), the stream read and its run opened (1), the batch: begin, COPY, the move, commit (4), the stream
    // run finished (1), unlock (1).
    expect(perStream, `statements per stream; the run of 12 made:\n${many.join("\n")}`).toBeLessThanOrEqual(8);
  });

  // Kills "a stream's run opened on a connection of its own": each stream would wait for a second connection of
  // the pool (a new backend, at a run's start) before its first request.
  it("opens a stream's run on the connection that took its lock", async () => {
    const { statements, on } = await incrementalRun(3);
    const locks = statements.flatMap((text, i) => (text.includes("pg_try_advisory_lock") ? [on[i]] : []));
    const opens = statements.flatMap((text, i) =>
      /opened as \(\s*insert into sync\.stream_runs/.test(text) ? [on[i]] : [],
    );
    expect(locks).toHaveLength(3);
    expect(opens).toHaveLength(3);
    expect(new Set(locks).size).toBe(3);
    for (const client of opens) expect(locks).toContain(client);
  });
});
