// The canonical text of a record, written as UTF-8 bytes with the sorted keys of each shape kept, is the same as the
// plain definition (keys sorted at every depth, strings as JSON.stringify writes them), whatever shapes come in what
// order; the event key hashed from those bytes is eventKey of that definition.
import { describe, expect, it } from "vitest";
import { pageRows } from "../../src/sync/altcraft.batches.js";
import {
  canonicalJson,
  eventKey,
  type EventKeyText,
  keyRecord,
  streamIdentity,
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

const PREFIX = streamIdentity("yandex_direct", "agency", "client-1");

describe("keyRecord and canonicalJson", () => {
  it("match the plain definition over hundreds of shapes, descriptions first, last, alone or absent", () => {
    const keyed: EventKeyText = { json: "", key: "" };
    for (let i = 0; i < 600; i++) {
      const r = record(i);
      keyRecord(r, DESCRIPTIONS, PREFIX, i % 3, keyed);
      expect(keyed.json, `json of record ${i}`).toBe(reference(r));
      expect(keyed.key, `key of record ${i}`).toBe(eventKey(PREFIX, reference(r, DESCRIPTIONS), i % 3));
      expect(canonicalJson(r)).toBe(reference(r));
      expect(canonicalJson(r, DESCRIPTIONS)).toBe(reference(r, DESCRIPTIONS));
    }
  });

  it("leave out omitted members wherever they sort, and key an object of omitted members alone as {}", () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ TextDescription: "t", EventName: "n" }, '{"EventName":"n","TextDescription":"t"}', "{}"],
      [{ A: 1, EventName: "n", Z: 2 }, '{"A":1,"EventName":"n","Z":2}', '{"A":1,"Z":2}'],
      [{ Z: 2, EventName: "n" }, '{"EventName":"n","Z":2}', '{"Z":2}'],
      [{ A: 1, EventName: "n" }, '{"A":1,"EventName":"n"}', '{"A":1}'],
      [
        { A: 1, EventName: "n", B: 2, TextDescription: "t", C: 3 },
        '{"A":1,"B":2,"C":3,"EventName":"n","TextDescription":"t"}',
        '{"A":1,"B":2,"C":3}',
      ],
      [{ EventName: "n", TextDescription: "t", Z: [] }, '{"EventName":"n","TextDescription":"t","Z":[]}', '{"Z":[]}'],
    ];
    const keyed: EventKeyText = { json: "", key: "" };
    for (const [r, json, identity] of cases) {
      keyRecord(r, DESCRIPTIONS, PREFIX, 0, keyed);
      expect(keyed.json).toBe(json);
      expect(canonicalJson(r, DESCRIPTIONS)).toBe(identity);
      expect(keyed.key, identity).toBe(eventKey(PREFIX, identity, 0));
    }
  });

  it("write a large record after small ones, and small ones after it, the same", () => {
    const big = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key${i}`, `Кампания ${i}`]));
    const keyed: EventKeyText = { json: "", key: "" };
    keyRecord({ b: 1, a: 2 }, DESCRIPTIONS, PREFIX, 0, keyed);
    keyRecord({ ...big, EventName: "n" }, DESCRIPTIONS, PREFIX, 0, keyed);
    expect(keyed.json).toBe(reference({ ...big, EventName: "n" }));
    expect(keyed.key).toBe(eventKey(PREFIX, reference(big), 0));
    keyRecord({ b: 1, a: 2 }, DESCRIPTIONS, PREFIX, 0, keyed);
    expect(keyed.json).toBe('{"a":2,"b":1}');
  });

  it("write numbers as JavaScript does and strings as JSON.stringify does, byte for byte", () => {
    const numbers = [0, -0, 7, -7, 10, 99, 100, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, 1.5e-7, -2.5, 0.1 + 0.2];
    for (const n of numbers) expect(canonicalJson(n)).toBe(Object.is(n, -0) ? "0" : JSON.stringify(n));
    const all = Array.from({ length: 0x10000 }, (_, c) => String.fromCharCode(c)).join("");
    const strings = [
      ...STRINGS,
      all,
      "x\\",
      "😀x",
      "😀\ud83d",
      "\ud83d",
      "a\udc00b",
      "\udbff\udfff",
      "\u007f\u0080\u07ff\u0800\uffff",
    ];
    for (const text of strings) {
      expect(canonicalJson(text)).toBe(JSON.stringify(text));
      expect(canonicalJson({ [text]: text })).toBe(`{${JSON.stringify(text)}:${JSON.stringify(text)}}`);
    }
    expect(() => canonicalJson(Number.NaN)).toThrow(/not a JSON number/);
  });
});

describe("the event key written with its key prefix", () => {
  it("is eventKey of the identity text, at occurrence 0 and after, for records, arrays and scalars", () => {
    const keyed: EventKeyText = { json: "", key: "" };
    for (let i = 0; i < 200; i++) {
      const r = record(i);
      for (const occurrence of [0, 1, 12]) {
        keyRecord(r, DESCRIPTIONS, PREFIX, occurrence, keyed);
        expect(keyed.key).toBe(eventKey(PREFIX, reference(r, DESCRIPTIONS), occurrence));
      }
    }
    keyRecord([1, "x"], DESCRIPTIONS, PREFIX, 2, keyed);
    expect(keyed.key).toBe(eventKey(PREFIX, '[1,"x"]', 2));
    keyRecord("s", undefined, "yandex_direct/агентство/клиент", 0, keyed);
    expect(keyed).toEqual({ json: '"s"', key: eventKey("yandex_direct/агентство/клиент", '"s"', 0) });
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
