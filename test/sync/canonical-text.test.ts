// The canonical text of a record, written in pieces with the sorted keys of each shape kept, is the same as the plain
// definition (keys sorted at every depth, strings as JSON.stringify writes them), whatever shapes come in what order.
import { describe, expect, it } from "vitest";
import { pageRows } from "../../src/sync/altcraft.batches.js";
import {
  type CanonicalText,
  canonicalJson,
  eventKey,
  eventKeyOfText,
  streamIdentity,
  writeCanonical,
} from "../../src/sync/event.identity.js";

/** The definition, written the plain way: sort, stringify, concatenate. */
function reference(value: unknown, omit?: ReadonlySet<string>): string {
  if (typeof value === "number") return Object.is(value, -0) ? "0" : JSON.stringify(value);
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => reference(v)).join(",")}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined && !omit?.has(key))
    .map((key) => `${JSON.stringify(key)}:${reference(record[key])}`);
  return `{${members.join(",")}}`;
}

const STRINGS = [
  "",
  "plain",
  'q"uote',
  "back\\slash",
  "line\nbreak",
  "nul\u0000",
  "Кампания",
  "😀",
  "\ud800",
  "\u2028",
];

/** A deterministic record of one of many shapes: keys in varying order, some omitted-to-be, nested values. */
function record(i: number): Record<string, unknown> {
  const keys = ["EventType", "Timestamp", "EventName", "TextDescription", "CampaignID", "Attributes", "Zeta", "alpha"];
  const out: Record<string, unknown> = {};
  for (let k = 0; k < keys.length; k++) {
    const key = keys[(k * (i % 7) + i) % keys.length] as string;
    if ((i >> k) % 3 === 0 || key in out) continue;
    out[key] =
      key === "Attributes"
        ? { [`k${i % 40}`]: i % 2 === 0 ? -0 : 1.5, b: [STRINGS[i % STRINGS.length], { y: null, x: true }] }
        : key === "CampaignID"
          ? i
          : i % 11 === 0
            ? undefined
            : STRINGS[(i + k) % STRINGS.length];
  }
  return out;
}

const DESCRIPTIONS: ReadonlySet<string> = new Set(["EventName", "TextDescription"]);

describe("writeCanonical and canonicalJson", () => {
  it("match the plain definition over hundreds of shapes, descriptions first, last, alone or absent", () => {
    const text: CanonicalText = { identity: "", json: "" };
    for (let i = 0; i < 600; i++) {
      const r = record(i);
      writeCanonical(r, DESCRIPTIONS, text);
      expect(text.json, `json of record ${i}`).toBe(reference(r));
      expect(text.identity, `identity of record ${i}`).toBe(reference(r, DESCRIPTIONS));
      expect(canonicalJson(r)).toBe(reference(r));
      expect(canonicalJson(r, DESCRIPTIONS)).toBe(reference(r, DESCRIPTIONS));
    }
  });

  it("leave out omitted members wherever they sort, and write an object of omitted members alone as {}", () => {
    const text: CanonicalText = { identity: "", json: "" };
    writeCanonical({ TextDescription: "t", EventName: "n" }, DESCRIPTIONS, text);
    expect(text).toEqual({ json: '{"EventName":"n","TextDescription":"t"}', identity: "{}" });
    writeCanonical({ A: 1, EventName: "n", Z: 2 }, DESCRIPTIONS, text);
    expect(text).toEqual({ json: '{"A":1,"EventName":"n","Z":2}', identity: '{"A":1,"Z":2}' });
    writeCanonical({ Z: 2, EventName: "n" }, DESCRIPTIONS, text);
    expect(text).toEqual({ json: '{"EventName":"n","Z":2}', identity: '{"Z":2}' });
  });

  it("write a large record after small ones, and small ones after it, the same", () => {
    const big = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key${i}`, i]));
    const text: CanonicalText = { identity: "", json: "" };
    writeCanonical({ b: 1, a: 2 }, DESCRIPTIONS, text);
    writeCanonical(big, DESCRIPTIONS, text);
    expect(text.json).toBe(reference(big));
    writeCanonical({ b: 1, a: 2 }, DESCRIPTIONS, text);
    expect(text.json).toBe('{"a":2,"b":1}');
  });
});

describe("the identity text written with its key prefix", () => {
  it("is what the event key hashes: the same keys as eventKey, at occurrence 0 and after", () => {
    const prefix = streamIdentity("yandex_direct", "agency", "client-1");
    const text: CanonicalText = { identity: "", json: "" };
    for (let i = 0; i < 200; i++) {
      const r = record(i);
      writeCanonical(r, DESCRIPTIONS, text, prefix);
      const bare = reference(r, DESCRIPTIONS);
      expect(text.identity).toBe(`${prefix}\u0000${bare}\u00000`);
      expect(text.json).toBe(reference(r));
      for (const occurrence of [0, 1, 12])
        expect(eventKeyOfText(text.identity, occurrence)).toBe(eventKey(prefix, bare, occurrence));
    }
    writeCanonical([1, "x"], DESCRIPTIONS, text, prefix);
    expect(eventKeyOfText(text.identity, 2)).toBe(eventKey(prefix, '[1,"x"]', 2));
  });

  it("keys Altcraft rows as the plain definition does, identical rows numbered apart", () => {
    const rows = [
      { time: "2026-01-01T00:00:00Z", message: "a", level: "info" },
      { level: "info", message: "a", time: "2026-01-01T00:00:00Z" },
      { time: "2026-01-01T00:00:00Z", message: "b\u0000", state: "start" },
      { time: "2026-01-01T00:00:00Z", message: "a", level: "info" },
    ];
    const prefix = streamIdentity("altcraft", "main", "101");
    const out = pageRows(
      { rows, times: rows.map(() => Date.parse("2026-01-01T00:00:00Z")) },
      {
        keyPrefix: prefix,
        account: "main",
        campaignId: 101,
        zone: "UTC",
        startMs: 0,
        cursorBefore: 0,
        redact: (t) => t,
      },
    );
    const occurrences = [0, 1, 0, 2];
    expect(out.events.map((e) => e.event_key)).toEqual(
      rows.map((r, i) => eventKey(prefix, reference(r), occurrences[i] as number)),
    );
    expect(out.events.map((e) => e.raw)).toEqual(rows.map((r) => reference(r)));
  });
});
