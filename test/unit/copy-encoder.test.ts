// COPY text encoded straight into UTF-8 chunks: the chunks together are exactly the rows' lines, each chunk holds
// whole lines, and a value larger than a chunk (or a line across a chunk's end) is carried whole; a short value is
// copied byte by byte only when it is ASCII.
import { describe, expect, it } from "vitest";
import { type CampaignLogRowInput, campaignLogTable } from "../../src/warehouse/copy.columns.js";
import { encodeCopyChunks } from "../../src/warehouse/copy.encoder.js";

function row(i: number, message: string | null): CampaignLogRowInput {
  return {
    event_key: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    account: "acc",
    campaign_id: 7,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)),
    level: null,
    message,
    state: i % 2 === 0 ? "ok" : null,
    value: "1.5s",
    value_ms: 1500,
    occurrence: i,
    raw: `{"i":${i},"m":"Кампания\\t"}`,
  };
}

/** The expected line of `row(i, message)`, written by hand. */
function line(i: number, message: string | null, escaped: string | null = message): string {
  const time = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  const state = i % 2 === 0 ? "ok" : "\\N";
  const fields = [row(i, message).event_key, "acc", "7", time, "\\N", escaped ?? "\\N", state, "1.5s", "1500"];
  return `${[...fields, String(i), `{"i":${i},"m":"Кампания\\\\t"}`, message?.includes("\u0000") ? "t" : "f"].join("\t")}\n`;
}

describe("encodeCopyChunks", () => {
  it("writes every row's line, across chunks of whole lines, with values larger than a chunk carried whole", () => {
    const huge = "ж".repeat(50_000) + "\ttab";
    const messages = Array.from({ length: 3000 }, (_, i) =>
      i === 1000
        ? huge
        : i === 2000
          ? "nul\u0000here"
          : i % 3 === 0
            ? null
            : // Values at the length copied byte by byte and past it, ASCII or not at their last character.
              (["x".repeat(64), "y".repeat(65), `${"z".repeat(63)}ж`, `${"w".repeat(64)}ж`][i % 5] ?? `message ${i} ✓`),
    );
    const chunks = [
      ...encodeCopyChunks(
        campaignLogTable,
        messages.map((m, i) => row(i, m)),
      ),
    ];
    const expected = messages
      .map((m, i) =>
        line(i, m, m === huge ? `${"ж".repeat(50_000)}\\ttab` : m === "nul\u0000here" ? "nul\uFFFDhere" : m),
      )
      .join("");
    expect(chunks.length).toBeGreaterThan(3);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(expected);
    for (const chunk of chunks) expect(chunk.at(-1), "each chunk ends a line").toBe(0x0a);
  });

  it("writes nothing for no rows", () => {
    expect([...encodeCopyChunks(campaignLogTable, [])]).toEqual([]);
  });
});
