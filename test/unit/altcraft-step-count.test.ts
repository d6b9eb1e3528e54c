// readCampaignLog stepping past a millisecond that holds more rows than the server gives in one response,
// against a scripted server that follows the Altcraft model exactly — the oldest rows after from_time
// (exclusive), at most `cap` per response, total_count counting the rows after from_time — and registers a
// late row after that millisecond exactly between the two requests the step's count rests on. The count of
// unread rows must never come out too low: a late row must not hide an unread row, nor make a millisecond
// read whole look like a gap of unknown size.
import { describe, expect, it } from "vitest";
import type { AltcraftClient } from "../../src/sources/altcraft/altcraft.client.js";
import { type CampaignLogPage, readCampaignLog } from "../../src/sources/altcraft/campaign-log.stream.js";
import { createAuditPolicy } from "../../src/sources/page.capacity.js";

const T = Date.UTC(2026, 10, 20, 10);
const NOW = T + 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A server holding rows at `log` (ms), at most `cap` per response; `late` is registered on cue, before the
 * first answer from `from` (`every`: before every answer from `everyFrom` once `from` was asked).
 */
function scriptedServer(
  log: number[],
  cap: number,
  cue: { from: number; late: number; everyFrom?: number } | undefined,
) {
  const asked: number[] = [];
  let cued = false;
  const client: AltcraftClient = {
    redact: (text: string) => text,
    call: (_method, params) => {
      const from = Date.parse(String(params.from_time));
      asked.push(from);
      if (cue && ((!cued && from === cue.from) || (cued && from === cue.everyFrom))) {
        cued = true;
        log.push(cue.late + asked.length);
      }
      const after = log.filter((at) => at > from).sort((a, b) => a - b);
      const size = Math.min(Number(params.limit), cap);
      const data = after.slice(0, size).map((at, i) => ({ time: iso(at), event: "deliver", n: i }));
      return Promise.resolve({ error: 0, data, total_count: after.length });
    },
  };
  return { client, asked };
}

async function readAll(client: AltcraftClient): Promise<CampaignLogPage[]> {
  const settings = {
    campaignId: 7,
    pageLimit: 100,
    maxPageLimit: 100,
    zone: "UTC",
    startTime: new Date(T),
    lookbackMs: 0,
    completeness: "strict" as const,
    capacityMemoryMs: 0,
    audit: createAuditPolicy(0),
  };
  const start = { cursor: null, state: { totalCountReading: "filtered" as const }, now: new Date(NOW) };
  const pages: CampaignLogPage[] = [];
  const tally = { requests: 0, retries: 0 };
  for await (const page of readCampaignLog(client, settings, start, tally, undefined, () => NOW)) pages.push(page);
  return pages;
}

const gaps = (pages: CampaignLogPage[]) =>
  pages.flatMap((p) => (p.unread ? [{ at: p.unread.at.getTime(), unread: p.unread.unread }] : []));

const rowsAt = (ms: number, n: number) => Array.from({ length: n }, () => ms);

describe("Altcraft: a millisecond stepped past while a late row arrives after it", () => {
  const cap = 3;
  const later = [T + 10];
  // The late row comes with the request that steps past T (from_time = T), after the request from T − 1 ms.
  const cue = { from: T, late: T + 20 };

  it("records the gap as unknown when total_count before T never holds still", async () => {
    const { client, asked } = scriptedServer([...rowsAt(T, cap + 1), ...later], cap, { ...cue, everyFrom: T - 1 });
    expect(gaps(await readAll(client))).toEqual([{ at: T, unread: null }]);
    // The first read, its follow-up and the step, then 16 requests asking the pair again.
    expect(asked.slice(0, 19)).toEqual([T - 1, T - 1, T, ...Array.from({ length: 8 }, () => [T - 1, T]).flat()]);
    expect(asked[19]).toBeGreaterThan(T);
  });

  it("counts the one row of T no answer gave, never passing it over", async () => {
    const { client } = scriptedServer([...rowsAt(T, cap + 1), ...later], cap, cue);
    expect(gaps(await readAll(client))).toEqual([{ at: T, unread: 1 }]);
  });

  it("records no gap for a millisecond read whole", async () => {
    const { client } = scriptedServer([...rowsAt(T, cap), ...later], cap, cue);
    expect(gaps(await readAll(client))).toEqual([]);
  });

  it("asks the millisecond before once more when nothing arrived between the two requests", async () => {
    const { client, asked } = scriptedServer([...rowsAt(T, cap + 1), ...later], cap, undefined);
    expect(gaps(await readAll(client))).toEqual([{ at: T, unread: 1 }]);
    // The first read, its follow-up, the step, the first again, then the follow-up of the page past T.
    expect(asked).toEqual([T - 1, T - 1, T, T - 1, T + 9]);
  });
});
