// The AgencyClients.get client against a scripted HTTP server on 127.0.0.1: it follows LimitedBy over every page
// (whatever page size the server caps to), refuses pages it cannot follow, deduplicates clients, reads v5 error
// bodies under any HTTP status, retries only what the retry policy calls transient, says plainly when the token is
// not an agency's, never lets the token into an error, and sends the headers the method wants.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiError, HttpError, MalformedResponseError } from "../../src/errors.js";
import { createHttpAgent } from "../../src/http/http.post.js";
import { createRequestGate, type RequestGate } from "../../src/http/request.gate.js";
import { classifyFailure } from "../../src/http/retry.policy.js";
import type { RequestTally } from "../../src/http/request.retries.js";
import {
  AgencyAccessError,
  AgencyClientsPagingError,
  type AgencyClientsOptions,
  listAgencyClients,
} from "../../src/sources/yandex-direct/agency-clients.client.js";
import type { Locale } from "../../src/vocabulary.js";

const TOKEN = "y0_AgAAAAB3secretTokenValue0123456789";

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    method: string;
    params: { SelectionCriteria: unknown; FieldNames: string[]; Page: { Limit: number; Offset: number } };
  };
}
interface Reply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}
type Script = (request: Seen, index: number) => Reply;

let server: Server;
let endpoint: string;
let script: Script = () => ({ status: 500, body: "no script" });
let seen: Seen[] = [];
const agent = createHttpAgent();

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      if (req.url !== "/json/v5/agencyclients") {
        res.writeHead(404).end("not here");
        return;
      }
      const request: Seen = { method: req.method ?? "", path: req.url, headers: req.headers, body: JSON.parse(text) };
      seen.push(request);
      const reply = script(request, seen.length - 1);
      const body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Configured as the Live 4 URL of a simulator would be: the client finds the v5 path on the same origin.
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live/v4/json/`;
});
afterEach(() => {
  script = () => ({ status: 500, body: "no script" });
  seen = [];
});
afterAll(async () => {
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
});

const options = (overrides: Partial<AgencyClientsOptions> = {}): AgencyClientsOptions => ({
  endpoint,
  token: TOKEN,
  locale: "ru",
  timeoutMs: 2000,
  gate: createRequestGate({ concurrency: 1, requestsPerSecond: 0 }),
  retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
  agent,
  ...overrides,
});
const newTally = (): RequestTally => ({ requests: 0, retries: 0 });

const item = (id: number, extra: Record<string, unknown> = {}) => ({
  ClientId: id,
  Login: `client-${id}`,
  ClientInfo: `Client ${id}`,
  Archived: "NO",
  Currency: "RUB",
  Type: "SUBCLIENT",
  ...extra,
});
const ok = (clients: unknown[] | undefined, limitedBy?: number, headers?: Record<string, string>): Reply => ({
  body: {
    result: { ...(clients ? { Clients: clients } : {}), ...(limitedBy !== undefined ? { LimitedBy: limitedBy } : {}) },
  },
  ...(headers ? { headers } : {}),
});
const v5Error = (code: number, text: string, detail = "", status = 200): Reply => ({
  status,
  body: { error: { request_id: "8107425735428176423", error_code: code, error_string: text, error_detail: detail } },
});

/** An agency of `count` clients that serves at most `cap` per response, as the API pages (LimitedBy = last ordinal). */
const agency =
  (count: number, cap = Number.POSITIVE_INFINITY): Script =>
  ({ body }) => {
    const { Limit, Offset } = body.params.Page;
    const ids = Array.from({ length: count }, (_, i) => i + 1).slice(Offset, Offset + Math.min(Limit, cap));
    const last = Offset + ids.length;
    return ok(
      ids.map((id) => item(id)),
      last < count ? last : undefined,
    );
  };

const ids = (listing: { clients: Array<{ clientId: number }> }) => listing.clients.map((c) => c.clientId);
const offsets = () => seen.map((s) => s.body.params.Page.Offset);

describe("listAgencyClients: paging", () => {
  it("follows LimitedBy over every page with the same selection and returns each client", async () => {
    script = agency(5);
    const tally = newTally();
    const listing = await listAgencyClients(options(), { includeArchived: false, pageLimit: 2 }, tally);
    expect(ids(listing)).toEqual([1, 2, 3, 4, 5]);
    expect(listing.pages).toBe(3);
    expect(offsets()).toEqual([0, 2, 4]);
    for (const { body } of seen) {
      expect(body.method).toBe("get");
      expect(body.params.SelectionCriteria).toEqual({ Archived: "NO" });
      expect(body.params.FieldNames).toEqual(["ClientId", "Login", "ClientInfo", "Archived", "Currency", "Type"]);
      expect(body.params.Page.Limit).toBe(2);
    }
    expect(tally).toEqual({ requests: 3, retries: 0 });
  });

  it("asks for archived clients too when told, with an empty selection", async () => {
    script = agency(1);
    await listAgencyClients(options(), { includeArchived: true }, newTally());
    expect(seen.map((s) => s.body.params.SelectionCriteria)).toEqual([{}]);
    expect(seen[0]?.body.params.Page).toEqual({ Limit: 10_000, Offset: 0 });
  });

  it("reads on when the server caps its pages below the Limit asked for", async () => {
    script = agency(7, 3);
    const listing = await listAgencyClients(options(), { includeArchived: false }, newTally());
    expect(ids(listing)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(offsets()).toEqual([0, 3, 6]);
    expect(seen.every((s) => s.body.params.Page.Limit === 10_000)).toBe(true);
  });

  it("reads a result without a Clients key as no clients", async () => {
    script = () => ok(undefined);
    const listing = await listAgencyClients(options(), { includeArchived: false }, newTally());
    expect(listing).toMatchObject({ clients: [], pages: 1 });
  });

  it("maps each client, keeping the item as sent", async () => {
    const sent = {
      ClientId: "42",
      Login: "Mixed.Case-Login",
      ClientInfo: null,
      Archived: "YES",
      Currency: "YND_FIXED",
      Type: "SOMETHING_NEW",
      Unknown: { x: 1 },
    };
    script = () => ok([sent]);
    const listing = await listAgencyClients(options(), { includeArchived: true }, newTally());
    expect(listing.clients).toEqual([
      {
        clientId: 42,
        login: "Mixed.Case-Login",
        loginKey: "mixed.case-login",
        name: null,
        currency: "YND_FIXED",
        archived: true,
        raw: sent,
      },
    ]);
  });

  it("keeps each ClientId once when pages shift under the listing", async () => {
    script = (_, i) => (i === 0 ? ok([item(1), item(2)], 2) : ok([item(2, { Login: "client-2-renamed" }), item(3)]));
    const listing = await listAgencyClients(options(), { includeArchived: false, pageLimit: 2 }, newTally());
    expect(ids(listing)).toEqual([1, 2, 3]);
    expect(listing.clients[1]?.login).toBe("client-2");
  });

  it("goes on after the last client held when LimitedBy would skip some", async () => {
    script = (_, i) => (i === 0 ? ok([item(1), item(2)], 5) : ok([item(3)]));
    const listing = await listAgencyClients(options(), { includeArchived: false, pageLimit: 5 }, newTally());
    expect(offsets()).toEqual([0, 2]);
    expect(ids(listing)).toEqual([1, 2, 3]);
  });

  it.each([
    [
      "a LimitedBy equal to the Offset",
      [ok([item(1), item(2)], 2), ok([item(3)], 2)],
      /does not advance: LimitedBy 2 at Offset 2/,
    ],
    [
      "a LimitedBy behind the Offset",
      [ok([item(1), item(2)], 2), ok([item(3)], 1)],
      /does not advance: LimitedBy 1 at Offset 2/,
    ],
    ["a LimitedBy of 0 on the first page", [ok([item(1)], 0)], /does not advance: LimitedBy 0 at Offset 0/],
    ["an empty page with LimitedBy", [ok([item(1)], 1), ok([], 4)], /no clients at Offset 1 but names LimitedBy 4/],
    ["a page without Clients but with LimitedBy", [ok(undefined, 3)], /no clients at Offset 0 but names LimitedBy 3/],
  ])("fails the whole listing on %s", async (_, replies, message) => {
    script = (_, i) => replies[i] ?? ok([]);
    const tally = newTally();
    const attempt = listAgencyClients(options(), { includeArchived: false, pageLimit: 2 }, tally);
    await expect(attempt).rejects.toBeInstanceOf(AgencyClientsPagingError);
    await expect(attempt).rejects.toThrow(message);
    // Not retried: the server answered, it is the paging that cannot be followed.
    expect(tally).toEqual({ requests: replies.length, retries: 0 });
  });

  it.each([0, -1, 1.5, 10_001, Number.NaN])("refuses a pageLimit of %s before any request", async (pageLimit) => {
    script = agency(1);
    await expect(listAgencyClients(options(), { includeArchived: false, pageLimit }, newTally())).rejects.toThrow(
      `Expected \`pageLimit\` to be an integer from 1 to 10000, got \`${pageLimit}\``,
    );
    expect(seen).toHaveLength(0);
  });
});

describe("listAgencyClients: errors", () => {
  it.each([200, 400, 500])(
    "reads a v5 error body sent with HTTP %i as the API's error, not retried",
    async (status) => {
      script = () => v5Error(8000, "Invalid request", "Field Page.Limit is out of range", status);
      const tally = newTally();
      const attempt = listAgencyClients(options(), { includeArchived: false }, tally);
      await expect(attempt).rejects.toBeInstanceOf(ApiError);
      await expect(attempt).rejects.toMatchObject({ source: "yandex_direct", code: 8000 });
      await expect(attempt).rejects.toThrow(
        "yandex_direct API error 8000: Invalid request (Field Page.Limit is out of range; request_id 8107425735428176423)",
      );
      expect(tally).toEqual({ requests: 1, retries: 0 });
    },
  );

  it.each([52, 1000, 1001, 1002, 506])("retries %i and then reads on", async (code) => {
    script = (request, i) => (i === 0 ? v5Error(code, "Try again later") : agency(3, 2)(request, i));
    const tally = newTally();
    const listing = await listAgencyClients(options(), { includeArchived: false }, tally);
    expect(ids(listing)).toEqual([1, 2, 3]);
    expect(offsets()).toEqual([0, 0, 2]);
    expect(tally).toEqual({ requests: 3, retries: 1 });
  });

  it("retries a gateway page that is not JSON", async () => {
    script = (request, i) => (i === 0 ? { status: 502, body: "<html>Bad gateway</html>" } : agency(1)(request, i));
    const tally = newTally();
    await listAgencyClients(options(), { includeArchived: false }, tally);
    expect(tally).toEqual({ requests: 2, retries: 1 });
  });

  it.each([
    [{ status: 503, body: "<html>Service unavailable</html>" }, HttpError, /HTTP 503: <html>Service unavailable/],
    [{ status: 200, body: "<html>ok?</html>" }, MalformedResponseError, /not JSON: <html>ok\?/],
    [{ status: 200, body: { data: [] } }, MalformedResponseError, /without a `result`/],
    [ok([{ ClientId: 1, Login: "" }]), MalformedResponseError, /without a Login or a ClientId/],
    [ok([{ ClientId: 1 }]), MalformedResponseError, /without a Login or a ClientId/],
    [ok([{ Login: "client-1" }]), MalformedResponseError, /without a Login or a ClientId/],
  ] as const)("gives up on %j after its retries, as %s", async (reply, type, message) => {
    script = () => reply;
    const tally = newTally();
    const attempt = listAgencyClients(options(), { includeArchived: false }, tally);
    await expect(attempt).rejects.toBeInstanceOf(type);
    await expect(attempt).rejects.toThrow(message);
    expect(tally).toEqual({ requests: 3, retries: 2 });
  });

  it.each([53, 58])("stops at once on %i, a fatal refusal", async (code) => {
    script = () => v5Error(code, "Authorization error");
    const tally = newTally();
    const err: unknown = await listAgencyClients(options(), { includeArchived: false }, tally).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code });
    expect(classifyFailure(err)).toBe("fatal");
    expect(tally).toEqual({ requests: 1, retries: 0 });
  });

  it("says plainly that a token refused with 54 is not an agency's, and does not retry", async () => {
    script = () => v5Error(54, "No rights", "No access to the agency's clients");
    const tally = newTally();
    const err: unknown = await listAgencyClients(options(), { includeArchived: false }, tally).catch((e) => e);
    expect(err).toBeInstanceOf(AgencyAccessError);
    expect((err as Error).message).toBe(
      "AgencyClients.get refused the token (54): it is not an agency's token, or it has no access to the agency's " +
        "clients: No rights (No access to the agency's clients; request_id 8107425735428176423)",
    );
    expect((err as Error).cause).toBeInstanceOf(ApiError);
    expect((err as Error).cause).toMatchObject({ code: 54 });
    expect(classifyFailure(err)).toBe("fatal");
    expect(tally).toEqual({ requests: 1, retries: 0 });
  });

  it("reports 152 as a spent quota, not retried", async () => {
    script = () => v5Error(152, "Not enough units", "", 200);
    const tally = newTally();
    const err: unknown = await listAgencyClients(options(), { includeArchived: false }, tally).catch((e) => e);
    expect(err).toMatchObject({ code: 152 });
    expect(classifyFailure(err)).toBe("quota");
    expect(tally).toEqual({ requests: 1, retries: 0 });
  });

  it("returns nothing when a later page fails", async () => {
    script = (request, i) => (i === 0 ? agency(4, 2)(request, i) : v5Error(53, "Invalid token"));
    await expect(listAgencyClients(options(), { includeArchived: false }, newTally())).rejects.toMatchObject({
      code: 53,
    });
    expect(offsets()).toEqual([0, 2]);
  });

  it.each<[string, Reply]>([
    ["an error text", v5Error(53, `Invalid OAuth token ${TOKEN}`, `token=${TOKEN.slice(0, 20)}`)],
    ["a 54 refusal", v5Error(54, `No rights for ${TOKEN}`, `Authorization: Bearer ${TOKEN}`, 403)],
    ["a gateway page", { status: 500, body: `<html>upstream said: Authorization: Bearer ${TOKEN}</html>` }],
    ["a bad item", ok([{ ClientId: 1, Login: "", Note: TOKEN }])],
    ["a body that is not JSON", { status: 200, body: `{"result": "${TOKEN}` }],
  ])("keeps the token out of the error from %s", async (_, reply) => {
    script = () => reply;
    const err = (await listAgencyClients(options(), { includeArchived: false }, newTally()).catch((e) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    const everything = [err.message, JSON.stringify(err), String((err.cause as Error | undefined)?.message)].join("\n");
    expect(everything).toContain("[redacted]");
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(TOKEN.slice(0, 12));
  });
});

describe("listAgencyClients: transport", () => {
  it.each<[Locale, string]>([
    ["ru", "ru"],
    ["en", "en"],
    ["uk", "en"],
  ])("posts to the v5 URL with a Bearer token, Accept-Language for %s, and no Client-Login", async (locale, lang) => {
    script = agency(1);
    await listAgencyClients(options({ locale }), { includeArchived: false }, newTally());
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/json/v5/agencyclients");
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers["accept-language"]).toBe(lang);
    expect(request?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(request?.headers).not.toHaveProperty("client-login");
    expect(JSON.stringify(request?.body)).not.toContain(TOKEN);
  });

  it("reads the Units of the last response and sums what every page spent", async () => {
    const units = ["10/990/1000", "12 / 978 / 1000", "11/967/1000"];
    script = (request, i) => ({ ...agency(5, 2)(request, i), headers: { Units: units[i] ?? "" } });
    const listing = await listAgencyClients(options(), { includeArchived: false }, newTally());
    expect(listing.pages).toBe(3);
    expect(listing.units).toEqual({ spent: 11, remaining: 967, daily: 1000 });
    expect(listing.unitsSpent).toBe(33);
  });

  it("reports no Units when the last response has none, and still sums the others", async () => {
    script = (request, i) => ({ ...agency(3, 2)(request, i), ...(i === 0 ? { headers: { Units: "7/93/100" } } : {}) });
    const listing = await listAgencyClients(options(), { includeArchived: false }, newTally());
    expect(listing.units).toBeNull();
    expect(listing.unitsSpent).toBe(7);
  });

  it("sends every attempt through the account's request gate", async () => {
    const inner = createRequestGate({ concurrency: 1, requestsPerSecond: 0 });
    let runs = 0;
    const gate: RequestGate = {
      run: (task) => {
        runs++;
        return inner.run(task);
      },
      get waiting() {
        return inner.waiting;
      },
    };
    script = (request, i) => (i === 1 ? v5Error(1000, "Server temporarily unavailable") : agency(3, 2)(request, i));
    const tally = newTally();
    await listAgencyClients(options({ gate }), { includeArchived: false }, tally);
    expect(tally).toEqual({ requests: 3, retries: 1 });
    expect(runs).toBe(3);
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    script = (request, i) => {
      controller.abort(new Error("shutting down"));
      return agency(5, 2)(request, i);
    };
    await expect(
      listAgencyClients(options(), { includeArchived: false }, newTally(), controller.signal),
    ).rejects.toThrow("shutting down");
    expect(seen.length).toBeLessThanOrEqual(1);
  });
});
