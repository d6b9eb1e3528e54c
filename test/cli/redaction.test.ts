/**
 * Secrets never leave: the real CLI syncs, at debug level, against a loopback server that echoes the
 * request — body, token and Authorization header — in every error shape both APIs have. Then stdout,
 * stderr, `status` and `status --json`, and every text and jsonb column of every table and view of the
 * warehouse are scanned: no token, and no piece of 8 characters of one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/** 40 characters each, distinct, with characters that URL encoding changes. */
const TOKENS = {
  YD_TOKEN: "y0_AgAAAAB7cQ9e+Zk4/Lm2Wd8=Pq5Rt3Hn6Jx1V",
  YD_OWNER_TOKEN: "y0_AgBBBBC3fK8s/Tu1+Gh7Ej9=Nw4Mp2Dz6Lq5R",
  AC_TOKEN: "ac-9Qe4Zr7Tb2Yw6Ux1Pn5Kd8Hm3Js0Fv+Lg/C=a",
  AC_HEADER_TOKEN: "ac-h5Wb8Nc2Xe6Rt0Ya4Sd9Gk3Mp7Vq1Lz/J+u=b",
  AC_LIST_TOKEN: "ac-L3st8Vb1Nm6Qw0Ze5Rt9Yu2Io7Pa4Sd+Fg/H=c",
};
const PIECE = 8;

let server: Server;
let base: string;
let dir: string;
let database: TestDatabase;
/** Every body the server sent: proof that each token was echoed. */
const sent: string[] = [];

/** Every error shape, chosen by campaign id (Altcraft) or login (Yandex.Direct); each quotes the request. */
function altcraftAnswer(id: number, raw: string, token: string, authorization: string, res: ServerResponse): void {
  const html = (status: number) => {
    res.writeHead(status, { "content-type": "text/html" });
    res.end(`<html><body><h1>${status}</h1><pre>${raw}</pre><p>${authorization}</p></body></html>`);
  };
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const text = (status: number, body: string) => {
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(body);
  };
  switch (id) {
    case 1:
      return text(400, `Bad Request: cannot parse ${raw}`);
    case 2:
      return json(200, { error: 400, error_text: `invalid token ${token} in ${raw}` });
    case 3:
      return html(500);
    case 4:
      return text(200, `ok token=${encodeURIComponent(token)}&auth=${encodeURIComponent(authorization)}; ${raw}`);
    case 5:
      // The token starts where a 200-character snippet ends: a cut leaves only its prefix.
      return text(400, `${"x".repeat(186)} token=${token} tail`);
    case 6:
      // Escaped as some servers write JSON, with `\/`.
      return json(200, { error: 404, error_text: `request ${raw.replace(/\//g, "\\/")} ${authorization}` });
    default:
      return json(403, { error: 403, error_text: `forbidden for ${authorization || token}` });
  }
}

function yandexAnswer(login: string | undefined, raw: string, token: string, res: ServerResponse): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  switch (login) {
    case "echo-detail":
      return json(200, { error_code: 53, error_str: "Authorization error", error_detail: `Token ${token} is invalid` });
    case "echo-str":
      return json(200, { error_code: 71, error_str: `Invalid request ${raw}`, error_detail: "" });
    case "echo-400":
      return json(400, { message: "bad request", request: JSON.parse(raw) as unknown });
    case "echo-html":
      res.writeHead(500, { "content-type": "text/html" });
      return void res.end(`<html><body><h1>Internal Server Error</h1><pre>${raw}</pre></body></html>`);
    case "echo-text":
      res.writeHead(200, { "content-type": "text/plain" });
      return void res.end(`token=${token}`);
    case "echo-encoded":
      return json(200, {
        error_code: 58,
        error_str: "Incomplete registration",
        error_detail: `see /register?token=${encodeURIComponent(token)}&login=${login}`,
      });
    default:
      return json(200, {
        error_code: 53,
        error_str: `Authorization error: ${token.slice(0, 20)}`,
        error_detail: `…${token.slice(12)}`,
      });
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = "";
  for await (const chunk of req) raw += (chunk as Buffer).toString();
  const body = JSON.parse(raw) as Record<string, unknown>;
  const url = req.url ?? "";
  const authorization = req.headers.authorization ?? "";
  const token = typeof body.token === "string" ? body.token : authorization.replace(/^Bearer /, "");
  if (url.startsWith("/yandex/")) {
    const param = body.param as { Logins?: string[] } | undefined;
    return yandexAnswer(param?.Logins?.[0], raw, token, res);
  }
  if (url.startsWith("/list-fails/")) {
    // The account cannot even list its campaigns: the run's own error quotes the response.
    res.writeHead(400, { "content-type": "text/plain" });
    return void res.end(`campaigns/list: bad request ${raw} (authorization: ${authorization})`);
  }
  if (url.endsWith("/campaigns/list")) {
    const first = body.from_id === 1;
    const ids = url.startsWith("/header/") ? [7, 8] : [1, 2, 3, 4, 5, 6];
    res.writeHead(200, { "content-type": "application/json" });
    return void res.end(
      JSON.stringify({
        error: 0,
        error_text: "",
        data: first ? ids.map((id) => ({ id, name: `campaign ${id}`, is_active: true })) : [],
      }),
    );
  }
  if (url.endsWith("/campaigns/log_v2")) return altcraftAnswer(Number(body.id), raw, token, authorization, res);
  res.writeHead(404).end(`no route ${url} for ${raw}`);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => {
      if (typeof chunk === "string") sent.push(chunk);
      return end(chunk);
    }) as ServerResponse["end"];
    handle(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-redaction-"));
  database = await createTestDatabase();
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fast = { timeout: "5s", retries: 1, retryMinDelay: "1ms", retryMaxDelay: "5ms" };

/** Every piece of PIECE characters of every token that occurs in the text. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, token] of Object.entries(TOKENS)) {
    for (let i = 0; i + PIECE <= token.length; i++) {
      const piece = token.slice(i, i + PIECE);
      if (text.includes(piece)) found.push(`${name}[${i}..${i + PIECE}] ${JSON.stringify(piece)}`);
    }
  }
  return found;
}

/** The text of every text, varchar, json and jsonb column of every table and view outside the system schemas. */
async function warehouseText(): Promise<{ text: string; columns: number }> {
  const { pool } = database.warehouse;
  const columns = await pool.query<{ table_schema: string; table_name: string; column_name: string }>(
    `select table_schema, table_name, column_name from information_schema.columns
      where table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg_toast%'
        and data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')
      order by 1, 2, 3`,
  );
  const parts: string[] = [];
  for (const c of columns.rows) {
    const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const result = await pool.query<{ t: string | null }>(
      `select string_agg(${q(c.column_name)}::text, E'\\n') as t from ${q(c.table_schema)}.${q(c.table_name)}`,
    );
    parts.push(result.rows[0]?.t ?? "");
  }
  return { text: parts.join("\n"), columns: columns.rows.length };
}

describe("secrets in echoed requests", () => {
  it("reach no output and no column of the warehouse, whole or in pieces of 8 characters", async () => {
    for (const token of Object.values(TOKENS)) expect(token.length).toBeGreaterThanOrEqual(40);
    const config = join(dir, "echo.yaml");
    await writeFile(
      config,
      stringify({
        sync: { parallelStreams: 4 },
        sources: {
          altcraft: {
            accounts: [
              { name: "echo", token: "${AC_TOKEN}", url: base, startTime: "1d", ...fast },
              {
                name: "echo-header",
                token: "${AC_HEADER_TOKEN}",
                url: `${base}/header`,
                tokenIn: "header",
                startTime: "1d",
                ...fast,
              },
              { name: "echo-list", token: "${AC_LIST_TOKEN}", url: `${base}/list-fails`, startTime: "1d", ...fast },
            ],
          },
          yandex_direct: {
            accounts: [
              {
                name: "echo",
                token: "${YD_TOKEN}",
                endpoint: `${base}/yandex/live/v4/json/`,
                currency: "RUB",
                logins: ["echo-detail", "echo-str", "echo-400", "echo-html", "echo-text", "echo-encoded"],
                startTime: "1d",
                settleLag: "1s",
                ...fast,
              },
              {
                name: "echo-owner",
                token: "${YD_OWNER_TOKEN}",
                endpoint: `${base}/yandex/live/v4/json/`,
                currency: "RUB",
                // The echo server speaks Live 4 only: the owner's login is named, not asked of Clients.get.
                ownerLogin: "echo-owner",
                startTime: "1d",
                settleLag: "1s",
                ...fast,
              },
            ],
          },
        },
      }),
    );
    const env = { DATABASE_URL: database.url, ...TOKENS };
    const sync = await runCli(["--log-level", "debug", "--log-format", "json", "sync", "-c", config], {
      env,
      cwd: dir,
    });
    expect(sync.code, sync.stderr).toBe(2);
    // Every stream failed with a quoted response, and the quotes are there, redacted.
    expect(sync.stdout).toMatch(/run \d+: (partial|failed)/);
    for (const login of ["echo-detail", "echo-str", "echo-400", "echo-html", "echo-text", "echo-encoded"]) {
      expect(sync.stdout).toMatch(new RegExp(`yandex_direct/echo/${login}\\s+failed`));
    }
    for (const id of [1, 2, 3, 4, 5, 6]) expect(sync.stdout).toMatch(new RegExp(`altcraft/echo/${id}\\s+failed`));
    expect(sync.stdout).toMatch(
      /altcraft\/echo-list\s+failed\s+HTTP 400: campaigns\/list: bad request \{"token":"\[redacted\]"/,
    );
    expect(sync.stdout).toContain("[redacted]");
    const status = await runCli(["status"], { env, cwd: dir });
    const statusJson = await runCli(["status", "--json"], { env, cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect(statusJson.code, statusJson.stderr).toBe(0);
    const streams = JSON.parse(statusJson.stdout) as Array<{ stream: string; last_error: string | null }>;
    expect(streams.length).toBeGreaterThanOrEqual(15);

    const warehouse = await warehouseText();
    expect(warehouse.columns).toBeGreaterThan(20);
    const runs = await database.warehouse.pool.query<{ error: string | null }>("select error from sync.runs");
    expect(runs.rows.map((r) => r.error).join("\n")).toContain("[redacted]");
    const redactedErrors = await database.warehouse.pool.query<{ n: number }>(
      "select count(*)::int as n from sync.stream_runs where error like '%[redacted]%'",
    );
    expect(
      redactedErrors.rows[0]?.n,
      "errors quoting the echoed request were recorded, redacted",
    ).toBeGreaterThanOrEqual(8);

    const echoed = sent.join("\n");
    const echoedTokens = new Set(leaks(echoed).map((leak) => leak.slice(0, leak.indexOf("["))));
    expect([...echoedTokens].sort(), "the server echoed every token").toEqual(Object.keys(TOKENS).sort());

    expect(leaks(sync.stdout), "sync stdout").toEqual([]);
    expect(leaks(sync.stderr), "sync stderr").toEqual([]);
    expect(leaks(status.stdout + status.stderr), "status").toEqual([]);
    expect(leaks(statusJson.stdout + statusJson.stderr), "status --json").toEqual([]);
    expect(leaks(warehouse.text), "warehouse columns").toEqual([]);
  });
});
