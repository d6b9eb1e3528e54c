// Event identity: canonical JSON independent of key order and number spelling; occurrences numbered the same in any
// order.
import { describe, expect, it } from "vitest";
import { canonicalJson, eventKey, streamIdentity } from "../../src/sync/event.identity.js";
import { numberOccurrences } from "../support/occurrences.js";

describe("canonicalJson", () => {
  it("does not depend on key order, at any depth", () => {
    const a = { b: 1, a: { y: [1, { q: 2, p: 1 }], x: "s" } };
    const b = { a: { x: "s", y: [1, { p: 1, q: 2 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"s","y":[1,{"p":1,"q":2}]},"b":1}');
  });

  it("does not depend on how a number was written", () => {
    const forms = ['{"Payed": 1.50}', '{"Payed": 1.5}', '{"Payed": 15e-1}', '{"Payed": 1.500000}'];
    const canon = new Set(forms.map((text) => canonicalJson(JSON.parse(text))));
    expect([...canon]).toEqual(['{"Payed":1.5}']);
    expect(canonicalJson(-0)).toBe("0");
  });

  it("keeps array order, strings exactly, and skips undefined properties", () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson({ s: 'Кампания "x"\n' })).toBe('{"s":"Кампания \\"x\\"\\n"}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
    expect(canonicalJson({ a: null })).toBe('{"a":null}');
  });

  it("refuses what JSON cannot hold", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/not a JSON number/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function is not a JSON value/);
  });
});

describe("numberOccurrences", () => {
  it("numbers identical records 0..n-1 and distinct ones 0", () => {
    const money = { EventType: "MoneyIn", Timestamp: "2026-01-01T00:00:00Z", Attributes: { Payed: 100 } };
    const other = { ...money, Attributes: { Payed: 200 } };
    const numbered = numberOccurrences([money, other, { ...money }, money]);
    expect(numbered.map((n) => n.occurrence)).toEqual([0, 0, 1, 2]);
  });

  it("gives the same multiset of keys whatever the order of one response", () => {
    const x = { t: 1, v: "a" };
    const y = { t: 1, v: "b" };
    const keys = (records: object[]) =>
      numberOccurrences(records)
        .map((n) => eventKey("s", n.canonical, n.occurrence))
        .sort();
    expect(keys([x, y, x, x, y])).toEqual(keys([y, x, y, x, x]));
  });

  it("can number on a chosen identity", () => {
    const numbered = numberOccurrences(
      [
        { id: 1, noise: 1 },
        { id: 1, noise: 2 },
      ],
      (r) => canonicalJson(r, new Set(["noise"])),
    );
    expect(numbered.map((n) => n.occurrence)).toEqual([0, 1]);
  });
});

describe("eventKey", () => {
  const canonical = canonicalJson({ a: 1 });

  it("is a stable UUID-shaped hash", () => {
    const key = eventKey("yandex_direct/acc/login", canonical, 0);
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(eventKey("yandex_direct/acc/login", canonical, 0)).toBe(key);
  });

  it("differs by stream, record and occurrence", () => {
    const base = eventKey(streamIdentity("altcraft", "main", "1"), canonical, 0);
    expect(eventKey(streamIdentity("altcraft", "main", "2"), canonical, 0)).not.toBe(base);
    expect(eventKey(streamIdentity("altcraft", "main", "1"), canonicalJson({ a: 2 }), 0)).not.toBe(base);
    expect(eventKey(streamIdentity("altcraft", "main", "1"), canonical, 1)).not.toBe(base);
  });

  it("cannot be confused by separators inside the parts", () => {
    expect(eventKey("a/b", "c", 0)).not.toBe(eventKey("a", "b/c", 0));
  });
});
