/**
 * A seeded property test of the server model: for each seed, a server drawn at random from the model — a response
 * is a prefix, in the server's order, of the records that match the request, of a length the server chooses per
 * response (a fixed cap, a cap by bytes, a smaller cap for requests with Offset, a random cap, a cap that dips),
 * or an Offset it ignores (Yandex.Direct), with a total_count of any meaning (Altcraft) — and a random history in
 * front of it: identical events in one second or millisecond, events registered late (while a read pages, and
 * between runs), runs killed after a random number of pages, the clock moving between runs. The engine runs
 * in-process (`scenario.run`) against the simulator behind a capping proxy. After every run that completes:
 *
 * - nothing twice, nothing invented: each stream's rows are a sub-multiset of the simulator's records;
 * - never `succeeded` short: a stream whose status is `succeeded` and that has no open gap holds every record
 *   the simulator held, when the run began, from the start time up to its cursor (without late events, exactly
 *   the simulator's records up to its cursor);
 * - every stream ends `succeeded` or `incomplete`, and `incomplete` exactly when the run met a gap;
 * - requests stay bounded: below a generous multiple of the records and the runs.
 *
 * The drawn server behaves per stream (the caps that vary, and the late events, follow each campaign's or login's
 * own responses), so a seed replays the same whatever order the streams synced in parallel send their requests;
 * only where a killed run stops depends on timing. A failure names the seed and the drawn server. `SEEDS`
 * replays or widens the sweep: a comma-separated list (`SEEDS=1007,2011`), or a count (`SEEDS=100`).
 *
 * Seeds that found a product bug stay in the sweep, named in FOUND_BUGS; each bug also has a small scripted
 * replay at the end of the file.
 */
import { describe, expect, it } from "vitest";
import type { AltcraftSimulatorOptions, LogRow } from "../../src/simulators/altcraft/index.js";
import type { AddedEvent, YandexDirectSimulatorOptions } from "../../src/simulators/yandex-direct/index.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { type AltcraftScenario, startAltcraftScenario } from "../support/altcraft-scenario.js";
import {
  byteCap,
  type CappingProxy,
  type CapPolicy,
  dipFor,
  fixedCap,
  offsetCap,
  randomCap,
  startCappingProxy,
} from "../support/capping-proxy.js";
import { multisetDifference } from "../support/multiset.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { startYandexScenario, type YandexScenario } from "../support/yandex-scenario.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------------------------
// A small PRNG of our own (sfc32, seeded through splitmix32): the same seed draws the same server on any machine.

class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

/** A seed for one stream of a seeded server: the same stream meets the same server in every replay. */
function streamSeed(seed: number, key: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// ---------------------------------------------------------------------------------------------------------------
// The drawn server and history.

type Cap =
  | { kind: "fixed"; n: number }
  | { kind: "byte"; bytes: number }
  | { kind: "offset"; first: number; withOffset: number }
  | { kind: "random"; seed: number; min: number; max: number }
  | { kind: "dip"; from: number; responses: number; cap: number; otherwise: number };

/** Events registered late while a stream is read: after a response, with this chance, this many. */
interface LateWhileRead {
  rate: number;
  count: number;
  /** At most this long before the clock: within the account's lookback, so the next run reads them. */
  maxAgeMs: number;
}

/**
 * A cap within the model, mostly in [`smallest`, `largest`] records: `smallest` keeps the number of requests (and
 * the file's time) in bounds, `largest` is about the size of the bursts, so that the caps often cut them.
 */
function drawCap(rng: Prng, smallest: number, largest: number, recordBytes: number): Cap {
  switch (rng.pick(["fixed", "byte", "offset", "random", "dip"] as const)) {
    case "fixed":
      return { kind: "fixed", n: rng.int(smallest, largest) };
    case "byte":
      return { kind: "byte", bytes: rng.int(smallest * recordBytes, largest * recordBytes) };
    case "offset":
      return {
        kind: "offset",
        first: rng.int(smallest, largest),
        withOffset: rng.int(Math.max(1, smallest - 2), largest),
      };
    case "random": {
      const min = rng.int(Math.max(1, smallest - 3), smallest + 10);
      return { kind: "random", seed: rng.int(1, 1_000_000), min, max: rng.int(min, largest) };
    }
    case "dip":
      return {
        kind: "dip",
        from: rng.int(0, 40),
        responses: rng.int(1, 30),
        cap: rng.int(Math.max(1, smallest - 3), 20),
        otherwise: rng.int(20, 2 * largest),
      };
  }
}

/**
 * The proxy's policy for a drawn server. Caps that change from response to response (random, dip) count each
 * stream's responses on their own — the campaign (Altcraft `id`) or the login (Yandex.Direct `Logins`) — and so
 * does the chance of late events, each stream with a PRNG of its own: a stream meets the same server whatever
 * the order in which the streams synced in parallel send their requests.
 */
function serverPolicy(
  seed: number,
  cap: Cap,
  late: LateWhileRead,
  register: (stream: string, template: unknown, rng: Prng) => void,
): CapPolicy {
  const base: CapPolicy =
    cap.kind === "fixed"
      ? fixedCap(cap.n)
      : cap.kind === "byte"
        ? byteCap(cap.bytes)
        : cap.kind === "offset"
          ? offsetCap(cap.first, cap.withOffset)
          : cap.kind === "random"
            ? randomCap(cap.seed, cap.min, cap.max)
            : dipFor(cap);
  const streams = new Map<string, { index: number; rng: Prng }>();
  return (request, records) => {
    const params = request.params;
    const key = String(Array.isArray(params.Logins) ? params.Logins[0] : params.id);
    let stream = streams.get(key);
    if (!stream) streams.set(key, (stream = { index: 0, rng: new Prng(streamSeed(seed, key)) }));
    const n = base({ ...request, index: stream.index++ }, records);
    // Registered after this response is cut: the pages after it see them, as when a server registers events
    // between two requests of one read.
    if (records.length > 0 && late.rate > 0 && stream.rng.chance(late.rate)) {
      for (let i = 0; i < late.count; i++) register(key, records[stream.rng.int(0, records.length - 1)], stream.rng);
    }
    return n;
  };
}

/** One completed run, the runs killed before it, and what happens between it and the one before. */
interface Round {
  /** Pages after which each run before the completed one is killed (its signal aborted). */
  kills: number[];
  /** How far the clock moves before each run of the round, ms. */
  advanceMs: number[];
  /** Identical records registered late, before the round: [stream index, ms before now, count]. */
  late: Array<[number, number, number]>;
}

function drawRounds(rng: Prng, streams: number, lateBefore: () => number): Round[] {
  return Array.from({ length: rng.int(2, 4) }, () => {
    const kills = Array.from({ length: rng.pick([0, 0, 1, 1, 2, 3]) }, () => rng.int(1, 8));
    return {
      kills,
      advanceMs: Array.from({ length: kills.length + 1 }, () =>
        rng.pick([rng.int(1, 5) * MINUTE, rng.int(5, 60) * MINUTE, rng.int(1, 6) * HOUR]),
      ),
      late: rng.chance(0.4)
        ? Array.from({ length: rng.int(1, 3) }, (): [number, number, number] => [
            rng.int(0, streams - 1),
            lateBefore(),
            rng.int(1, 4),
          ])
        : [],
    };
  });
}

interface YandexPlan {
  source: "yandex_direct";
  seed: number;
  cap: Cap;
  ignoreOffset: boolean;
  pageLimit: number;
  simulator: YandexDirectSimulatorOptions;
  logins: string[];
  late: LateWhileRead;
  /** Identical events in one second: [login index, ms after the start time, count]. */
  bursts: Array<[number, number, number]>;
  rounds: Round[];
}

function drawYandex(seed: number): YandexPlan {
  const rng = new Prng(seed);
  const logins = ["client-1", "client-2"].slice(0, rng.int(1, 2));
  const historyDays = rng.pick([0.25, 0.5]);
  const ignoreOffset = rng.chance(0.2);
  const lateRate = rng.pick([0, 0, 0.05, 0.2]);
  return {
    source: "yandex_direct",
    seed,
    cap: drawCap(rng, 5, 200, 350),
    ignoreOffset,
    pageLimit: rng.pick([20, 50, 200, 1000]),
    simulator: {
      seed: rng.int(1, 1_000_000),
      clientLogins: 2,
      historyDays,
      eventsPerHour: rng.int(5, 30),
      burstRate: rng.pick([0, 0.05, 0.15]),
      burstSize: rng.int(5, 60),
    },
    logins,
    // The lookback is 1 h. Not with an Offset the server ignores: an event registered at the start of a window
    // while it is read hides that the pages repeat, and each such read takes the 1,000 responses it is allowed.
    late: { rate: ignoreOffset ? 0 : lateRate, count: rng.int(1, 3), maxAgeMs: HOUR },
    bursts: Array.from({ length: rng.int(0, 3) }, (): [number, number, number] => [
      rng.int(0, logins.length - 1),
      rng.int(0, historyDays * DAY - MINUTE),
      rng.int(2, 120),
    ]),
    // Late: within the lookback (1 h) of a cursor that ends the settle lag (60 s) before the clock.
    rounds: drawRounds(rng, logins.length, () => rng.int(2 * MINUTE, 50 * MINUTE)),
  };
}

interface AltcraftPlan {
  source: "altcraft";
  seed: number;
  cap: Cap;
  /** What total_count counts: the simulator's `filtered` / `all`, or the proxy's `response` / `missing`. */
  totalCount: "filtered" | "all" | "response" | "missing";
  pageLimit: number;
  simulator: AltcraftSimulatorOptions;
  late: LateWhileRead;
  /** Identical rows in one millisecond: [campaign index, ms after the start time, count]. */
  bursts: Array<[number, number, number]>;
  rounds: Round[];
}

function drawAltcraft(seed: number): AltcraftPlan {
  const rng = new Prng(seed);
  const historyDays = rng.pick([0.5, 1]);
  const campaigns = rng.int(1, 3);
  // The lookback is 10 min.
  const late = { rate: rng.pick([0, 0, 0.05, 0.2]), count: rng.int(1, 3), maxAgeMs: 10 * MINUTE };
  const rounds = drawRounds(rng, campaigns, () => rng.int(0, 5 * MINUTE));
  const anyLate = late.rate > 0 || rounds.some((r) => r.late.length > 0);
  return {
    source: "altcraft",
    seed,
    cap: drawCap(rng, 3, 80, 110),
    totalCount: rng.pick(["filtered", "all", "response", "missing"] as const),
    pageLimit: rng.pick([20, 50, 200, 1000]),
    simulator: {
      seed: rng.int(1, 1_000_000),
      campaigns,
      historyDays,
      runsPerDay: rng.int(4, 12),
      rowsPerRun: rng.int(10, 40),
      // A finished campaign is read once a day (slow poll): late rows in its log wait for that, by design.
      completedShare: anyLate ? 0 : rng.pick([0, 0.3]),
      inactiveShare: anyLate ? 0 : rng.pick([0, 0.3]),
      burstRate: rng.pick([0, 0.1, 0.3]),
      burstSize: rng.int(2, 60),
    },
    late,
    bursts: Array.from({ length: rng.int(0, 3) }, (): [number, number, number] => [
      rng.int(0, campaigns - 1),
      rng.int(0, historyDays * DAY - MINUTE),
      rng.int(2, 80),
    ]),
    rounds,
  };
}

/** One line for a test name: the seed and the server. */
function brief(plan: YandexPlan | AltcraftPlan): string {
  const { kind, ...cap } = plan.cap;
  const habits =
    plan.source === "yandex_direct"
      ? plan.ignoreOffset
        ? ", Offset ignored"
        : ""
      : `, total_count ${plan.totalCount}`;
  const late = plan.late.rate > 0 ? `, late ${plan.late.rate}×${plan.late.count}` : "";
  return `seed ${plan.seed}: ${kind} ${JSON.stringify(cap)}${habits}, limit ${plan.pageLimit}${late}, ${plan.rounds.length} rounds`;
}

// ---------------------------------------------------------------------------------------------------------------
// Playing a plan and checking the invariant.

/** A record as a canonical text with its time, ms. */
interface Held {
  text: string;
  at: number;
}

interface StreamView {
  key: string;
  status: string;
  cursor: number | null;
  openGaps: number;
  held: Held[];
}

const texts = (records: readonly Held[]) => records.map((r) => r.text);

/**
 * The invariant after a completed run, for one stream: `truthNow` is the simulator's records since the start time
 * now, `truthBefore` what it held when the run began; `upTo(at, cursor)` says whether a record lies in the range
 * the cursor stands for.
 */
function checkStream(
  label: string,
  stream: StreamView,
  truthBefore: readonly Held[],
  truthNow: readonly Held[],
  upTo: (at: number, cursor: number) => boolean,
): void {
  const cursor = stream.cursor;
  const where = `${label}: stream ${stream.key} (${stream.status}, cursor ${cursor === null ? "none" : new Date(cursor).toISOString()}, ${stream.openGaps} open gaps)`;
  const extra = multisetDifference(texts(stream.held), texts(truthNow));
  if (extra.length > 0) {
    const held = (t: string) => stream.held.filter((r) => r.text === t).length;
    const source = (t: string) => truthNow.filter((r) => r.text === t).length;
    expect.fail(
      `${where}: rows held twice or not in the source: ${extra.map((t) => `${t} (held ${held(t)}, source ${source(t)})`).join(" ")}`,
    );
  }
  if (stream.status !== "succeeded" || stream.openGaps > 0 || cursor === null) return;
  const held = texts(stream.held.filter((r) => upTo(r.at, cursor)));
  const wanted = texts(truthBefore.filter((r) => upTo(r.at, cursor)));
  const missing = multisetDifference(wanted, held, Number.MAX_SAFE_INTEGER);
  if (missing.length > 0) {
    expect.fail(
      `${where}: succeeded without a gap, yet ${missing.length} of ${wanted.length} records up to the cursor are missing, e.g. ${missing.slice(0, 3).join(" ")}`,
    );
  }
}

async function openGapsByStream(warehouse: Warehouse): Promise<Map<number, number>> {
  const rows = await warehouse.pool.query<{ stream_id: string; n: string }>(
    "select stream_id, count(*) as n from sync.gaps where closed_at is null group by stream_id",
  );
  return new Map(rows.rows.map((r) => [Number(r.stream_id), Number(r.n)]));
}

interface Player {
  label: string;
  rounds: readonly Round[];
  clock: { now: number };
  run: (options: { signal?: AbortSignal; onPage?: () => void }) => ReturnType<YandexScenario["run"]>;
  addLate: (late: Round["late"]) => void;
  /** The simulator's records since the start time, per stream key. */
  truth: () => Map<string, Held[]>;
  /** Each stream as the warehouse holds it. */
  streams: () => Promise<StreamView[]>;
  /** Whether a record at `at` lies in the range the stream's cursor stands for: see `checkStream`. */
  upTo: (at: number, cursor: number) => boolean;
  requests: () => number;
  /** Streams of the plan: the bound of requests counts them. */
  streamCount: number;
}

/** Runs a plan's rounds: the killed runs, the completed run, and the invariant after it. */
async function play(p: Player): Promise<void> {
  let runs = 0;
  for (const [r, round] of p.rounds.entries()) {
    p.addLate(round.late);
    for (const [k, pages] of round.kills.entries()) {
      p.clock.now += round.advanceMs[k] ?? 0;
      const controller = new AbortController();
      let seen = 0;
      runs++;
      await p.run({
        signal: controller.signal,
        onPage: () => {
          if (++seen >= pages) controller.abort();
        },
      });
    }
    p.clock.now += round.advanceMs[round.kills.length] ?? 0;
    const before = p.truth();
    runs++;
    const summary = await p.run({});
    const label = `${p.label}, round ${r + 1}`;
    for (const s of summary.streams) {
      const where = `${label}: ${s.identity.streamKey} ${s.status}${s.error ? ` (${s.error})` : ""}`;
      expect(["succeeded", "incomplete"], where).toContain(s.status);
      expect(s.status === "incomplete", `${where}: incomplete exactly when the read met a gap`).toBe(
        s.unread !== undefined,
      );
    }
    const now = p.truth();
    for (const stream of await p.streams())
      checkStream(label, stream, before.get(stream.key) ?? [], now.get(stream.key) ?? [], p.upTo);
    const records = [...now.values()].reduce((n, list) => n + list.length, 0);
    expect(p.requests(), `${label}: requests for ${records} records in ${runs} runs`).toBeLessThan(
      10 * records + 300 * runs * p.streamCount,
    );
  }
}

const yandex = useScenarioDatabase(startYandexScenario);
const altcraft = useScenarioDatabase(startAltcraftScenario);

const CLOCK = Date.UTC(2026, 10, 20, 12);

async function playYandex(plan: YandexPlan): Promise<void> {
  let proxy: CappingProxy | undefined;
  const startTime = CLOCK - (plan.simulator.historyDays ?? 1) * DAY;
  const late = { scenario: undefined as YandexScenario | undefined };
  const scenario = await yandex.start({
    now: CLOCK,
    logins: plan.logins,
    simulator: plan.simulator,
    account: { pageLimit: plan.pageLimit, startTime: new Date(startTime).toISOString() },
    front: async (upstream) =>
      (proxy = await startCappingProxy({
        upstream,
        source: "yandex_direct",
        policy: serverPolicy(plan.seed, plan.cap, plan.late, (login, template, rng) => {
          const s = late.scenario;
          if (!s) return;
          const at = s.clock.now - rng.int(1_000, plan.late.maxAgeMs);
          s.sim.addEvents(login, [{ ...(template as AddedEvent), Timestamp: at }]);
        }),
        ...(plan.ignoreOffset ? { ignoreOffset: true } : {}),
      })),
  });
  late.scenario = scenario;
  const { sim } = scenario;
  for (const [login, after, count] of plan.bursts)
    sim.addBurst(plan.logins[login] as string, { at: startTime + after, count });
  const { warehouse } = yandex.database;
  const query = { currency: "RUB", locale: "en", withTextDescription: true } as const;
  await play({
    label: `seed ${plan.seed}`,
    rounds: plan.rounds,
    clock: scenario.clock,
    run: (options) => scenario.run(warehouse, options),
    addLate: (rows) => {
      for (const [login, before, count] of rows)
        sim.addBurst(plan.logins[login] as string, { at: scenario.clock.now - before, count });
    },
    truth: () =>
      new Map(
        plan.logins.map((login) => [
          login,
          sim
            .events({ login, from: startTime, ...query })
            .map((e) => ({ text: canonicalJson(e), at: Date.parse(e.Timestamp) })),
        ]),
      ),
    async streams() {
      const gaps = await openGapsByStream(warehouse);
      const streams = await warehouse.db
        .selectFrom("sync.streams")
        .select(["stream_id", "stream_key", "status", "cursor"])
        .where("source", "=", "yandex_direct")
        .execute();
      expect(streams.map((s) => s.stream_key).sort()).toEqual([...plan.logins].sort());
      return Promise.all(
        streams.map(async (s) => ({
          key: s.stream_key,
          status: s.status,
          cursor: s.cursor?.getTime() ?? null,
          openGaps: gaps.get(s.stream_id) ?? 0,
          held: (
            await warehouse.db
              .selectFrom("yandex_direct.events")
              .select(["raw", "event_time"])
              .where("login", "=", s.stream_key)
              .execute()
          ).map((r) => ({ text: canonicalJson(r.raw), at: r.event_time.getTime() })),
        })),
      );
    },
    // Windows are [from, to): the cursor is the end of the last one read.
    upTo: (at, cursor) => at < cursor,
    requests: () => proxy?.requests ?? 0,
    streamCount: plan.logins.length,
  });
}

async function playAltcraft(plan: AltcraftPlan): Promise<void> {
  let proxy: CappingProxy | undefined;
  const startTime = CLOCK - (plan.simulator.historyDays ?? 1) * DAY;
  const late = { scenario: undefined as AltcraftScenario | undefined };
  const scenario = await altcraft.start({
    now: CLOCK,
    simulator: { ...plan.simulator, totalCount: plan.totalCount === "all" ? "all" : "filtered" },
    account: { pageLimit: plan.pageLimit, startTime: new Date(startTime).toISOString() },
    front: async (upstream) =>
      (proxy = await startCappingProxy({
        upstream,
        source: "altcraft",
        policy: serverPolicy(plan.seed, plan.cap, plan.late, (id, template, rng) => {
          const s = late.scenario;
          if (!s) return;
          const row = template as LogRow;
          s.sim.addLogRows(Number(id), [
            {
              time: s.clock.now - rng.int(0, plan.late.maxAgeMs),
              level: row.level,
              message: "Registered late",
              value: String(rng.int(1, 9)),
            },
          ]);
        }),
        totalCount: plan.totalCount === "response" || plan.totalCount === "missing" ? plan.totalCount : "upstream",
      })),
  });
  late.scenario = scenario;
  const { sim } = scenario;
  const ids = sim.campaigns().map((c) => c.id);
  for (const [campaign, after, count] of plan.bursts)
    sim.addBurst(ids[campaign] as number, { time: startTime + after, count });
  const { warehouse } = altcraft.database;
  await play({
    label: `seed ${plan.seed}`,
    rounds: plan.rounds,
    clock: scenario.clock,
    run: (options) => scenario.run(warehouse, options),
    addLate: (rows) => {
      // Late rows go to live campaigns only: a finished one is read again once a day (slow poll), by design.
      const live = sim.campaigns().filter((c) => c.status === "Active");
      for (const [campaign, before, count] of rows) {
        const target = live[campaign % Math.max(1, live.length)];
        if (target)
          sim.addBurst(target.id, { time: scenario.clock.now - before, count, level: "INFO", message: "Late" });
      }
    },
    truth: () =>
      new Map(
        sim
          .campaigns()
          .map((c) => [
            String(c.id),
            sim.log(c.id, { from: startTime }).map((r) => ({ text: canonicalJson(r), at: Date.parse(r.time) })),
          ]),
      ),
    async streams() {
      const gaps = await openGapsByStream(warehouse);
      const streams = await warehouse.db
        .selectFrom("sync.streams")
        .select(["stream_id", "stream_key", "status", "cursor"])
        .where("source", "=", "altcraft")
        .execute();
      return Promise.all(
        streams.map(async (s) => ({
          key: s.stream_key,
          status: s.status,
          cursor: s.cursor?.getTime() ?? null,
          openGaps: gaps.get(s.stream_id) ?? 0,
          held: (
            await warehouse.db
              .selectFrom("altcraft.campaign_log")
              .select(["raw", "time"])
              .where("stream_id", "=", s.stream_id)
              .execute()
          ).map((r) => ({ text: canonicalJson(r.raw), at: r.time.getTime() })),
        })),
      );
    },
    // The cursor is the last row read. Its own millisecond, the newest of the log when the read ended, is left
    // out: log_v2 cannot page inside a millisecond, and a server that cuts a response inside the newest one, at
    // a size below any it gave before, with a total_count that does not count from from_time on, looks like
    // its end (README, "What no reader can prove"); the next run's lookback reads it again, and the next
    // round's check covers it.
    upTo: (at, cursor) => at < cursor,
    requests: () => proxy?.requests ?? 0,
    streamCount: ids.length,
  });
}

/** Runs `play`, naming the seed and the drawn server in any failure so that it can be replayed. */
async function replayable<P extends { seed: number }>(plan: P, run: (plan: P) => Promise<void>): Promise<void> {
  try {
    await run(plan);
  } catch (err) {
    const replay = `replay: SEEDS=${plan.seed}, npx vitest run test/sync/server-model.property.test.ts; drawn server: ${JSON.stringify(plan)}`;
    if (err instanceof Error) {
      err.message = `${err.message}\n${replay}`;
      throw err;
    }
    throw new Error(`${String(err)}\n${replay}`, { cause: err });
  }
}

/**
 * Seeds that once found a product bug (each failed the same way on every run tried), and which one: they stay
 * in the sweep, named, so the bug cannot come back; the scripted replays at the end of the file show each alone.
 */
const FOUND_BUGS: Record<number, string> = {
  1059: "bug 1: a record stored twice when two events are registered between a page and the next",
  2010: "bug 2: a read settled on a follow-up that holds fewer rows of a millisecond than the page before",
  2025: "bug 3: a millisecond stepped past without a gap when the server gave it alone in a smaller response",
};

/**
 * The seeds of a sweep: `base + 1` … `base + count` and the bug-finding seeds of its thousand, unless `SEEDS`
 * names others (see the top of the file).
 */
function seeds(base: number, count: number): number[] {
  const raw = process.env.SEEDS?.trim() ?? "";
  const ours = (s: number) => s > base && s <= base + 1000;
  if (raw.includes(",") || Number(raw) > 1000) return raw.split(",").map(Number).filter(ours);
  const n = raw === "" ? count : Number(raw);
  const known = Object.keys(FOUND_BUGS)
    .map(Number)
    .filter((s) => ours(s) && s > base + n);
  return [...Array.from({ length: n }, (_, i) => base + i + 1), ...known];
}

function sweep<P extends YandexPlan | AltcraftPlan>(
  base: number,
  draw: (seed: number) => P,
  run: (plan: P) => Promise<void>,
): void {
  for (const seed of seeds(base, 12)) {
    const plan = draw(seed);
    const bug = FOUND_BUGS[seed];
    it(bug ? `${brief(plan)} (${bug})` : brief(plan), () => replayable(plan, run));
  }
}

describe("Yandex.Direct against random servers of the model", () => {
  // Kills: any size-based end of a window read (fixed, byte, offset, random and dipping caps); identical events
  // numbered across Offset pages, across an event registered between two pages, or across a killed run (a
  // duplicate); a `succeeded` stream short of a late event its lookback covers; an Offset the server ignores
  // read as new pages, or read without bound.
  sweep(1000, drawYandex, playYandex);
});

describe("Altcraft against random servers of the model", () => {
  // Kills: a follow-up smaller than the largest response taken as the end of the log; a millisecond stepped
  // past without its count (a `succeeded` stream short of rows); a total_count of the wrong meaning taken as a
  // count of the rows from from_time on; identical rows numbered across responses or across a killed run.
  sweep(2000, drawAltcraft, playAltcraft);
});

// ---------------------------------------------------------------------------------------------------------------
// The bugs the sweep found, each with a server scripted to meet it in one run; each test states what the
// product must do.

describe("product bugs the sweep found, each alone", () => {
  // BUG 1. Kills: the proof that "a page that begins with a record the page before does not hold means no
  // event was registered between them" (unsettledSeconds in events.evidence.ts, used by
  // events.window.ts): two events registered before the last record received shift it by two places, so the
  // next page (here the follow-up, which should have been empty) begins with one of them and then repeats that
  // record, which the window's snapshot then numbers twice.
  it("Yandex.Direct stores no record twice when two events are registered between a page and the next", async () => {
    const now = CLOCK;
    const script = { scenario: undefined as YandexScenario | undefined, registered: false };
    // Five events a minute apart; the window holding them is read in one response (cap 1,000), then its
    // follow-up. In between, two events are registered between the fourth and the fifth.
    const at = (k: number) => now - 40 * MINUTE + k * MINUTE;
    const policy: CapPolicy = (request, records) => {
      const s = script.scenario;
      const last = records.at(-1) as { Timestamp?: string } | undefined;
      if (s && !script.registered && request.offset === 0 && last?.Timestamp && Date.parse(last.Timestamp) === at(4)) {
        script.registered = true;
        const template = records[0] as AddedEvent;
        s.sim.addEvents("client-1", [
          { ...template, EventType: "LowCTR", Timestamp: at(4) - 20_000 },
          { ...template, EventType: "WarnPlace", Timestamp: at(4) - 10_000 },
        ]);
      }
      return 1000;
    };
    const scenario = await yandex.start({
      now,
      logins: ["client-1"],
      simulator: { eventsPerHour: 0 },
      account: { startTime: new Date(now - HOUR).toISOString() },
      front: (upstream) => startCappingProxy({ upstream, source: "yandex_direct", policy }),
    });
    script.scenario = scenario;
    const { campaignIds } = scenario.sim.ids("client-1");
    scenario.sim.addEvents(
      "client-1",
      [0, 1, 2, 3, 4].map((k) => ({
        EventType: "MoneyOut",
        CampaignID: campaignIds[k % campaignIds.length],
        Timestamp: at(k),
      })),
    );
    const run = await scenario.run(yandex.database.warehouse);
    expect(script.registered, "the script registered its two events").toBe(true);
    expect(run.streams.map((s) => s.status)).toEqual(["succeeded"]);
    const rows = await yandex.database.warehouse.db.selectFrom("yandex_direct.events").select(["raw"]).execute();
    const held = rows.map((r) => canonicalJson(r.raw));
    const truth = scenario.sim
      .events({ login: "client-1", from: now - HOUR, currency: "RUB", locale: "en", withTextDescription: true })
      .map((e) => canonicalJson(e));
    // Today: the fifth event is stored twice (occurrences 0 and 1), and the two registered late are read by the
    // next run's lookback.
    expect(multisetDifference(held, truth), "rows held twice or not in the source").toEqual([]);
  });

  /** An Altcraft campaign whose log holds `count` identical rows at X, between two rows of their own. */
  async function burstScenario(policyFor: (x: number) => CapPolicy, totalCount: "filtered" | "all", count: number) {
    const now = CLOCK;
    const x = now - 6 * HOUR + 321;
    const scenario = await altcraft.start({
      now,
      simulator: { campaigns: 1, historyDays: 1, completedShare: 0, inactiveShare: 0, totalCount },
      account: { pageLimit: 200, startTime: new Date(now - DAY).toISOString() },
      front: (upstream) => startCappingProxy({ upstream, source: "altcraft", policy: policyFor(x) }),
    });
    const [id] = scenario.sim.campaigns().map((c) => c.id) as [number];
    scenario.sim.addLogRows(id, [
      { time: x - 5, level: "INFO", message: "Sending started" },
      { time: x + 5, level: "INFO", message: "Sending paused" },
    ]);
    scenario.sim.addBurst(id, { time: x, count });
    const run = await scenario.run(altcraft.database.warehouse);
    const { warehouse } = altcraft.database;
    const rows = await warehouse.db.selectFrom("altcraft.campaign_log").select(["time"]).execute();
    const gaps = await warehouse.db
      .selectFrom("sync.gaps")
      .select(["at", "unread_events"])
      .where("closed_at", "is", null)
      .execute();
    const gap = gaps.find((g) => g.at.getTime() === x);
    return {
      status: run.streams[0]?.status,
      heldAtX: rows.filter((r) => r.time.getTime() === x).length,
      gapAtX: gap === undefined ? undefined : gap.unread_events === null ? null : Number(gap.unread_events),
    };
  }

  const timeOf = (record: unknown) => Date.parse(String((record as { time?: unknown }).time));
  /** The index of the first record at `x`, or -1. */
  const firstAt = (records: readonly unknown[], x: number) => records.findIndex((r) => timeOf(r) === x);

  // BUG 2. Kills: judgeResponse's "settled" (campaign-log.evidence.ts) for a follow-up smaller than the largest
  // response even when it holds fewer rows of the last millisecond than the page before it did: it was cut
  // short, yet the read ends `succeeded` with the rest of that millisecond (and everything after it) unread and
  // no gap.
  it("Altcraft does not end a read on a follow-up that holds fewer rows of its millisecond than the page before", async () => {
    // A page ends 10 rows into 30 identical rows at X; the follow-up from X − 1 ms gives 5 of them, a response
    // from X itself gives 20. total_count counts every row (it cannot count what is left).
    const policy =
      (x: number): CapPolicy =>
      (request, records) => {
        const i = firstAt(records, x);
        if (i === 0) return request.params.from_time === new Date(x - 1).toISOString() ? 5 : 20;
        return i > 0 ? i + 10 : 20;
      };
    const result = await burstScenario(policy, "all", 30);
    // Today: succeeded, a few of the 30 rows held, no gap. Right: incomplete, with a gap at X for the rows not
    // held, of unknown size (total_count does not tell) or that exact count.
    expect(result.status, JSON.stringify(result)).toBe("incomplete");
    expect([null, 30 - result.heldAtX], JSON.stringify(result)).toContain(result.gapAtX);
  });

  // BUG 3. Kills: a size shortcut in steppedPast (campaign-log.answer.ts):
  // a response that gave the millisecond alone with fewer rows than the largest response is taken as the whole
  // millisecond, so it is stepped past with no gap, although total_count (counting from from_time on) says how
  // many rows it holds and the server gave more of them in another response.
  it("Altcraft counts the rows of a millisecond it steps past even when the server gave it alone in a smaller response", async () => {
    // 29 identical rows at X: the follow-up from X − 1 ms gives 20 of them, a response from X itself gives 12.
    const policy =
      (x: number): CapPolicy =>
      (request, records) => {
        const i = firstAt(records, x);
        if (i === 0) return request.params.from_time === new Date(x).toISOString() ? 12 : 20;
        return i > 0 ? i + 1 : 20;
      };
    const result = await burstScenario(policy, "filtered", 29);
    // Today: succeeded, 20 rows held, no gap. Right: incomplete, with a gap at X for exactly the rows not held
    // (total_count counts the rows from from_time on: 9 when the 20 the server gives are held). Without the
    // shortcut the count would still be wrong today: 17, from the rows of the last response of X alone (12),
    // not from the most rows of X held (20).
    expect(result.status, JSON.stringify(result)).toBe("incomplete");
    expect(result.gapAtX, JSON.stringify(result)).toBe(29 - result.heldAtX);
  });
});
