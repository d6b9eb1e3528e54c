import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { drawFault, writeFault } from "../common/transport.faults.js";
import { readBody } from "../common/loopback.server.js";
import { deriveSeed, type Random } from "../common/seeded.random.js";
import type { RequestCounters } from "../common/request.counters.js";
import type { RequestLimiter } from "../common/request.limits.js";
import type { AgencyClients } from "./yandex-direct.agency-clients.js";
import type { EventRecord, EventStore, SimulatedAccount } from "./yandex-direct.data.js";
import {
  INJECTABLE_CODES,
  LOCALES,
  type AgencyClientsFault,
  type InjectableCode,
  type Locale,
  type ResolvedBehaviourOptions,
  type ResolvedDataOptions,
} from "./yandex-direct.options.js";
import { runQuery } from "./yandex-direct.query.js";
import { type RenderContext, renderItem } from "./yandex-direct.render.js";
import { parseGetEventsLog } from "./yandex-direct.request.js";
import { ApiError, errorBody } from "./yandex-direct.texts.js";
import { dayQuota, type DayQuota } from "./yandex-direct.points.js";
import { offsetMinutes } from "./yandex-direct.time.js";

/** Everything a request reads or changes; owned by the simulator, shared with the admin routes. */
export interface SimulatorState {
  readonly data: ResolvedDataOptions;
  behaviour: ResolvedBehaviourOptions;
  readonly store: EventStore;
  /** By token; grows when `addAgencyClient` creates a login. */
  readonly accounts: Map<string, SimulatedAccount>;
  /** The agency's clients and their status: who is listed and whose log the agency may read. */
  readonly clients: AgencyClients;
  readonly counters: RequestCounters;
  readonly limiter: RequestLimiter;
  /** Per token: codes still to inject, first one next (`failNext`). */
  readonly failQueue: Map<string, InjectableCode[]>;
  /** Per token: AgencyClients.get faults still to inject, first one next (`failAgencyClientsNext`). */
  readonly agencyFailQueue: Map<string, AgencyClientsFault[]>;
  /** Per token: calls made and points spent on the clock's current UTC day. */
  readonly quotas: Map<string, DayQuota>;
  readonly faultRandom: Random;
  readonly errorRandom: Random;
  readonly lateRandom: Random;
  requestSeq: number;
  /** The `RequestId` of the Live 4 answers sent, oldest first: the last SENT_REQUEST_IDS_KEPT. */
  readonly sentRequestIds: string[];
}

/** How many of the Live 4 answers' `RequestId` the simulator remembers. */
export const SENT_REQUEST_IDS_KEPT = 1000;

/** A new request id, a decimal number like the real API's: unique within a simulator, stable for a seed. */
export function nextRequestId(state: SimulatorState): string {
  state.requestSeq++;
  return `${deriveSeed(state.data.seed, "request", state.requestSeq)}${String(state.requestSeq).padStart(6, "0")}`;
}

/** The `RequestId` header of a Live 4 answer, remembered for `requestIds()`. */
function answerRequestId(state: SimulatorState): { RequestId: string } {
  const id = nextRequestId(state);
  state.sentRequestIds.push(id);
  if (state.sentRequestIds.length > SENT_REQUEST_IDS_KEPT) state.sentRequestIds.shift();
  return { RequestId: id };
}

type Outcome = { kind: "json"; body: string | Buffer } | { kind: "http502" };

/**
 * Items rendered into one string at a time. A string larger than about 128 KiB goes to V8's large-object space,
 * where making and encoding it costs several times what the same bytes cost in smaller strings
 * (src/http/member-array.reader.ts): a page of 2,000 items is about 550 KB, so it is written in pieces.
 */
const ITEMS_PER_PIECE = 128;
const DATA_OPEN = Buffer.from('{"data":[');
const DATA_CLOSE = Buffer.from("]}");
const COMMA = Buffer.from(",");

/** `{"data":[<items>]}`, the same bytes JSON.stringify writes, made piece by piece. */
function dataBody(records: readonly EventRecord[], ctx: RenderContext): Buffer {
  const parts: Buffer[] = [DATA_OPEN];
  for (let i = 0; i < records.length; i += ITEMS_PER_PIECE) {
    const items = records.slice(i, i + ITEMS_PER_PIECE).map((r) => renderItem(r, ctx));
    const array = Buffer.from(JSON.stringify(items));
    if (i > 0) parts.push(COMMA);
    parts.push(array.subarray(1, array.length - 1));
  }
  parts.push(DATA_CLOSE);
  return Buffer.concat(parts);
}

const BAD_GATEWAY =
  "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function injectedCode(state: SimulatorState, token: string): InjectableCode | undefined {
  const queued = state.failQueue.get(token);
  if (queued && queued.length > 0) {
    const code = queued.shift();
    if (queued.length === 0) state.failQueue.delete(token);
    return code;
  }
  const roll = state.errorRandom.next();
  let edge = 0;
  for (const code of INJECTABLE_CODES) {
    edge += state.behaviour.apiErrorRates[code] ?? 0;
    if (roll < edge) return code;
  }
  return undefined;
}

function spendQuota(state: SimulatorState, token: string, points: number): void {
  const o = state.behaviour;
  const quota = dayQuota(state.quotas, token, state.data.clock());
  if (points === 0) {
    if (o.dailyCallLimit > 0 && quota.calls >= o.dailyCallLimit) {
      throw new ApiError(56, `${o.dailyCallLimit} calls per day; the limit resets at 00:00 UTC`);
    }
    quota.calls++;
    return;
  }
  if (quota.points + points > o.pointsPerDay) {
    throw new ApiError(152, `${o.pointsPerDay - quota.points} of ${o.pointsPerDay} points left today`);
  }
  quota.points += points;
}

function getEventsLog(state: SimulatorState, account: SimulatedAccount, param: unknown, locale: Locale): Buffer {
  const o = state.behaviour;
  const request = parseGetEventsLog(param, account, o, (login) => state.clients.isReadable(login));
  const nowMs = state.data.clock();
  const nowSec = Math.floor(nowMs / 1000);
  if (o.lateEventRate > 0) {
    for (const login of request.logins) {
      if (!state.lateRandom.chance(o.lateEventRate)) continue;
      for (let i = 0; i < o.lateEventCount; i++) {
        const ts = nowSec - state.lateRandom.int(1, o.lateEventMaxAgeSec);
        state.store.add(login, state.store.draw(login, ts, state.lateRandom));
      }
    }
  }
  const capped = o.maxEventsPerResponse > 0 ? o.maxEventsPerResponse : undefined;
  const limit =
    request.limit === undefined ? capped : capped === undefined ? request.limit : Math.min(capped, request.limit);
  const records = runQuery(
    state.store,
    {
      logins: request.logins,
      fromMs: request.fromMs,
      fromInclusive: o.fromInclusive,
      // Without TimestampTo the log is read "up to the current time", the clock included.
      toMs: request.toMs ?? nowMs,
      toInclusive: request.toMs === undefined ? true : o.toInclusive,
      filter: request.filter,
      lastEventOnly: request.lastEventOnly,
      order: o.order,
      ...(limit === undefined ? {} : { limit }),
      offset: request.offset,
    },
    nowSec,
    state.data.seed,
  );
  const ctx: RenderContext = {
    currency: request.currency,
    locale,
    withTextDescription: request.withTextDescription,
    zoneless: o.zonelessTimestamps,
    offsetMin: offsetMinutes(o.zoneOffset),
  };
  return dataBody(records, ctx);
}

/**
 * Runs one API call up to its answer, `arrived` being when its request came in (performance.now()). Admission to the
 * limiter is released when the response closes.
 */
async function answer(state: SimulatorState, raw: string, res: ServerResponse, arrived: number): Promise<Outcome> {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    body = undefined;
  }
  const envelope = isRecord(body) ? body : {};
  const locale = LOCALES.includes(envelope.locale as Locale) ? (envelope.locale as Locale) : "en";
  const token = typeof envelope.token === "string" ? envelope.token : "";
  const method = typeof envelope.method === "string" ? envelope.method : "";
  state.counters.count(token || "(none)", method || "(none)");
  const fail = (error: ApiError): Outcome => ({ kind: "json", body: errorBody(error, locale) });
  if (!isRecord(body)) return fail(new ApiError(71, "The request body is not a JSON object"));

  const injected = injectedCode(state, token);
  if (injected === 502) return { kind: "http502" };
  if (injected !== undefined) return fail(new ApiError(injected, "Injected by the simulator"));

  const account = state.accounts.get(token);
  if (!account) return fail(new ApiError(53, token ? "Unknown or expired token" : "The token field is required"));
  // Wall time, not the simulator clock: a test that freezes the clock must not freeze the rate window.
  const admission = state.limiter.admit(token);
  if (admission !== "admitted") {
    const what = admission === "rate-limited" ? "requests per second" : "simultaneous requests";
    return fail(new ApiError(506, `Too many ${what} for this user`));
  }
  res.once("close", () => state.limiter.release(token));
  const outcome = served(state, { account, token, method, param: envelope.param, locale }, fail);
  // The answer leaves `latencyMs` after the request arrived: building it is part of that time, not added to it.
  const left = state.behaviour.latencyMs - (performance.now() - arrived);
  if (left > 0) await sleep(left);
  return outcome;
}

/** One admitted call answered: the events asked for, or the API error that stops it. */
function served(
  state: SimulatorState,
  call: { account: SimulatedAccount; token: string; method: string; param: unknown; locale: Locale },
  fail: (error: ApiError) => Outcome,
): Outcome {
  try {
    spendQuota(state, call.token, 0);
    if (call.method !== "GetEventsLog") {
      throw new ApiError(state.behaviour.unknownMethodCode, `Method ${JSON.stringify(call.method)} is not supported`);
    }
    if (state.behaviour.pointsPerCall > 0) spendQuota(state, call.token, state.behaviour.pointsPerCall);
    return { kind: "json", body: getEventsLog(state, call.account, call.param, call.locale) };
  } catch (err) {
    if (err instanceof ApiError) return fail(err);
    throw err;
  }
}

/**
 * POST /live/v4/json/: the Live 4 JSON endpoint. HTTP 200 for API errors; transport faults as configured. Every
 * answer carries a `RequestId` header, as the real API's do (a hanging request sends no answer).
 */
export async function handleApi(state: SimulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST") {
    res.writeHead(405, { ...answerRequestId(state), allow: "POST", "content-type": "text/plain; charset=utf-8" });
    res.end("Use POST");
    return;
  }
  const arrived = performance.now();
  const raw = await readBody(req);
  const fault = drawFault(state.faultRandom, state.behaviour.faults);
  const outcome = await answer(state, raw, res, arrived);
  if (outcome.kind === "http502") {
    res.writeHead(502, { ...answerRequestId(state), "content-type": "text/html; charset=utf-8" });
    res.end(BAD_GATEWAY);
    return;
  }
  if (fault) {
    writeFault(res, fault, outcome.body, fault.kind === "hang" ? {} : answerRequestId(state));
    return;
  }
  res.writeHead(200, { ...answerRequestId(state), "content-type": "application/json; charset=utf-8" });
  res.end(outcome.body);
}
