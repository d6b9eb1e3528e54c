// A U+0000 in a campaign's list item (its name, a UI tag) is stored as U+FFFD, as in event text, instead of
// failing the whole account on every run. A log row that echoes the token is rejected without it.
import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/http/secrets.redactor.js";
import { pageRows } from "../../src/sync/altcraft.batches.js";
import { NUL_REPLACEMENT } from "../../src/warehouse/nul.replacement.js";
import { startAltcraftScenario } from "../support/altcraft-scenario.js";
import { useScenarioDatabase } from "../support/scenario-database.js";

const { database, start } = useScenarioDatabase(startAltcraftScenario);

describe("a campaign list item with a U+0000", () => {
  it("is stored with U+FFFD, run after run, and every campaign of the account syncs", async () => {
    const scenario = await start({ simulator: { campaigns: 2, historyDays: 2 } });
    const added = scenario.sim.addCampaign({
      name: "Black\u0000Friday",
      ui_tags: ["sale\u0000"],
      createdAt: scenario.clock.now - 86_400_000,
    });
    const { warehouse } = database;
    for (let run = 0; run < 2; run++) {
      const summary = await scenario.run(warehouse);
      expect(summary.accounts, `run ${run}`).toEqual([]);
      expect(summary.status, `run ${run}`).toBe("succeeded");
      expect(summary.streams.map((s) => s.identity.streamKey)).toContain(String(added.id));
    }
    const stored = await warehouse.pool.query<{ name: string; ui_tags: unknown; raw: { name: string } }>(
      "select name, ui_tags, raw from altcraft.campaigns where campaign_id = $1",
      [added.id],
    );
    expect(stored.rows).toEqual([
      {
        name: `Black${NUL_REPLACEMENT}Friday`,
        ui_tags: [`sale${NUL_REPLACEMENT}`],
        raw: expect.objectContaining({ name: `Black${NUL_REPLACEMENT}Friday` }),
      },
    ]);
    await scenario.expectGroundTruth(warehouse);
  }, 60_000);
});

describe("a log row that echoes the token", () => {
  it("is rejected with a reason and a record that hold no piece of the token", () => {
    const token = "altcraft-SECRET-token-0123456789abcdef";
    const time = "2026-11-20T10:00:00.000Z";
    const rows = pageRows(
      {
        rows: [
          { time, level: { echoed: token }, message: "m" },
          { time, level: "INFO", message: 7, note: token },
        ],
        times: [Date.parse(time), Date.parse(time)],
      },
      {
        keyPrefix: "altcraft/main/1",
        account: "main",
        campaignId: 1,
        zone: "UTC",
        startMs: 0,
        cursorBefore: 0,
        redact: createRedactor([token]),
      },
    );
    expect(rows.events).toEqual([]);
    expect(rows.rejects.map((r) => r.reason)).toEqual([
      'level: expected a string, got {"echoed":"[redacted]"}',
      "message: expected a string, got 7",
    ]);
    const seen = JSON.stringify(rows.rejects);
    const pieces = Array.from({ length: token.length - 7 }, (_, i) => token.slice(i, i + 8));
    expect(pieces.filter((piece) => seen.includes(piece))).toEqual([]);
  });
});
