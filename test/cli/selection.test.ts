/**
 * No silent no-op, as operators meet it: `sync` with a --source, --account or --stream that matches
 * nothing, or a config without accounts, exits 1 listing what exists; `config check` refuses an empty file
 * and a login in two places; `reset` moves a cursor back only, forward with --force, never into the future.
 * The real CLI as child processes against both simulators on 127.0.0.1.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const HOUR = 3_600_000;
const AC_TOKEN = "ac-selection-token-4b7e1d";
let yandex: YandexDirectSimulator;
let altcraft: AltcraftSimulator;
let dir: string;
let database: TestDatabase;
let startTime: string;

beforeAll(async () => {
  yandex = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 11,
    clientLogins: 2,
    historyDays: 2,
    eventsPerHour: 4,
    latencyMs: 1,
  });
  altcraft = await startAltcraftSimulator({
    host: "127.0.0.1",
    seed: 12,
    tokens: [AC_TOKEN],
    campaigns: 2,
    historyDays: 1,
    runsPerDay: 2,
    rowsPerRun: 5,
    latencyMs: 1,
  });
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-selection-"));
  database = await createTestDatabase();
  startTime = new Date(Math.ceil((Date.now() - 12 * HOUR) / HOUR) * HOUR).toISOString();
});

afterAll(async () => {
  await yandex?.close();
  await altcraft?.close();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fast = { timeout: "5s", retries: 2, retryMinDelay: "1ms", retryMaxDelay: "5ms" };
let files = 0;
async function writeConfig(document: unknown): Promise<string> {
  const file = join(dir, `config-${++files}.yaml`);
  await writeFile(file, document === null ? "" : stringify(document));
  return file;
}

function both(extraYandex: Array<Record<string, unknown>> = []): unknown {
  return {
    sources: {
      altcraft: { accounts: [{ name: "main", token: "${AC_TOKEN}", url: altcraft.url, startTime, ...fast }] },
      yandex_direct: {
        accounts: [
          {
            name: "agency",
            token: "${YD_TOKEN}",
            endpoint: yandex.endpoint,
            currency: "RUB",
            logins: ["client-1", "client-2"],
            startTime,
            settleLag: "2s",
            ...fast,
          },
          ...extraYandex,
        ],
      },
    },
  };
}

const env = () => ({ DATABASE_URL: database.url, YD_TOKEN: "agency-token", AC_TOKEN });
const runCount = async () =>
  Number((await database.warehouse.pool.query<{ n: string }>("select count(*) as n from sync.runs")).rows[0]?.n);

describe("a selection that matches nothing", () => {
  it.each([
    [["--source", "yandex"], ["--source yandex: expected one of altcraft, yandex_direct"]],
    [
      ["--account", "agnecy"],
      ["--account agnecy: no such account; configured accounts: altcraft/main, yandex_direct/agency"],
    ],
    [
      ["--source", "altcraft", "--account", "agency"],
      ["--account agency: no such account in altcraft; configured accounts: altcraft/main"],
    ],
    [
      ["--stream", "no-such"],
      [
        "--stream no-such: matches no configured login, no client a selected Yandex.Direct account could discover and no campaign a selected Altcraft account could list; streams: altcraft/main: campaign ids, discovered each run, yandex_direct/agency: client-1, client-2",
      ],
    ],
  ])("sync %j exits 1 listing what exists, and starts no run", async (args, messages) => {
    const config = await writeConfig(both());
    const before = await runCount();
    const exit = await runCli(["sync", "-c", config, ...args], { env: env(), cwd: dir });
    expect(exit.code, exit.stderr).toBe(1);
    for (const message of messages) expect(exit.stderr).toContain(message);
    expect(exit.stdout).toBe("");
    expect(await runCount()).toBe(before);
  });

  it("a campaign id no account lists exits 1 after the listing; a listed one and a login in another case sync", async () => {
    const config = await writeConfig(both());
    const missing = await runCli(["sync", "-c", config, "--stream", "99999"], { env: env(), cwd: dir });
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr).toContain("--stream 99999: no campaign 99999 was listed by altcraft/main");
    const id = String(altcraft.campaigns()[0]?.id);
    const chosen = await runCli(
      ["sync", "-c", config, "--source", "yandex-direct,altcraft", "--stream", `CLIENT-1,${id}`],
      { env: env(), cwd: dir },
    );
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stdout).toMatch(/yandex_direct\/agency\/client-1\s+succeeded/);
    expect(chosen.stdout).toMatch(new RegExp(`altcraft/main/${id}\\s+succeeded`));
    expect(chosen.stdout).not.toContain("client-2");
  });

  it("a config without accounts is refused by sync and by config check", async () => {
    for (const document of [null, { sources: {} }, { sources: { yandex_direct: { accounts: [] } } }]) {
      const config = await writeConfig(document);
      const commands =
        document === null
          ? [
              ["sync", "-c", config],
              ["config", "check", "-c", config],
            ]
          : [["config", "check", "-c", config]];
      for (const args of commands) {
        const exit = await runCli(args, { env: env(), cwd: dir });
        expect(exit.code, `${args.join(" ")}: ${exit.stdout}`).toBe(1);
        expect(exit.stderr).toContain("sources: no accounts configured");
      }
    }
  });

  it("config check names both paths of a login in two places, and of one url and token twice", async () => {
    const config = await writeConfig({
      sources: {
        altcraft: {
          accounts: [
            { name: "a", token: "${AC_TOKEN}", url: altcraft.url },
            { name: "b", token: "${AC_TOKEN}", url: `${altcraft.url}/` },
          ],
        },
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: yandex.endpoint,
              currency: "RUB",
              logins: ["client-1", "client-2"],
            },
            { name: "again", token: "${YD_TOKEN}", endpoint: yandex.endpoint, currency: "RUB", logins: ["Client-2"] },
          ],
        },
      },
    });
    const exit = await runCli(["config", "check", "-c", config], { env: env(), cwd: dir });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(
      /sources\.yandex_direct\.accounts\[1\]\.logins\[0\]: login Client-2 at \S+ is also sources\.yandex_direct\.accounts\[0\]\.logins\[1\]/,
    );
    expect(exit.stderr).toContain(
      "sources.altcraft.accounts[1]: the same url and token as sources.altcraft.accounts[0]",
    );
    expect(exit.stderr).not.toContain(AC_TOKEN);
  });
});

describe("reset", () => {
  it("moves a cursor back, forward only with --force, and never into the future", async () => {
    const config = await writeConfig(both());
    const synced = await runCli(["sync", "-c", config, "--account", "agency", "--stream", "client-2"], {
      env: env(),
      cwd: dir,
    });
    expect(synced.code, synced.stderr).toBe(0);
    const cursorOf = async () =>
      (
        await database.warehouse.pool.query<{ cursor: Date | null }>(
          "select cursor from sync.streams where source = 'yandex_direct' and stream_key = 'client-2'",
        )
      ).rows[0]?.cursor ?? null;
    const cursor = await cursorOf();
    expect(cursor).not.toBeNull();
    const at = (cursor as Date).getTime();

    const back = new Date(at - 2 * HOUR).toISOString();
    const moved = await runCli(["reset", "client-2", "--to", back], { env: env(), cwd: dir });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(
      `yandex_direct/agency/client-2: cursor moved from ${(cursor as Date).toISOString()} to ${back}`,
    );
    expect((await cursorOf())?.getTime()).toBe(at - 2 * HOUR);

    const ahead = new Date(at - HOUR).toISOString();
    const forward = await runCli(["reset", "yandex_direct/agency/client-2", "--to", ahead], { env: env(), cwd: dir });
    expect(forward.code).toBe(1);
    expect(forward.stderr).toMatch(
      /cursor not moved: --to \S+ is after the cursor \S+: moving forward skips every event in between; add --force/,
    );
    expect((await cursorOf())?.getTime()).toBe(at - 2 * HOUR);

    const future = new Date(Date.now() + 86_400_000).toISOString();
    for (const force of [[], ["--force"]]) {
      const exit = await runCli(["reset", "client-2", "--to", future, ...force], { env: env(), cwd: dir });
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain("is in the future");
      expect((await cursorOf())?.getTime()).toBe(at - 2 * HOUR);
    }

    const forced = await runCli(["reset", "client-2", "--to", new Date(at).toISOString(), "--force"], {
      env: env(),
      cwd: dir,
    });
    expect(forced.code, forced.stderr).toBe(0);
    expect((await cursorOf())?.getTime()).toBe(at);
  });
});
