// The shared request budget: processes on one warehouse (here, separate pools) together never have more of a
// token's requests in flight than its concurrency, nor start more per sliding second than its rate; a dead
// process's slots go to the others, a turn lets a waiting process in, close() and a lost connection leave
// nothing held and no one waiting.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSharedRequestGate, type SharedRequestGateOptions } from "../../src/http/shared-request.gate.js";
import pg from "pg";
import { RequestBudgetWaitError } from "../../src/errors.js";
import { classifyFailure } from "../../src/http/retry.policy.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { lockKeysFrom, readLockSecret } from "../../src/warehouse/lock.keys.js";
import {
  budgetKeys,
  createRequestBudgets,
  RequestBudgetClosedError,
  RequestBudgetLostError,
  type RequestBudgetLimits,
  type RequestBudgetOptions,
  type RequestBudgets,
} from "../../src/warehouse/request-budget.factory.js";
import { until } from "../support/until.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

interface Proc {
  name: string;
  warehouse: Warehouse;
  budgets: RequestBudgets;
  gate(
    limits: RequestBudgetLimits,
    options?: Partial<SharedRequestGateOptions>,
  ): ReturnType<typeof createSharedRequestGate>;
  close(): Promise<void>;
}

const opened: Proc[] = [];
afterEach(async () => {
  for (const proc of opened.splice(0)) await proc.close();
});

let token = "";
afterEach(() => {
  token = "";
});
/** A token of the test's own, so no test sees another's slots or rows. */
function testToken(): string {
  token ||= `token-${randomBytes(8).toString("hex")}`;
  return token;
}

/** A process: a pool of its own and its request budgets. */
function startProcess(name: string, options: RequestBudgetOptions = {}): Proc {
  const warehouse = openWarehouse(database.url, { applicationName: name, maxConnections: 2 });
  const budgets = createRequestBudgets(warehouse.pool, { pollMs: 50, ...options });
  const proc: Proc = {
    name,
    warehouse,
    budgets,
    gate: (limits, gateOptions = {}) =>
      createSharedRequestGate(budgets.budget("yandex_direct", testToken(), limits), { ...limits, ...gateOptions }),
    close: async () => {
      await budgets.close();
      await warehouse.close();
    },
  };
  opened.push(proc);
  return proc;
}

/** Slots (the two-key advisory locks of its budget connection, which holds nothing else) held by process `name`. */
async function slotsHeldBy(name: string): Promise<number> {
  const result = await database.warehouse.pool.query<{ n: number }>(
    `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and a.application_name = $1`,
    [`${name} (request budget)`],
  );
  return result.rows[0]?.n ?? -1;
}

async function budgetConnection(name: string): Promise<number | undefined> {
  const result = await database.warehouse.pool.query<{ pid: number }>(
    "select pid from pg_stat_activity where application_name = $1 and datname = current_database()",
    [`${name} (request budget)`],
  );
  return result.rows[0]?.pid;
}

/** Whether the budget connection of process `name` is open and idle after trying for slots. */
async function triedSlots(name: string): Promise<boolean> {
  const result = await database.warehouse.pool.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where application_name = $1 and datname = current_database() and state = 'idle'
        and query like '%pg_try_advisory_lock%'`,
    [`${name} (request budget)`],
  );
  return result.rows[0]?.n === 1;
}

/** Whether slot `slot` of the budget `rowKey` is held by any session (its two-key advisory lock is granted). */
async function slotHeld(rowKey: string, slot: number): Promise<boolean> {
  const keys = lockKeysFrom(await readLockSecret(database.warehouse.pool));
  const [k1, k2] = keys.of("budget slot", `${rowKey}:${slot}`);
  const result = await database.warehouse.pool.query<{ n: number }>(
    `select count(*)::int as n from pg_locks
      where locktype = 'advisory' and granted and objsubid = 2 and classid = $1::int::oid and objid = $2::int::oid
        and database = (select oid from pg_database where datname = current_database())`,
    [k1, k2],
  );
  return (result.rows[0]?.n ?? 0) > 0;
}

/**
 * Records every start stamped in sync.request_starts (by the database clock, the one the budget keeps its
 * window by) into request_start_stamps, until the returned function is called.
 */
async function recordStarts(): Promise<() => Promise<void>> {
  await database.warehouse.pool.query(`
    create table request_start_stamps (budget_key text not null, slot int not null, started_at timestamptz not null);
    create function record_request_start() returns trigger language plpgsql as $$
      begin
        insert into request_start_stamps values (new.budget_key, new.slot, new.started_at);
        return null;
      end $$;
    create trigger record_request_start after update of started_at on sync.request_starts
      for each row execute function record_request_start()`);
  return async () => {
    await database.warehouse.pool.query(`
      drop trigger record_request_start on sync.request_starts;
      drop function record_request_start();
      drop table request_start_stamps`);
  };
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => undefined as void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Counts tasks in flight across every process and remembers when each started. */
function inFlight() {
  let now = 0;
  let max = 0;
  const starts: number[] = [];
  const listeners: Array<() => void> = [];
  return {
    get now() {
      return now;
    },
    get max() {
      return max;
    },
    starts,
    /** A task that counts itself in flight until `done` settles. */
    task(done: () => Promise<unknown>) {
      return async () => {
        starts.push(performance.now());
        now++;
        max = Math.max(max, now);
        for (const listener of listeners.splice(0)) listener();
        try {
          return await done();
        } finally {
          now--;
        }
      };
    },
    /** Resolves once `n` tasks are in flight at once. */
    reach(n: number): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (now >= n ? resolve() : listeners.push(check));
        check();
      });
    },
  };
}

describe("the shared request budget", () => {
  it("keeps three processes on one token within 5 requests in flight, and uses all 5", async () => {
    const limits = { concurrency: 5, requestsPerSecond: 0 };
    const procs = ["a", "b", "c"].map((name) => startProcess(`budget-conc-${name}`));
    const gates = procs.map((p) => p.gate(limits, { turnMs: 50 }));
    const flight = inFlight();
    const runs = gates.flatMap((gate) =>
      Array.from({ length: 60 }, () => gate.run(flight.task(() => sleep(2 + Math.random() * 6)))),
    );
    await Promise.all(runs);
    expect(flight.starts).toHaveLength(180);
    expect(flight.max).toBe(5);
    for (const proc of procs) expect(await slotsHeldBy(proc.name)).toBeLessThanOrEqual(5);
  });

  it("starts no more than 20 requests in any sliding second across three processes, and lets 20 start in one window", async () => {
    const limits = { concurrency: 5, requestsPerSecond: 20 };
    // 20 per second with request.gate.ts's 5 % margin: windows of 1,050 ms, 20 rows.
    const windowMs = 1050;
    const procs = ["a", "b", "c"].map((name) => startProcess(`budget-rate-${name}`));
    const gates = procs.map((proc) => proc.gate(limits));
    const { rowKey } = budgetKeys("yandex_direct", testToken());
    const stopRecording = await recordStarts();
    try {
      const flight = inFlight();
      const counts = [34, 33, 33];
      await Promise.all(
        gates.flatMap((gate, i) => Array.from({ length: counts[i] ?? 0 }, () => gate.run(flight.task(async () => 1)))),
      );
      expect(flight.starts).toHaveLength(100);
      // The starts as the database stamped them, in ms since the first.
      const stamps = await database.warehouse.pool.query<{ slot: number; at: number }>(
        `select slot, extract(epoch from started_at - min(started_at) over ()) * 1000 as at
           from request_start_stamps where budget_key = $1 order by started_at`,
        [rowKey],
      );
      const starts = stamps.rows.map((r) => ({ slot: r.slot, at: Number(r.at) }));
      // Each request claimed a start before it ran. A claim whose answer came back later than the claim-to-send
      // delay it stamped (request-budget.rate.ts) was left unused, and its request claimed another row.
      expect(starts.length).toBeGreaterThanOrEqual(100);
      // The window holds 20: all 20 rows were used…
      expect(new Set(starts.map((s) => s.slot)).size).toBe(20);
      // …and a row is taken again only a whole window after its last start…
      const last = new Map<number, number>();
      for (const { slot, at } of starts) {
        const before = last.get(slot);
        if (before !== undefined) expect(at - before).toBeGreaterThanOrEqual(windowMs);
        last.set(slot, at);
      }
      // …so no sliding second holds more than 20 starts.
      const busiest = Math.max(
        ...starts.map(({ at: from }) => starts.filter((s) => s.at >= from && s.at < from + 1000).length),
      );
      expect(busiest).toBeLessThanOrEqual(20);
    } finally {
      await stopRecording();
    }
    // A row is free again exactly one window after its start, not later: the budget keeps close to 20 per second.
    await database.warehouse.pool.query(
      "update sync.request_starts set started_at = clock_timestamp() - $2::int * interval '1 millisecond' where budget_key = $1",
      [rowKey, windowMs],
    );
    await expect(procs[0]?.budgets.budget("yandex_direct", testToken(), limits).claimStart()).resolves.toBe(0);
    // The token itself never reaches the warehouse.
    const rows = await database.warehouse.pool.query<{ budget_key: string }>(
      "select distinct budget_key from sync.request_starts",
    );
    expect(rows.rows.map((r) => r.budget_key)).toContain(rowKey);
    expect(JSON.stringify(rows.rows)).not.toContain(testToken());
  });

  it("gives the slots of a process whose connection is terminated to the others, and lets its requests in flight finish", async () => {
    const limits = { concurrency: 5, requestsPerSecond: 0 };
    const a = startProcess("budget-dead-a");
    const b = startProcess("budget-dead-b");
    const flightA = inFlight();
    const flightB = inFlight();
    const releaseA = deferred();
    const releaseB = deferred();
    const gateA = a.gate(limits);
    const gateB = b.gate(limits);
    const runsA = Array.from({ length: 5 }, () => gateA.run(flightA.task(() => releaseA.promise)));
    await flightA.reach(5);
    const runsB = Array.from({ length: 5 }, () => gateB.run(flightB.task(() => releaseB.promise)));
    await until("b waits for a slot", async () => (await budgetConnection(b.name)) !== undefined);
    expect(flightB.now).toBe(0);
    expect(await slotsHeldBy(a.name)).toBe(5);

    const pid = await budgetConnection(a.name);
    await database.warehouse.pool.query("select pg_terminate_backend($1)", [pid]);
    await flightB.reach(5);
    expect(await slotsHeldBy(b.name)).toBe(5);
    expect(flightA.now + flightB.now).toBe(10); // a's requests in flight were not cut short…
    releaseA.resolve();
    await expect(Promise.all(runsA)).resolves.toHaveLength(5);
    // …but a runs nothing more without a budget.
    await expect(gateA.run(async () => 1)).rejects.toThrow(
      /the warehouse connection holding the request budget was lost/,
    );
    expect(a.budgets.ended.reason).toBeInstanceOf(RequestBudgetLostError);
    releaseB.resolve();
    await Promise.all(runsB);
  });

  it("fails the requests waiting for a slot when the budget's connection is lost, instead of hanging", async () => {
    const limits = { concurrency: 2, requestsPerSecond: 0 };
    const holder = startProcess("budget-lost-holder");
    const waiter = startProcess("budget-lost-waiter");
    const flight = inFlight();
    const release = deferred();
    const holderGate = holder.gate(limits);
    const held = Array.from({ length: 2 }, () => holderGate.run(flight.task(() => release.promise)));
    await flight.reach(2);
    const waiterGate = waiter.gate(limits);
    const waiting = Array.from({ length: 3 }, () => waiterGate.run(async () => "ran unbudgeted"));
    const settled = Promise.allSettled(waiting);
    // Open and past its first try for a slot: a session ended while it still opens fails its waiters as a
    // connection that could not be opened, which is not the loss this test is about.
    await until("the waiter's budget connection has tried for a slot", () => triedSlots(waiter.name));
    expect(waiterGate.waiting).toBe(3);

    await database.warehouse.pool.query("select pg_terminate_backend($1)", [await budgetConnection(waiter.name)]);
    const results = await settled;
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const reason = result.status === "rejected" ? (result.reason as Error) : undefined;
      expect(reason).toBeInstanceOf(RequestBudgetLostError);
      expect(reason?.message).toMatch(/^the warehouse connection holding the request budget was lost \(/);
    }
    expect(waiterGate.waiting).toBe(0);
    release.resolve();
    await Promise.all(held);
  });

  it("lets a second process in when the first holds the only slot continuously for longer than a turn", async () => {
    const limits = { concurrency: 1, requestsPerSecond: 0 };
    const a = startProcess("budget-turn-a");
    const b = startProcess("budget-turn-b");
    const gateA = a.gate(limits, { turnMs: 200 });
    const gateB = b.gate(limits, { turnMs: 200 });
    const flight = inFlight();
    const runsA = Array.from({ length: 400 }, () => gateA.run(flight.task(() => sleep(5))));
    await flight.reach(1);
    let aStillWaiting = -1;
    await gateB.run(async () => {
      aStillWaiting = gateA.waiting;
    });
    // a still had requests waiting when b ran: b got in on a's turn, not when a ran dry.
    expect(aStillWaiting).toBeGreaterThan(0);
    expect(flight.max).toBe(1);
    await Promise.all(runsA);
  });

  it("keeps a slot nobody else wants across a pause between requests, and hands it over when another process asks", async () => {
    const limits = { concurrency: 1, requestsPerSecond: 0 };
    const a = startProcess("budget-linger-a");
    const gateA = a.gate(limits, { lingerMs: 20, idleLingerMs: 5_000 });
    await gateA.run(async () => undefined);
    // A witness in the same process, another token, whose idle slot lingers only 20 ms: once it is given back,
    // a's slot has outlived the short linger too (its timer was set first, its release would be sent first).
    const witnessToken = `witness-${testToken()}`;
    const witness = createSharedRequestGate(a.budgets.budget("yandex_direct", witnessToken, limits), {
      ...limits,
      lingerMs: 20,
      idleLingerMs: 20,
    });
    await witness.run(async () => undefined);
    const witnessKey = budgetKeys("yandex_direct", witnessToken).rowKey;
    await until("the witness's slot went back", async () => !(await slotHeld(witnessKey, 0)));
    // The slot is still a's, so its next request costs no lock.
    expect(await slotHeld(budgetKeys("yandex_direct", testToken()).rowKey, 0)).toBe(true);
    expect(await slotsHeldBy("budget-linger-a")).toBe(1);
    await gateA.run(async () => undefined);
    const b = startProcess("budget-linger-b");
    await b.gate(limits).run(async () => undefined);
    expect(await slotsHeldBy("budget-linger-a")).toBe(0);
  });

  it("releases every slot and ends its connection on close(), failing what still waits", async () => {
    const limits = { concurrency: 5, requestsPerSecond: 0 };
    const a = startProcess("budget-close-a");
    const b = startProcess("budget-close-b");
    const flight = inFlight();
    const release = deferred();
    const gateA = a.gate(limits, { lingerMs: 60_000 });
    const runsA = Array.from({ length: 5 }, () => gateA.run(flight.task(() => release.promise)));
    await flight.reach(5);
    release.resolve();
    await Promise.all(runsA);
    // Idle slots linger (60 s here): still held.
    expect(await slotsHeldBy(a.name)).toBe(5);

    const gateB = b.gate(limits);
    const releaseB = deferred();
    const flightB = inFlight();
    const runsB = Array.from({ length: 5 }, () => gateB.run(flightB.task(() => releaseB.promise)));
    await until("b waits for a slot", async () => (await budgetConnection(b.name)) !== undefined);
    const otherA = a.gate(limits);
    const waitingA = expect(otherA.run(async () => "ran after close")).rejects.toBeInstanceOf(RequestBudgetClosedError);
    await a.budgets.close();
    await waitingA;
    expect(await slotsHeldBy(a.name)).toBe(0);
    expect(await budgetConnection(a.name)).toBeUndefined();
    await flightB.reach(5);
    await expect(gateA.run(async () => 1)).rejects.toBeInstanceOf(RequestBudgetClosedError);
    releaseB.resolve();
    await Promise.all(runsB);
  });

  // Kills "open() opens nothing": a run's first requests would wait for the budget connection to be made.
  it("opens its connection when asked, before any request needs it", async () => {
    const a = startProcess("budget-open");
    expect(await budgetConnection(a.name)).toBeUndefined();
    await a.budgets.open();
    expect(await budgetConnection(a.name)).toBeDefined();
    await a.gate({ concurrency: 1, requestsPerSecond: 0 }).run(async () => 1);
  });

  // Kills "a failed open() rejects" (thrown at no one: an unhandled rejection ends the process): the first request
  // that needs the connection fails instead.
  it("leaves a connection it cannot open to fail the first request that needs it", async () => {
    const warehouse = openWarehouse("postgres://eventlog@127.0.0.1:1/nowhere", { connectTimeoutMs: 2_000 });
    const budgets = createRequestBudgets(warehouse.pool);
    try {
      await budgets.open();
      const budget = budgets.budget("yandex_direct", testToken(), { concurrency: 1, requestsPerSecond: 0 });
      await expect(budget.acquireSlot()).rejects.toThrow(/warehouse/);
    } finally {
      await budgets.close();
      await warehouse.close();
    }
  });

  it("takes a request aborted by its signal out of the queue, whether it waits for the queue or for a slot", async () => {
    const limits = { concurrency: 1, requestsPerSecond: 0 };
    const holder = startProcess("budget-abort-holder");
    const a = startProcess("budget-abort-a");
    const release = deferred();
    const flight = inFlight();
    const held = holder.gate(limits).run(flight.task(() => release.promise));
    await flight.reach(1);

    const gate = a.gate(limits);
    const forSlot = new AbortController();
    const forQueue = new AbortController();
    const ran: string[] = [];
    const waitingForSlot = gate.run(async () => ran.push("slot"), { signal: forSlot.signal });
    const waitingForQueue = gate.run(async () => ran.push("queue"), { signal: forQueue.signal });
    await until("a waits for a slot", async () => (await budgetConnection(a.name)) !== undefined);
    expect(gate.waiting).toBe(2);
    forQueue.abort(new Error("stopped in the queue"));
    await expect(waitingForQueue).rejects.toThrow(/stopped in the queue|aborted/);
    expect(gate.waiting).toBe(1);
    forSlot.abort(new Error("stopped waiting for a slot"));
    await expect(waitingForSlot).rejects.toThrow("stopped waiting for a slot");
    expect(gate.waiting).toBe(0);

    release.resolve();
    await held;
    // Nothing of a's is left waiting: a takes no slot when one comes free.
    await expect(gate.run(async () => ran.push("next"))).resolves.toBe(1);
    expect(ran).toEqual(["next"]);
  });

  it("refuses limits it cannot keep, naming the option", () => {
    const proc = startProcess("budget-options");
    expect(() => proc.budgets.budget("altcraft", "t", { concurrency: 17, requestsPerSecond: 0 })).toThrow(
      /`concurrency`.*got `17`/,
    );
    expect(() => proc.budgets.budget("altcraft", "t", { concurrency: 1, requestsPerSecond: -1 })).toThrow(
      /`requestsPerSecond`.*got `-1`/,
    );
  });

  it("bounds a wait for a slot a stranger holds: a warning naming it, then a failure naming it that is not retried", async () => {
    const limits = { concurrency: 2, requestsPerSecond: 0 };
    // A session that is not an eventlog-sync process holding both slots of the token by their real keys.
    const stranger = new pg.Client({ connectionString: database.url, application_name: "dashboard" });
    await stranger.connect();
    try {
      const keys = lockKeysFrom(await readLockSecret(database.warehouse.pool));
      const { rowKey } = budgetKeys("yandex_direct", testToken());
      for (const slot of [0, 1])
        await stranger.query("select pg_advisory_lock($1, $2)", [...keys.of("budget slot", `${rowKey}:${slot}`)]);
      const pid = (await stranger.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]?.pid;
      const lines: string[] = [];
      const log = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } });
      const waiter = startProcess("budget-bound", { log, slotWaitWarnMs: 100, slotWaitLimitMs: 1_000 });
      const failure = await waiter
        .gate(limits)
        .run(async () => "ran unbudgeted")
        .catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(RequestBudgetWaitError);
      const message = (failure as Error).message;
      expect(message).toMatch(/^no slot of the token's request budget came free within 1000 ms: held by a session/);
      expect(message).toContain(`application "dashboard", pid ${pid}`);
      expect(classifyFailure(failure)).toBe("fatal");
      const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 40);
      expect(warning?.msg).toMatch(/held by a session that is not an eventlog-sync process/);
      expect(JSON.stringify(warning?.holders)).toContain(`"application":"dashboard"`);
      expect(await slotsHeldBy("budget-bound")).toBe(0);
    } finally {
      await stranger.end();
    }
  });

  it("bounds a wait for slots other eventlog-sync processes hold, and that failure is retried", async () => {
    const limits = { concurrency: 1, requestsPerSecond: 0 };
    const holder = startProcess("eventlog-sync");
    const release = deferred();
    const flight = inFlight();
    const held = holder.gate(limits, { turnMs: 60_000 }).run(flight.task(() => release.promise));
    await flight.reach(1);
    const waiter = startProcess("budget-bound-sibling", { slotWaitLimitMs: 300 });
    const failure = await waiter
      .gate(limits)
      .run(async () => "ran unbudgeted")
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(RequestBudgetWaitError);
    expect((failure as Error).message).toMatch(/held by other eventlog-sync processes$/);
    expect(classifyFailure(failure)).toBe("retryable");
    release.resolve();
    await held;
  });
});
