/**
 * The token owner's login, from Clients.get (Yandex.Direct API v5, JSON): asked without `Client-Login`, the
 * method describes the token's own user. It goes the way every v5 call goes (api-v5.client.ts): the account's
 * request gate, its retry policy, every quoted text redacted, a v5 error keeping its `request_id`. A lookup that
 * still fails is an OwnerLoginError that says `ownerLogin` in the config avoids it.
 */
import { z } from "zod";
import { MalformedResponseError, toError } from "../../errors.js";
import { redactedSnippet } from "../../http/secrets.redactor.js";
import type { RequestTally } from "../../http/request.retries.js";
import { callV5, type V5ResultReader } from "./api-v5.client.js";
import type { YandexDirectClientOptions } from "./yandex-direct.client.js";

/** The fields asked for: the login is what is wanted, the id names the user in an error. */
export const OWNER_CLIENT_FIELDS = ["ClientId", "Login"] as const;

/** The `result` of Clients.get: the token's user, the first (and only) item, with its login. */
const ownerClientsResult = z.object({
  Clients: z.array(z.unknown()).min(1),
});
const ownerItem = z.object({ Login: z.string().trim().min(1) });

/** The login of the token's user from a Clients.get `result`; MalformedResponseError without one. */
export const readOwnerLogin: V5ResultReader<string> = (result, { redact, cut }) => {
  const parsed = ownerClientsResult.safeParse(result);
  if (!parsed.success) throw new MalformedResponseError("Clients.get answered without the token owner", cut());
  const item = ownerItem.safeParse(parsed.data.Clients[0]);
  if (!item.success) {
    throw new MalformedResponseError(
      "Clients.get answered without the token owner's Login",
      redactedSnippet(JSON.stringify(parsed.data.Clients[0]) ?? "", redact),
    );
  }
  return item.data.Login;
};

/** The token owner's login could not be learned: what failed, and how to do without the lookup. */
export class OwnerLoginError extends Error {
  override readonly name = "OwnerLoginError";
  constructor(cause: Error) {
    super(
      `the token owner's login could not be learned from Clients.get: ${cause.message}; ` +
        "set ownerLogin in the account's config to skip this lookup",
      { cause },
    );
  }
}

/** One Clients.get for the token's own user (retried as the policy says): its login, or an OwnerLoginError. */
export async function learnOwnerLogin(
  options: YandexDirectClientOptions,
  tally: RequestTally,
  signal?: AbortSignal,
): Promise<string> {
  const call = {
    service: "clients",
    method: "Clients.get",
    body: { method: "get", params: { FieldNames: [...OWNER_CLIENT_FIELDS] } },
  };
  try {
    return (await callV5(options, call, readOwnerLogin, { tally, signal })).value;
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new OwnerLoginError(toError(err));
  }
}
