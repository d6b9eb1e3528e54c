// Progress reporting: an ETA from how fast the cursor approaches now, log lines off a terminal, one status line on it.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgressReporter, etaSeconds } from "../../src/cli/sync.progress.js";
import { createLogger } from "../../src/log/pino.logger.js";

describe("progress", () => {
  it("estimates the time left from how fast the cursor approaches now", () => {
    const day = 86_400_000;
    // 10 days covered in 20 s, 5 days left: 10 s.
    expect(etaSeconds(0, 10 * day, 20_000, 15 * day)).toBeCloseTo(10, 6);
    expect(etaSeconds(5, 5, 1000, 10)).toBeUndefined();
  });

  it("writes periodic log lines per stream when not on a terminal", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const reporter = createProgressReporter(createLogger({ destination: sink }), { terminal: false, intervalMs: 20 });
    const id = { source: "yandex_direct" as const, account: "agency", streamKey: "client-1" };
    reporter.onPage(id, { cursor: new Date("2026-01-01T00:00:00Z"), inserted: 10, duplicates: 0 });
    reporter.onPage(id, { cursor: new Date("2026-01-02T00:00:00Z"), inserted: 15, duplicates: 0 });
    await new Promise((r) => setTimeout(r, 60));
    reporter.stop();
    const progress = lines
      .map(
        (l) => JSON.parse(l) as { msg: string; streams: Array<{ stream: string; reached: string; inserted: number }> },
      )
      .filter((l) => l.msg === "progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]?.streams).toEqual([
      expect.objectContaining({
        stream: "yandex_direct/agency/client-1",
        reached: "2026-01-02T00:00:00.000Z",
        inserted: 25,
      }),
    ]);
  });

  it("redraws one status line with an ETA on a terminal", async () => {
    let text = "";
    const out = Object.assign(new Writable({ write: (chunk, _enc, done) => void ((text += String(chunk)), done()) }), {
      columns: 200,
    }) as unknown as NodeJS.WriteStream;
    const reporter = createProgressReporter(createLogger({ level: "silent" }), { terminal: true, intervalMs: 20, out });
    const id = { source: "altcraft" as const, account: "main", streamKey: "42" };
    reporter.onPage(id, { cursor: new Date(Date.now() - 10 * 86_400_000), inserted: 5, duplicates: 0 });
    await new Promise((r) => setTimeout(r, 30));
    reporter.onPage(id, { cursor: new Date(Date.now() - 5 * 86_400_000), inserted: 7, duplicates: 0 });
    await new Promise((r) => setTimeout(r, 50));
    reporter.stop();
    const clearLine = "\r\u001b[2K";
    expect(text.startsWith(clearLine)).toBe(true);
    expect(text).toMatch(
      / {2}1 streams · 12 events loaded · slowest altcraft\/main\/42 at \d{4}-\d{2}-\d{2} \d{2}:\d{2} · ETA \d+s/,
    );
    expect(text.endsWith(clearLine)).toBe(true);
  });
});
