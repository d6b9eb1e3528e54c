import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { drawFault, writeFault } from "../common/transport.faults.js";
import { readBody } from "../common/loopback.server.js";
import { buildPage, pageNumberOf, selectClients } from "./yandex-direct.agency-page.js";
import { parseAgencyClientsGet } from "./yandex-direct.agency-request.js";
import type { SimulatedAccount } from "./yandex-direct.data.js";
import { nextRequestId, type SimulatorState } from "./yandex-direct.handler.js";
import type { AgencyClientsFault, ResolvedBehaviourOptions } from "./yandex-direct.options.js";
import { dayQuota, unitsHeader, type DayQuota, type Units } from "./yandex-direct.points.js";
import { detail, v5ErrorBody, V5Error, v5HttpStatus, v5Locale, type V5Locale } from "./yandex-direct.v5-errors.js";

/**
 * AgencyClients.get (API v5): `POST /json/v5/agencyclients` (and `/json/v501/agencyclients`), token in
 * `Authorization: Bearer`, body `{"method":"get","params":{SelectionCriteria, FieldNames, Page}}`.
 *
 * The simulator's own price (the real one is not documented, api-agency-clients.md §7): a call that returns
 * a page costs `AGENCY_CLIENTS_CALL_POINTS` plus `AGENCY_CLIENTS_CLIENT_POINTS` per client returned, from the
 * token's day quota shared with GetEventsLog; a call that does not fit into what is left gets 152 and costs
 * nothing, as does any other error. Every answer to a known token carries `Units: spent/remaining/daily` and
 * `Units-Used-Login`; an unknown token has no points to report.
 */
export const AGENCY_CLIENTS_CALL_POINTS = 10;
export const AGENCY_CLIENTS_CLIENT_POINTS = 1;

/** The counter name of AgencyClients.get in `requestCounts()`; other methods count as `AgencyClients.<method>`. */
export const AGENCY_CLIENTS_GET = "AgencyClients.get";

export const AGENCY_CLIENTS_PATHS = ["/json/v5/agencyclients", "/json/v501/agencyclients"] as const;

/** A v5 call's answer: a JSON body with its status and points headers, or a gateway's HTTP 500. */
export type Answer =
  | { kind: "json"; status: number; body: string; units?: Units; login?: string }
  | { kind: "http500"; units?: Units; login?: string };

/** One v5 call as received. */
export interface Call {
  state: SimulatorState;
  token: string;
  body: unknown;
  locale: V5Locale;
  requestId: string;
  res: ServerResponse;
}

function bearer(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? "";
}

function methodOf(body: unknown): string {
  const method = typeof body === "object" && body !== null ? (body as Record<string, unknown>).method : undefined;
  return typeof method === "string" && method !== "" ? method : "(none)";
}

function nextInjected(call: Call): AgencyClientsFault | undefined {
  const queue = call.state.agencyFailQueue.get(call.token);
  if (!queue || queue.length === 0) return undefined;
  const fault = queue.shift();
  if (queue.length === 0) call.state.agencyFailQueue.delete(call.token);
  return fault;
}

export function injectedError(fault: AgencyClientsFault): V5Error {
  if (fault === "http500") throw new RangeError("http500 is not an API error");
  return new V5Error(fault, detail("Injected by the simulator", "Внесено симулятором"));
}

function unitsOf(call: Call, spent: number): Units {
  const daily = call.state.behaviour.pointsPerDay;
  const quota = dayQuota(call.state.quotas, call.token, call.state.data.clock());
  return { spent, remaining: daily - quota.points, daily };
}

/**
 * A call under way: the call, the token's account (none for an unknown token) and the runtime options read
 * when the call arrived (a change during `latencyMs` does not reach a call already waiting).
 */
export interface Attempt extends Call {
  o: ResolvedBehaviourOptions;
  account: SimulatedAccount | undefined;
}

/** The points headers of an answer: only a known token has points to report, and a failed call costs nothing. */
function unspent(a: Attempt): { units?: Units; login?: string } {
  return a.account ? { units: unitsOf(a, 0), login: a.account.login } : {};
}

/** The v5 error answer: HTTP 200, or the code's own status with `agencyClientsHttpErrors`. */
export function failed(a: Attempt, error: V5Error): Answer {
  return {
    kind: "json",
    status: a.o.agencyClientsHttpErrors ? v5HttpStatus(error.code) : 200,
    body: v5ErrorBody(error, a.locale, a.requestId),
    ...unspent(a),
  };
}

/** The answer of an injected fault: HTTP 500, or the v5 error. */
function faulted(a: Attempt, f: AgencyClientsFault): Answer {
  return f === "http500" ? { kind: "http500", ...unspent(a) } : failed(a, injectedError(f));
}

export function unknownToken(token: string): V5Error {
  return new V5Error(
    53,
    token
      ? detail("Unknown or expired OAuth token", "Неизвестный или просроченный OAuth-токен")
      : detail("The Authorization header with a Bearer token is required", "Не указан заголовок Authorization"),
  );
}

/** Counts the call against the token's day: only the agency may call, at most `dailyCallLimit` times a day. */
function countCall(a: Attempt, account: SimulatedAccount): DayQuota {
  if (account.role !== "agency") {
    throw new V5Error(
      54,
      detail(
        `${account.login} is not an agency representative`,
        `${account.login} не является представителем агентства`,
      ),
    );
  }
  const quota = dayQuota(a.state.quotas, a.token, a.state.data.clock());
  if (a.o.dailyCallLimit > 0 && quota.calls >= a.o.dailyCallLimit) {
    throw new V5Error(56, detail(`${a.o.dailyCallLimit} calls per day; the limit resets at 00:00 UTC`));
  }
  quota.calls++;
  return quota;
}

/** Serves the asked page and charges its points, or the fault of a page past `agencyClientsFailAfterPages`. */
function servePage(a: Attempt, account: SimulatedAccount): Answer {
  const { state, o } = a;
  const quota = countCall(a, account);
  const request = parseAgencyClientsGet(a.body);
  if (
    o.agencyClientsFailAfterPages > 0 &&
    pageNumberOf(request, o.agencyClientsPageCap) > o.agencyClientsFailAfterPages
  ) {
    return faulted(a, o.agencyClientsFailure);
  }
  const page = buildPage(selectClients(state.clients.listed(), request), request, {
    pageCap: o.agencyClientsPageCap,
    omitEmptyClients: o.agencyClientsOmitEmptyClients,
  });
  const cost = AGENCY_CLIENTS_CALL_POINTS + AGENCY_CLIENTS_CLIENT_POINTS * page.count;
  const left = o.pointsPerDay - quota.points;
  if (cost > left) {
    throw new V5Error(
      152,
      detail(
        `The call costs ${cost} points, ${Math.max(0, left)} left today`,
        `Вызов стоит ${cost} баллов, осталось ${Math.max(0, left)}`,
      ),
    );
  }
  quota.points += cost;
  return {
    kind: "json",
    status: 200,
    body: JSON.stringify({ result: page.result }),
    units: unitsOf(a, cost),
    login: account.login,
  };
}

/** Runs the call up to its answer; the limiter admission is released when the response closes. */
async function run(call: Call): Promise<Answer> {
  const { state } = call;
  const a: Attempt = { ...call, o: state.behaviour, account: state.accounts.get(call.token) };
  const injected = nextInjected(call);
  if (injected !== undefined) return faulted(a, injected);
  const account = a.account;
  if (!account) return failed(a, unknownToken(call.token));
  const admission = state.limiter.admit(call.token);
  if (admission !== "admitted") {
    const what = admission === "rate-limited" ? "requests per second" : "simultaneous requests";
    return failed(
      a,
      new V5Error(506, detail(`Too many ${what} for this user`, "Слишком много запросов этого пользователя")),
    );
  }
  call.res.once("close", () => state.limiter.release(call.token));
  if (a.o.latencyMs > 0) await sleep(a.o.latencyMs);
  try {
    return servePage(a, account);
  } catch (err) {
    if (err instanceof V5Error) return failed(a, err);
    throw err;
  }
}

/** A v5 service of the simulator: the counter name of a method, and how a call is answered. */
export interface V5Service {
  counter(method: string): string;
  answer(call: Call): Promise<Answer>;
}

/** POST /json/v5/agencyclients: answers one AgencyClients call (faults and limits as for GetEventsLog). */
export function handleAgencyClients(state: SimulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return handleV5(state, req, res, {
    counter: (method) => (method === "get" ? AGENCY_CLIENTS_GET : `AgencyClients.${method}`),
    answer: run,
  });
}

/** Answers one call of a v5 service: counted, transport faults drawn, `RequestId` and points headers sent. */
export async function handleV5(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  service: V5Service,
): Promise<void> {
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST", "content-type": "text/plain; charset=utf-8" });
    res.end("Use POST");
    return;
  }
  const raw = await readBody(req);
  let body: unknown;
  try {
    body = JSON.parse(raw) as unknown;
  } catch {
    body = undefined;
  }
  const token = bearer(req.headers.authorization);
  const method = methodOf(body);
  state.counters.count(token || "(none)", service.counter(method));
  const requestId = nextRequestId(state);
  const transport = drawFault(state.faultRandom, state.behaviour.faults);
  const locale = v5Locale(req.headers["accept-language"]);
  const answer = await service.answer({ state, token, body, locale, requestId, res });
  if (answer.kind === "http500") {
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    res.end("simulated HTTP 500: internal server error");
    return;
  }
  if (transport) {
    writeFault(res, transport, answer.body);
    return;
  }
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", RequestId: requestId };
  if (answer.units) headers.Units = unitsHeader(answer.units);
  if (answer.login) headers["Units-Used-Login"] = answer.login;
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}
