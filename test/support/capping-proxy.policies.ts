/**
 * Cap policies of the capping proxy (capping-proxy.ts): how many records of an upstream answer a server with
 * unusual but plausible habits passes on, per response.
 *
 * Terminology:
 * - **upstream answer**: the records the simulator returned for a request, in its order.
 * - **prefix**: the first n records of the upstream answer, in that order; the only thing a response may hold.
 * - **cap**: n, chosen per response by a policy.
 *
 * The model assumes a non-empty prefix while records remain: every ready-made policy passes on at least one
 * record of a non-empty upstream answer. A policy that wants an empty page must say so explicitly (a custom
 * function returning 0); the proxy does not stop it.
 */
import { createRandom, deriveSeed } from "../../src/simulators/common/seeded.random.js";
import { canonicalJson } from "../../src/sync/event.identity.js";

/** What a policy knows of the request it caps. */
export interface CapRequest {
  /** 0-based count of responses the proxy rewrote before this one (across `setPolicy` calls). */
  index: number;
  /** Yandex.Direct `Offset` as the client sent it; 0 when absent (and always 0 for Altcraft). */
  offset: number;
  /** `Limit` (Yandex.Direct) or `limit` (Altcraft) as the client sent it; undefined when absent. */
  limit: number | undefined;
  /** The client's parameters: Yandex.Direct `param`, Altcraft the JSON body (token included). */
  params: Record<string, unknown>;
}

/**
 * How many records of `records` (the upstream answer, never changed) to pass on. The proxy clamps the result
 * to [0, records.length] (so `Infinity` passes everything); a result that is not a number, or NaN, is an error
 * and the client gets HTTP 500 with the message.
 */
export type CapPolicy = (request: CapRequest, records: readonly unknown[]) => number;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`Expected \`${name}\` to be an integer ≥ 1, got \`${String(value)}\``);
  }
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`Expected \`${name}\` to be an integer ≥ 0, got \`${String(value)}\``);
  }
  return value;
}

/** At most `n` records per response. */
export function fixedCap(n: number): CapPolicy {
  positiveInteger("n", n);
  return () => n;
}

/**
 * The longest prefix whose JSON text (`JSON.stringify(prefix)`, UTF-8 bytes) is at most `bytes`, but at least
 * one record: a record larger than the cap alone still goes out, as a server cannot split it.
 */
export function byteCap(bytes: number): CapPolicy {
  positiveInteger("bytes", bytes);
  return (_request, records) => {
    // "[" + items joined by "," + "]": 2 bytes, plus each item and one comma per item after the first.
    let size = 2;
    let n = 0;
    for (const record of records) {
      const next = size + Buffer.byteLength(JSON.stringify(record), "utf8") + (n > 0 ? 1 : 0);
      if (next > bytes && n > 0) break;
      size = next;
      n++;
      if (size > bytes) break;
    }
    return n;
  };
}

/**
 * `first` records per response to requests without an offset, `withOffset` to requests with one (`Offset` > 0;
 * an explicit `Offset: 0` asks for the first page and gets `first`).
 */
export function offsetCap(first: number, withOffset: number): CapPolicy {
  positiveInteger("first", first);
  positiveInteger("withOffset", withOffset);
  return (request) => (request.offset > 0 ? withOffset : first);
}

/** Response `i` gets `caps[i]` while `i < caps.length`; later responses follow `then`. */
export function schedule(caps: readonly number[], then: CapPolicy): CapPolicy {
  const fixed = caps.map((cap, i) => positiveInteger(`caps[${i}]`, cap));
  return (request, records) => fixed[request.index] ?? then(request, records);
}

/** `cap` for `responses` responses from response index `from` on, `otherwise` before and after. */
export function dipFor(options: { from: number; responses: number; cap: number; otherwise: number }): CapPolicy {
  const from = nonNegativeInteger("from", options.from);
  const responses = nonNegativeInteger("responses", options.responses);
  const cap = positiveInteger("cap", options.cap);
  const otherwise = positiveInteger("otherwise", options.otherwise);
  return (request) => (request.index >= from && request.index < from + responses ? cap : otherwise);
}

/**
 * A cap drawn uniformly from [min, max] for each response. Deterministic: the cap of response `i` depends only
 * on `seed` and `i`, so the same seed gives the same sequence whatever else the test does.
 */
export function randomCap(seed: number, min: number, max: number): CapPolicy {
  positiveInteger("min", min);
  positiveInteger("max", max);
  if (max < min) throw new TypeError(`Expected \`max\` to be ≥ \`min\` (${min}), got \`${max}\``);
  if (!Number.isSafeInteger(seed)) throw new TypeError(`Expected \`seed\` to be an integer, got \`${seed}\``);
  return (request) => createRandom(deriveSeed(seed, "cap", request.index)).int(min, max);
}

/**
 * A cap drawn uniformly from [min, max] for each distinct request: it depends only on `seed` and the request's
 * parameters (the token left out), never on the order requests arrive in. Streams read concurrently then
 * meet the same caps in every run of a test, and a request asked again gets the same answer, as from a server
 * whose cap follows the query.
 */
export function requestCap(seed: number, min: number, max: number): CapPolicy {
  positiveInteger("min", min);
  positiveInteger("max", max);
  if (max < min) throw new TypeError(`Expected \`max\` to be ≥ \`min\` (${min}), got \`${max}\``);
  if (!Number.isSafeInteger(seed)) throw new TypeError(`Expected \`seed\` to be an integer, got \`${seed}\``);
  return (request) => {
    const { token: _token, ...params } = request.params;
    return createRandom(deriveSeed(seed, "cap", canonicalJson(params), request.offset)).int(min, max);
  };
}
