// A page of events parsed piece by piece gives exactly what JSON.parse of the whole body gives, or nothing (the body
// is then parsed whole, with its errors): never other elements, never a body that is not JSON.
import { describe, expect, it } from "vitest";
import { PIECE_BYTES, parseMemberArray } from "../../src/http/member-array.reader.js";

/** A small deterministic generator (mulberry32), so a failure names a seed that repeats it. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Texts made to trip a cut: `},` and `},{` inside strings, quotes, backslashes, brackets, Cyrillic, an emoji. */
const PIECES = ["},", "},{", '"},{"a":1', "\\", "]", "[", "{", "}", ",", "Пополнение счёта", "😀", " ", "\n", "x"];

function text(next: () => number): string {
  let out = "";
  const n = Math.floor(next() * 8);
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(next() * PIECES.length)];
  return out;
}

/** A record shaped like a GetEventsLog item, with a nested array of objects (`},{` outside any string but not a cut). */
function record(next: () => number, i: number): Record<string, unknown> {
  return {
    Timestamp: "2026-11-20T10:00:00",
    EventType: "MoneyIn",
    CampaignID: 12345678901 + i,
    TextDescription: text(next),
    Attributes: { Payed: Math.round(next() * 1e6) / 100, Currency: "RUB", Notes: [{ a: text(next) }, { b: i }] },
  };
}

function page(seed: number, count: number, indent?: number): Buffer {
  const next = random(seed);
  const data = Array.from({ length: count }, (_, i) => record(next, i));
  return Buffer.from(JSON.stringify({ data }, null, indent), "utf8");
}

const whole = (body: Buffer) => (JSON.parse(body.toString("utf8")) as { data: unknown[] }).data;

describe("a page parsed piece by piece", () => {
  it("gives the elements JSON.parse gives, over many pieces, with `},` inside strings and nested arrays", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const body = page(seed, 1500);
      expect(body.length).toBeGreaterThan(8 * PIECE_BYTES);
      expect(parseMemberArray(body, "data"), `seed ${seed}`).toEqual(whole(body));
    }
  });

  it("reads whitespace wherever JSON allows it: a pretty-printed page, spaces around the envelope", () => {
    const pretty = page(7, 800, 2);
    expect(parseMemberArray(pretty, "data")).toEqual(whole(pretty));
    const spaced = Buffer.from(`\n { "data" :\t[ ${page(8, 900).toString("utf8").slice(9, -2)} ] } \r\n`);
    expect(parseMemberArray(spaced, "data")).toEqual(whole(spaced));
  });

  it("gives an empty array for an empty page, and an element larger than a piece whole", () => {
    expect(parseMemberArray(Buffer.from('{"data":[]}'), "data")).toEqual([]);
    expect(parseMemberArray(Buffer.from(' { "data" : [ \n ] } '), "data")).toEqual([]);
    const big = Buffer.from(JSON.stringify({ data: [{ a: "x".repeat(2 * PIECE_BYTES) }, { b: 1 }, { c: "}," }] }));
    expect(parseMemberArray(big, "data")).toEqual(whole(big));
    // More cuts inside one string than are tried: the body is left to be parsed whole.
    const cuts = Buffer.from(JSON.stringify({ data: [{ a: "}, {".repeat(PIECE_BYTES) }, { b: 1 }] }));
    expect(parseMemberArray(cuts, "data")).toBeUndefined();
  });

  // Kills "any member taken for the one asked".
  it("gives nothing for a body of another shape, which is then parsed whole", () => {
    const items = page(9, 400).toString("utf8").slice(9, -2);
    for (const other of [
      '{"error_code":53,"error_str":"Authorization error","error_detail":""}',
      `{"data":[${items}],"error_code":53}`,
      `{"error_code":53,"data":[${items}]}`,
      `{"page":[${items}]}`,
      `{"data":[1],"data":[${items}]}`,
      '{"data":5}',
      `[${items}]`,
      `\ufeff{"data":[${items}]}`,
      `{"dat\\u0061":[${items}]}`,
    ])
      expect(parseMemberArray(Buffer.from(other), "data"), other.slice(0, 40)).toBeUndefined();
  });

  // Kills "a piece of no element accepted": the last cut is the trailing `},`, and the pieces before it parse.
  it("gives nothing for a body that is not JSON, wherever the fault lies", () => {
    const items = page(10, 400).toString("utf8").slice(9, -2);
    const bigElement = JSON.stringify({ a: "x".repeat(PIECE_BYTES + 10) });
    for (const broken of [
      `{"data":[${items},]}`,
      `{"data":[${bigElement},]}`,
      `{"data":[${items.slice(0, 50_000)}\u0001${items.slice(50_000)}]}`,
      `{"data":[${items},,${items}]}`,
      `{"data":[${items}]`,
      `{"data":[${items}}`,
    ]) {
      expect(() => JSON.parse(broken)).toThrow();
      expect(parseMemberArray(Buffer.from(broken), "data"), broken.slice(-20)).toBeUndefined();
    }
  });

  it("never gives other elements than JSON.parse: pages with a byte dropped, doubled or changed", () => {
    const next = random(11);
    const body = page(12, 300);
    let compared = 0;
    for (let round = 0; round < 240; round++) {
      const at = Math.floor(next() * body.length);
      const kind = round % 3;
      const changed = Buffer.concat([
        body.subarray(0, at),
        kind === 0 ? Buffer.alloc(0) : Buffer.from([kind === 1 ? (body[at] ?? 0x20) : 0x2c]),
        body.subarray(kind === 2 ? at + 1 : at),
      ]);
      let expected: unknown;
      try {
        expected = whole(changed);
      } catch {
        expected = undefined;
      }
      const got = parseMemberArray(changed, "data");
      if (got === undefined) continue;
      expect(got, `round ${round}`).toEqual(expected);
      compared++;
    }
    // Most single-byte changes fall inside a string and leave JSON valid: the comparison is made, not skipped.
    expect(compared).toBeGreaterThan(100);
  });
});
