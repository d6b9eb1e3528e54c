/**
 * Clients.get (API v5) for the token's own user: `POST /json/v5/clients` (and `/json/v501/clients`), token in
 * `Authorization: Bearer`, no `Client-Login`, body `{"method":"get","params":{"FieldNames":[…]}}`. The answer
 * names the token's user: `{"result":{"Clients":[{"ClientId":…,"Login":"…"}]}}`, only the fields asked for
 * among `ClientId` and `Login`. `clientsGetFailure` makes every call fail: a v5 error code, `http500`, or
 * `malformed` (a result whose item has no `Login`). Calls cost no points.
 */
import type { SimulatedAccount } from "./yandex-direct.data.js";
import {
  type Answer,
  type Attempt,
  type Call,
  failed,
  handleV5,
  injectedError,
  unknownToken,
} from "./yandex-direct.agency.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimulatorState } from "./yandex-direct.handler.js";
import { detail, V5Error } from "./yandex-direct.v5-errors.js";

/** The counter name of Clients.get in `requestCounts()`; other methods count as `Clients.<method>`. */
export const CLIENTS_GET = "Clients.get";

export const CLIENTS_PATHS = ["/json/v5/clients", "/json/v501/clients"] as const;

/** A stable ClientId for a simulated user: its place among the accounts, above the agency clients' range. */
function clientIdOf(state: SimulatorState, account: SimulatedAccount): number {
  return 90_000_000 + [...state.accounts.keys()].indexOf(account.token);
}

/** The `FieldNames` asked for; error 8000 when there are none. */
function fieldNamesOf(body: unknown): string[] {
  const params = typeof body === "object" && body !== null ? (body as { params?: unknown }).params : undefined;
  const names = typeof params === "object" && params !== null ? (params as { FieldNames?: unknown }).FieldNames : [];
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string")) {
    throw new V5Error(8000, detail("params.FieldNames must list the fields wanted", "Не указан params.FieldNames"));
  }
  return names as string[];
}

/** The token's user, as Clients.get describes it. */
function describe(a: Attempt, account: SimulatedAccount): Answer {
  const fields = fieldNamesOf(a.body);
  const item: Record<string, unknown> = {};
  if (fields.includes("ClientId")) item.ClientId = clientIdOf(a.state, account);
  if (fields.includes("Login")) item.Login = account.login;
  return { kind: "json", status: 200, body: JSON.stringify({ result: { Clients: [item] } }), login: account.login };
}

async function answerClientsGet(call: Call): Promise<Answer> {
  const account = call.state.accounts.get(call.token);
  const a: Attempt = { ...call, o: call.state.behaviour, account };
  const fault = a.o.clientsGetFailure;
  if (fault === "http500") return { kind: "http500" };
  if (fault === "malformed") {
    return { kind: "json", status: 200, body: JSON.stringify({ result: { Clients: [{ ClientId: 1 }] } }) };
  }
  try {
    if (fault !== null) throw injectedError(fault);
    if (!account) throw unknownToken(call.token);
    return describe(a, account);
  } catch (err) {
    if (err instanceof V5Error) return failed(a, err);
    throw err;
  }
}

/** POST /json/v5/clients: answers one Clients call. */
export function handleClientsGet(state: SimulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return handleV5(state, req, res, {
    counter: (method) => (method === "get" ? CLIENTS_GET : `Clients.${method}`),
    answer: answerClientsGet,
  });
}
