import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";
import { ConfigError } from "../../src/errors.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const account = (fields: Record<string, unknown>) => ({ name: "a", token: "${T}", currency: "RUB", ...fields });
const yandex = (...accounts: unknown[]) => ({ sources: { yandex_direct: { accounts } } });

function problems(document: unknown, env: NodeJS.ProcessEnv = { T: "t" }): readonly string[] {
  try {
    parseConfig(document, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("lists every problem at once, each with its path", () => {
    const found = problems(
      yandex(
        account({}),
        account({ name: "b", currency: "RUR", lookback: "5x", startTime: "yesterday", concurrency: 9, filter: { eventTypes: ["Foo"] }, color: "red" }),
      ),
    );
    expect(found).toEqual([
      'sources.yandex_direct.accounts[1].currency: expected one of RUB, CHF, EUR, KZT, TRY, UAH, USD, BYN, got "RUR"',
      'sources.yandex_direct.accounts[1].filter.eventTypes[0]: expected one of BannerModerated, CampaignFinished, LowCTR, MoneyOut, MoneyWarning, MoneyIn, PausedByDayBudget, WarnMinPrice, WarnPlace, got "Foo"',
      'sources.yandex_direct.accounts[1].startTime: expected an ISO 8601 time with a zone (2026-01-01T00:00:00Z) or a duration (30d), got "yesterday"',
      'sources.yandex_direct.accounts[1].lookback: expected a duration such as 60s, 15m, 1h or 30d, got "5x"',
      "sources.yandex_direct.accounts[1].concurrency: expected at most 5 (the APIs allow 5 simultaneous requests per user), got 9",
      'sources.yandex_direct.accounts[1]: Unrecognized key: "color"',
    ]);
  });

  it("takes tokens only from the environment or a file, and never echoes one", async () => {
    expect(problems(yandex(account({ token: "AQAAAAsecret" })))).toEqual([
      "sources.yandex_direct.accounts[0].token: tokens come from the environment or a file: write ${VAR_NAME} or ${file:/path/to/token}, not the token itself",
    ]);
    expect(problems(yandex(account({ token: "${MISSING}" })), {})).toEqual(["sources.yandex_direct.accounts[0].token: environment variable MISSING is not set"]);
    const file = join(dir, "token");
    await writeFile(file, "from-a-file\n");
    const config = parseConfig(yandex(account({ token: `\${file:${file}}` })), {});
    expect(config.sources.yandex_direct?.accounts[0]?.token).toBe("from-a-file");
  });

  it("fills documented defaults and freezes the result", () => {
    const config = parseConfig(yandex(account({})), { T: "t" });
    const a = config.sources.yandex_direct?.accounts[0];
    expect(a).toMatchObject({ endpoint: "production", locale: "en", lookback: 3_600_000, settleLag: 60_000, timestampZone: "UTC", pageLimit: 1000, concurrency: 3, withTextDescription: true });
    expect(config.sync.parallelStreams).toBe(4);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("refuses two accounts with one name", () => {
    expect(problems(yandex(account({}), account({})))).toEqual(["sources.yandex_direct.accounts[1].name: a is used twice"]);
  });

  it("reads YAML and JSON files, and names the file when it cannot", async () => {
    const yaml = join(dir, "c.yaml");
    await writeFile(yaml, "sources:\n  yandex_direct:\n    accounts:\n      - { name: a, token: '${T}', currency: EUR }\n");
    expect(loadConfig(yaml, { T: "t" }).sources.yandex_direct?.accounts[0]?.currency).toBe("EUR");
    const json = join(dir, "c.json");
    await writeFile(json, JSON.stringify(yandex(account({ currency: "USD" }))));
    expect(loadConfig(json, { T: "t" }).sources.yandex_direct?.accounts[0]?.currency).toBe("USD");
    expect(() => loadConfig(join(dir, "none.yaml"))).toThrow(/none\.yaml: cannot read the file/);
    const broken = join(dir, "broken.yaml");
    await writeFile(broken, "sources: [unclosed");
    expect(() => loadConfig(broken)).toThrow(/broken\.yaml: not valid YAML or JSON/);
  });

  it("accepts the example configuration of the repository", () => {
    const path = new URL("../../eventlog-sync.example.yaml", import.meta.url).pathname;
    const config = loadConfig(path, { YANDEX_DIRECT_AGENCY_TOKEN: "t1", YANDEX_DIRECT_OWN_TOKEN: "t2", ALTCRAFT_TOKEN: "t3" });
    expect(config.sources.yandex_direct?.accounts.map((a) => a.name)).toEqual(["agency", "own-account"]);
    expect(config.sources.altcraft?.accounts.map((a) => a.name)).toEqual(["main"]);
    expect(config.daemon.schedule).toBe("*/15 * * * *");
  });
});
