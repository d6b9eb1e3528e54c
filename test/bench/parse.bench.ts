/**
 * bench:parse — a GetEventsLog page parsed whole (decoded into one string, then JSON.parse) against parsed in pieces
 * (src/http/member-array.reader.ts), on the same bodies, in one run:
 *   npm run bench:parse -- [--page-limit 2000] [--pages 40] [--rounds 5]
 * The bodies are the simulator's answers, in English (ASCII) and in Russian (UTF-8 descriptions). Each round parses
 * every page both ways, the order alternating; prints CPU per page (user + system, garbage collection included) and
 * the time spent in collections, the median of the rounds, and their ratio.
 *
 * Then the floor of any sync's own work per event on the English bodies: parsed in pieces; parsed and each record's
 * share of the body's bytes hashed once with SHA-256 (what no sync can do without: it must read every record and
 * know it again); parsed and given its event key as the sync does (canonical JSON, hash, key: keyRecord). CPU µs
 * per event, the median of the rounds, to set against the loader's own CPU per event (`npm run bench:yandex`).
 * Prints; does not assert.
 */
import { hash } from "node:crypto";
import { GCProfiler } from "node:v8";
import { createHttpAgent, post } from "../../src/http/http.post.js";
import { parseMemberArray } from "../../src/http/member-array.reader.js";
import { startYandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { type EventKeyText, keyRecord } from "../../src/sync/event.identity.js";
import { isoSeconds } from "../../src/time/time.timestamp.js";
import { numberArg } from "./bench-database.js";

const HOUR = 3_600_000;
const CLOCK = Date.UTC(2026, 10, 20, 12);
const pageLimit = numberArg("page-limit", 2000);
const pageCount = numberArg("pages", 40);
const rounds = numberArg("rounds", 5);

/** `pageCount` answers of `pageLimit` events each, read from the simulator in `locale`. */
async function pages(locale: "en" | "ru"): Promise<Buffer[]> {
  const perHour = 400;
  const historyDays = Math.ceil((pageLimit * pageCount) / (perHour * 24)) + 1;
  const sim = await startYandexDirectSimulator({
    seed: 5,
    clientLogins: 1,
    eventsPerHour: perHour,
    historyDays,
    clock: () => CLOCK,
    requestsPerSecond: 0,
    concurrentRequests: 0,
  });
  const agent = createHttpAgent();
  try {
    const bodies: Buffer[] = [];
    const from = isoSeconds(new Date(CLOCK - historyDays * 24 * HOUR));
    for (let offset = 0; bodies.length < pageCount; offset += pageLimit) {
      const param = {
        TimestampFrom: from,
        Currency: "RUB",
        WithTextDescription: "Yes",
        Limit: pageLimit,
        Offset: offset,
      };
      const body = JSON.stringify({ method: "GetEventsLog", param, token: "client-1-token", locale });
      const answer = await post(sim.endpoint, body, { timeoutMs: 30_000, agent, redact: (t) => t });
      const items = parseMemberArray(answer.bytes, "data");
      if (!items) throw new Error(`the simulator answered something other than a page: ${answer.body.slice(0, 200)}`);
      if (items.length < pageLimit) break;
      bodies.push(answer.bytes);
    }
    return bodies;
  } finally {
    await agent.close();
    await sim.close();
  }
}

type Way = (body: Buffer) => unknown[] | undefined;
const whole: Way = (body) => (JSON.parse(body.toString("utf8")) as { data: unknown[] }).data;
const inPieces: Way = (body) => parseMemberArray(body, "data");

/** CPU and collection time per page, ms, of parsing every body one way. */
function measure(bodies: readonly Buffer[], way: Way): { cpu: number; gc: number } {
  let kept = 0;
  const gc = new GCProfiler();
  gc.start();
  const cpu = process.cpuUsage();
  for (const body of bodies) kept += way(body)?.length ?? 0;
  const used = process.cpuUsage(cpu);
  const gcMs = gc.stop().statistics.reduce((ms, s) => ms + s.cost / 1000, 0);
  if (kept !== bodies.length * pageLimit)
    throw new Error(`parsed ${kept} events, expected ${bodies.length * pageLimit}`);
  return { cpu: (used.user + used.system) / 1000 / bodies.length, gc: gcMs / bodies.length };
}

/** The floor's three ways, each over every body: CPU µs per event. */
function floorOf(bodies: readonly Buffer[], rounds: number): { parse: number; hashed: number; keyed: number } {
  const into: EventKeyText = { json: "", key: "" };
  const each = (body: Buffer, record: (item: unknown, at: number, bytes: Buffer) => void) => {
    const items = parseMemberArray(body, "data") ?? [];
    // Each record's share of the body's bytes, in order: what a hash of the record as sent reads.
    const step = Math.floor(body.length / Math.max(1, items.length));
    items.forEach((item, at) => record(item, at, body.subarray(at * step, (at + 1) * step)));
    return items.length;
  };
  const ways = {
    parse: (body: Buffer) => each(body, () => undefined),
    hashed: (body: Buffer) => each(body, (_item, _at, bytes) => void hash("sha256", bytes, "hex")),
    keyed: (body: Buffer) =>
      each(body, (item, at) => keyRecord(item, undefined, "yandex_direct/agency/client-1", at, into)),
  };
  const figures = { parse: [] as number[], hashed: [] as number[], keyed: [] as number[] };
  for (let round = 0; round <= rounds; round++) {
    for (const name of ["parse", "hashed", "keyed"] as const) {
      const cpu = process.cpuUsage();
      let events = 0;
      for (const body of bodies) events += ways[name](body);
      const used = process.cpuUsage(cpu);
      // Round 0 warms the code up and is not counted.
      if (round > 0) figures[name].push((used.user + used.system) / events);
    }
  }
  return { parse: median(figures.parse), hashed: median(figures.hashed), keyed: median(figures.keyed) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

console.log(`bench:parse — GetEventsLog pages of ${pageLimit} events, ${rounds} rounds, each way in turn`);
console.log(
  "| bodies | KB per page | whole: CPU ms per page (GC) | in pieces: CPU ms per page (GC) | pieces ÷ whole |",
);
console.log("|---|---|---|---|---|");
for (const locale of ["en", "ru"] as const) {
  const bodies = await pages(locale);
  const kb = bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 1024;
  measure(bodies, whole);
  measure(bodies, inPieces);
  const figures = { whole: [] as { cpu: number; gc: number }[], pieces: [] as { cpu: number; gc: number }[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (["whole", "pieces"] as const) : (["pieces", "whole"] as const);
    for (const way of order) figures[way].push(measure(bodies, way === "whole" ? whole : inPieces));
  }
  const w = { cpu: median(figures.whole.map((f) => f.cpu)), gc: median(figures.whole.map((f) => f.gc)) };
  const p = { cpu: median(figures.pieces.map((f) => f.cpu)), gc: median(figures.pieces.map((f) => f.gc)) };
  console.log(
    `| ${locale === "en" ? "English (ASCII)" : "Russian (UTF-8)"}, ${bodies.length} pages | ${kb.toFixed(0)} | ${w.cpu.toFixed(2)} (${w.gc.toFixed(2)}) | ${p.cpu.toFixed(2)} (${p.gc.toFixed(2)}) | ${(p.cpu / w.cpu).toFixed(2)} |`,
  );
  if (locale !== "en") continue;
  const floor = floorOf(bodies, rounds);
  console.log(
    `  floor of a sync's own work, CPU per event: parsed ${floor.parse.toFixed(2)} µs; parsed and hashed once ` +
      `${floor.hashed.toFixed(2)} µs; parsed and keyed (keyRecord) ${floor.keyed.toFixed(2)} µs`,
  );
}
