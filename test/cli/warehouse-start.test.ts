// The first second of a sync: connections cut while it connects and checks the migrations are tried again
// within the connect timeout; a warehouse that keeps cutting them fails with one sentence that names it
// (host, port, database, user, never the password) and the cause. The cuts come from a loopback proxy.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runCli } from "../support/cli.js";
import { type CuttingProxy, startCuttingProxy } from "../support/cutting-proxy.js";
import { asAdmin, createTestDatabase, dropRoles, type TestDatabase } from "../support/test-database.js";

const HOUR = 3_600_000;
/** A role limited to 3 connections, with the test user's objects (a member of its role, not a superuser). */
const LIMITED = `eventlog_limited_${randomBytes(4).toString("hex")}`;
let sim: YandexDirectSimulator;
let database: TestDatabase;
let dir: string;
const proxies: CuttingProxy[] = [];

beforeAll(async () => {
  sim = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 7,
    clientLogins: 1,
    historyDays: 1,
    eventsPerHour: 5,
  });
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-start-"));
});

afterAll(async () => {
  for (const p of proxies) await p.close();
  await sim?.close();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
  await dropRoles(LIMITED);
});

async function config(connectTimeout: string): Promise<string> {
  const file = join(dir, `config-${connectTimeout}.yaml`);
  await writeFile(
    file,
    stringify({
      database: { connectTimeout },
      sources: {
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: sim.endpoint,
              currency: "RUB",
              logins: ["client-1"],
              startTime: new Date(Math.floor((Date.now() - 6 * HOUR) / HOUR) * HOUR).toISOString(),
              settleLag: "2s",
            },
          ],
        },
      },
    }),
  );
  return file;
}

/** The test database's URL with its host and port replaced by the proxy's. */
function throughProxy(proxy: CuttingProxy): string {
  const url = new URL(database.url);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  return url.toString();
}

async function proxy(cutAt: (connection: number) => number | undefined): Promise<CuttingProxy> {
  const target = new URL(database.url);
  const p = await startCuttingProxy({ host: target.hostname, port: Number(target.port) }, cutAt);
  proxies.push(p);
  return p;
}

describe("a sync whose warehouse connections are cut while it starts", () => {
  it("tries the start again and succeeds once a connection holds", async () => {
    // Kills: no retry of the start (exit 1 with "Connection terminated unexpectedly").
    // The first connection is cut at its startup message, the second a few statements into the migration check.
    const p = await proxy((i) => (i === 0 ? 1 : i === 1 ? 4 : undefined));
    const result = await runCli(["sync", "-c", await config("20s")], {
      env: { DATABASE_URL: throughProxy(p), YD_TOKEN: "agency-token" },
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(p.cuts).toBe(2);
    expect(result.stdout).toMatch(/^run \d+: succeeded/m);
    expect(result.stderr.match(/the warehouse did not answer the start: trying again/g)?.length).toBe(2);
  }, 90_000);

  it("fails within the connect timeout with a sentence naming the warehouse and the cause, never the password", async () => {
    // Kills: pg's raw text as the whole message, and a message that names no warehouse or shows the password.
    const p = await proxy(() => 1);
    const url = new URL(throughProxy(p));
    const result = await runCli(["sync", "-c", await config("2s")], {
      env: { DATABASE_URL: url.toString(), YD_TOKEN: "agency-token" },
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(p.cuts).toBeGreaterThan(1);
    const line = result.stderr.split("\n").find((l) => l.startsWith("eventlog-sync: ")) ?? "";
    expect(line).toBe(
      `eventlog-sync: the warehouse (host 127.0.0.1, port ${p.port}, database ${database.name}, user ${decodeURIComponent(url.username)}) could not be reached within 2 s (${p.cuts} attempts): Connection terminated unexpectedly`,
    );
    // The test server's password is its user name: the connection string must not show, nor its secret part.
    expect(result.stderr + result.stdout).not.toMatch(/postgres(ql)?:\/\//);
    expect(result.stderr + result.stdout).not.toContain(`:${decodeURIComponent(url.password)}@`);
  }, 90_000);
});

describe("a sync whose pool could open more connections than the warehouse takes", () => {
  it("says so as it starts, naming the limit its streams would run into", async () => {
    // Kills: no word of the warehouse's connection limits at the start (the streams fail mid-run, unannounced).
    const password = randomBytes(12).toString("hex");
    const url = new URL(database.url);
    await asAdmin(async (c) => {
      await c.query(`create role ${LIMITED} login password '${password}' connection limit 3`);
      await c.query(`grant "${decodeURIComponent(url.username)}" to ${LIMITED}`);
    });
    url.username = LIMITED;
    url.password = password;
    const result = await runCli(["sync", "-c", await config("5s")], {
      env: { DATABASE_URL: url.toString(), YD_TOKEN: "agency-token" },
      timeoutMs: 60_000,
    });
    const warning = result.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: number; msg: string; more?: number; left?: number })
      .find((l) => l.msg.startsWith("the warehouse may refuse connections"));
    // sync's pool: 2 × parallelStreams (4) + 3 = 11, one open; the role takes 2 more.
    expect(warning, result.stderr).toMatchObject({ level: 40, more: 10, left: 2 });
    expect(warning?.msg).toMatch(
      /\(max_connections \d+, \d+ reserved, \d+ open; the role's connection limit 3, 1 open\)/,
    );
    expect(warning?.msg).toMatch(/lower sync\.parallelStreams or the copies, or raise max_connections$/);
  }, 90_000);
});
