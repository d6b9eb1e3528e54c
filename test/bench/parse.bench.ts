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
import { GCProfiler } from "node:v8";
import { parseMemberArray } from "../../src/http/member-array.reader.js";
import { median, numberArg } from "./bench-database.js";
import { keyingFloor, simulatorPages } from "./keying-floor.js";

const pageLimit = numberArg("page-limit", 2000);
const pageCount = numberArg("pages", 40);
const rounds = numberArg("rounds", 5);

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

console.log(`bench:parse — GetEventsLog pages of ${pageLimit} events, ${rounds} rounds, each way in turn`);
console.log(
  "| bodies | KB per page | whole: CPU ms per page (GC) | in pieces: CPU ms per page (GC) | pieces ÷ whole |",
);
console.log("|---|---|---|---|---|");
for (const locale of ["en", "ru"] as const) {
  const bodies = await simulatorPages(locale, pageLimit, pageCount);
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
  const floor = keyingFloor(bodies, rounds);
  console.log(
    `  floor of a sync's own work, CPU per event: parsed ${floor.parse.toFixed(2)} µs; parsed and hashed once ` +
      `${floor.hashed.toFixed(2)} µs; parsed and keyed (keyRecord) ${floor.keyed.toFixed(2)} µs`,
  );
}
