/**
 * The floor of a sync's own work per event, on the simulator's GetEventsLog pages: what any sync does beyond the
 * loader, measured without the rest of the sync. Used by bench:parse and bench:yandex.
 *   - parsed: the page parsed in pieces (src/http/member-array.reader.ts);
 *   - parsed and hashed once: and each record's share of the body's bytes hashed with SHA-256 (what no sync can do
 *     without: it must read every record and know it again);
 *   - parsed and keyed: and each record given its event key as the sync gives it (canonical JSON, hash, key:
 *     keyRecord), the keys pinned byte for byte by test/sync/event-keys.pinned.test.ts.
 */
import { hash } from "node:crypto";
import { createHttpAgent, post } from "../../src/http/http.post.js";
import { parseMemberArray } from "../../src/http/member-array.reader.js";
import { startYandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { type EventKeyText, keyRecord } from "../../src/sync/event.identity.js";
import { isoSeconds } from "../../src/time/time.timestamp.js";
import { median } from "./bench-database.js";

const HOUR = 3_600_000;
const CLOCK = Date.UTC(2026, 10, 20, 12);

/** `pageCount` full answers of `pageLimit` events each, read from a simulator of its own in `locale`. */
export async function simulatorPages(locale: "en" | "ru", pageLimit: number, pageCount: number): Promise<Buffer[]> {
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

/** CPU µs per event of each way, over every body: the median of `rounds` rounds after one to warm up. */
export interface KeyingFloor {
  parse: number;
  hashed: number;
  keyed: number;
}

export function keyingFloor(bodies: readonly Buffer[], rounds: number): KeyingFloor {
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
