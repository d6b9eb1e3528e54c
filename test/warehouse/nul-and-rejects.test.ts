// U+0000 never corrupts or silently alters data: a documented replacement (U+FFFD), recorded on the row;
// the six characters \u0000 after an escaped backslash are no NUL and stay exactly. Rejects are stored
// once however often they are re-read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignLogTable, type CampaignLogRowInput } from "../../src/warehouse/copy.columns.js";
import { loadBatch } from "../../src/warehouse/batch.loader.js";
import { jsonWithoutNul, NUL_REPLACEMENT, textWithoutNul } from "../../src/warehouse/nul.replacement.js";
import { startRun } from "../support/runs.js";
import { ensureStream } from "../../src/warehouse/streams.repository.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const BACKSLASH_U0000 = "\\u0000"; // six characters: a backslash, then u0000 — no NUL
const KEY = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function row(n: number, raw: Record<string, unknown>, message: string | null = null): CampaignLogRowInput {
  return {
    event_key: KEY(n),
    account: "a",
    campaign_id: 1,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    level: "INFO",
    message,
    state: null,
    value: null,
    value_ms: null,
    occurrence: 0,
    raw: JSON.stringify(raw),
  };
}

describe("U+0000", () => {
  it("is replaced in strings and keys of a value, never in the text of an escaped backslash", () => {
    expect(jsonWithoutNul({ a: BACKSLASH_U0000 })).toEqual({
      json: JSON.stringify({ a: BACKSLASH_U0000 }),
      replaced: false,
    });
    expect(jsonWithoutNul({ a: `\\${BACKSLASH_U0000}` })).toEqual({
      json: JSON.stringify({ a: `\\${BACKSLASH_U0000}` }),
      replaced: false,
    });
    expect(jsonWithoutNul({ "k\u0000": ["x\u0000y", { z: "\u0000" }], b: BACKSLASH_U0000 })).toEqual({
      json: JSON.stringify({
        [`k${NUL_REPLACEMENT}`]: [`x${NUL_REPLACEMENT}y`, { z: NUL_REPLACEMENT }],
        b: BACKSLASH_U0000,
      }),
      replaced: true,
    });
    expect(textWithoutNul("a\u0000b")).toEqual({ text: `a${NUL_REPLACEMENT}b`, replaced: true });
    expect(textWithoutNul("a\\u0000b")).toEqual({ text: "a\\u0000b", replaced: false });
  });

  it("is stored replaced and flagged, in raw and text columns; escaped backslashes before \\u0000 stay exact", async () => {
    const stream = await ensureStream(database.warehouse.db, { source: "altcraft", account: "a", streamKey: "nul" });
    const runId = await startRun(database.warehouse.db, "test");
    const events = [
      row(1, { message: BACKSLASH_U0000, time: "t1" }, BACKSLASH_U0000),
      row(2, { message: `\\\\${BACKSLASH_U0000}`, time: "t2" }),
      row(3, { message: "a\u0000b", time: "t3" }),
      row(4, { "we\u0000ird": "key", time: "t4" }),
      row(5, { message: "plain", time: "t5" }, "text \u0000 column"),
    ];
    const loaded = await loadBatch(database.warehouse.pool, campaignLogTable, {
      streamId: stream.stream_id,
      runId,
      events,
    });
    expect(loaded).toEqual({ inserted: 5, duplicates: 0, rejects: 0 });
    const rows = await database.warehouse.db
      .selectFrom("altcraft.campaign_log")
      .select(["event_key", "raw", "message", "nul_replaced"])
      .where("stream_id", "=", stream.stream_id)
      .orderBy("time")
      .execute();
    expect(rows).toEqual([
      {
        event_key: KEY(1),
        raw: { message: BACKSLASH_U0000, time: "t1" },
        message: BACKSLASH_U0000,
        nul_replaced: false,
      },
      { event_key: KEY(2), raw: { message: `\\\\${BACKSLASH_U0000}`, time: "t2" }, message: null, nul_replaced: false },
      { event_key: KEY(3), raw: { message: `a${NUL_REPLACEMENT}b`, time: "t3" }, message: null, nul_replaced: true },
      { event_key: KEY(4), raw: { [`we${NUL_REPLACEMENT}ird`]: "key", time: "t4" }, message: null, nul_replaced: true },
      {
        event_key: KEY(5),
        raw: { message: "plain", time: "t5" },
        message: `text ${NUL_REPLACEMENT} column`,
        nul_replaced: true,
      },
    ]);
    // Loading the same page again stores nothing twice.
    expect(
      await loadBatch(database.warehouse.pool, campaignLogTable, { streamId: stream.stream_id, runId, events }),
    ).toEqual({ inserted: 0, duplicates: 5, rejects: 0 });
  });
});

describe("rejects", () => {
  it("are stored once each however often their page is re-read; identical ones within a page stay apart", async () => {
    const stream = await ensureStream(database.warehouse.db, {
      source: "altcraft",
      account: "a",
      streamKey: "rejects",
    });
    const rejects = [
      { reason: "time: missing", payload: { message: "no time" } },
      { reason: "time: missing", payload: { message: "no time" } },
      { reason: "level: not a string", payload: { level: 5, note: "with \u0000 inside" } },
    ];
    for (let run = 0; run < 3; run++) {
      const runId = await startRun(database.warehouse.db, "test");
      await loadBatch(database.warehouse.pool, campaignLogTable, {
        streamId: stream.stream_id,
        runId,
        events: [],
        rejects,
      });
    }
    const stored = await database.warehouse.db
      .selectFrom("sync.rejects")
      .select(["reason", "payload", "occurrence", "nul_replaced"])
      .where("stream_id", "=", stream.stream_id)
      .orderBy("reject_id")
      .execute();
    expect(stored).toEqual([
      { reason: "time: missing", payload: { message: "no time" }, occurrence: 0, nul_replaced: false },
      { reason: "time: missing", payload: { message: "no time" }, occurrence: 1, nul_replaced: false },
      {
        reason: "level: not a string",
        payload: { level: 5, note: `with ${NUL_REPLACEMENT} inside` },
        occurrence: 0,
        nul_replaced: true,
      },
    ]);
  });
});
