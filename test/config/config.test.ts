// Configuration: every problem reported at once with its path, documented defaults, tokens from the environment or a
// secret file and never echoed.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/config.loader.js";
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
  it("refuses a timestamp zone with daylight saving, where a time without a zone names two instants once a year", () => {
    expect(problems(yandex(account({ timestampZone: "Europe/Berlin" })))).toEqual([
      'sources.yandex_direct.accounts[0].timestampZone: expected a zone whose offset never changes (UTC, an offset such as +01:00, or a zone without daylight saving such as Europe/Moscow): "Europe/Berlin" changes its offset, so a time without a zone is ambiguous in its repeated hour',
    ]);
    expect(
      problems({
        sources: { altcraft: { accounts: [{ name: "a", token: "${T}", timestampZone: "America/New_York" }] } },
      }),
    ).toHaveLength(1);
    expect(() => parseConfig(yandex(account({ timestampZone: "Europe/Moscow" })), { T: "t" })).not.toThrow();
    expect(() => parseConfig(yandex(account({ timestampZone: "+01:00" })), { T: "t" })).not.toThrow();
  });

  it("lists every problem at once, each with its path", () => {
    const found = problems(
      yandex(
        account({}),
        account({
          name: "b",
          currency: "RUR",
          lookback: "5x",
          startTime: "yesterday",
          concurrency: 9,
          filter: { eventTypes: ["Foo"] },
          color: "red",
        }),
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
    expect(problems(yandex(account({ token: "${MISSING}" })), {})).toEqual([
      "sources.yandex_direct.accounts[0].token: environment variable MISSING is not set",
    ]);
    const file = join(dir, "token");
    await writeFile(file, "from-a-file\n");
    const config = parseConfig(yandex(account({ token: `\${file:${file}}` })), {});
    expect(config.sources.yandex_direct?.accounts[0]?.token).toBe("from-a-file");
  });

  it("fills documented defaults and freezes the result", () => {
    const config = parseConfig(yandex(account({})), { T: "t" });
    const a = config.sources.yandex_direct?.accounts[0];
    expect(a).toMatchObject({
      endpoint: "production",
      locale: "en",
      lookback: 3_600_000,
      settleLag: 60_000,
      timestampZone: "UTC",
      pageLimit: 1000,
      concurrency: 3,
      withTextDescription: true,
    });
    expect(config.sync.parallelStreams).toBe(4);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("reads requestsAhead per Yandex.Direct account: 1 by default, 1 to 16", () => {
    const config = parseConfig(yandex(account({}), account({ name: "b", token: "${U}", requestsAhead: 3 })), {
      T: "t",
      U: "u",
    });
    expect(config.sources.yandex_direct?.accounts.map((a) => a.requestsAhead)).toEqual([1, 3]);
    expect(problems(yandex(account({ requestsAhead: 0 })))[0]).toMatch(/accounts\[0\]\.requestsAhead/);
    expect(problems(yandex(account({ requestsAhead: 17 })))[0]).toMatch(/accounts\[0\]\.requestsAhead/);
  });

  it("refuses two accounts with one name", () => {
    expect(problems(yandex(account({ logins: ["x"] }), account({ logins: ["y"] })))).toEqual([
      "sources.yandex_direct.accounts[1].name: a is used twice (also sources.yandex_direct.accounts[0].name)",
    ]);
  });

  it.each([
    ["an empty file", null],
    ["no sources", { sync: { parallelStreams: 2 } }],
    ["empty account lists", { sources: { altcraft: { accounts: [] }, yandex_direct: { accounts: [] } } }],
  ])("refuses a configuration without accounts: %s", (_, document) => {
    expect(problems(document)).toEqual([
      "sources: no accounts configured: add at least one account under sources.altcraft.accounts or sources.yandex_direct.accounts",
    ]);
  });

  it("refuses one Yandex.Direct login in two places, naming both paths, case-insensitively and across endpoint spellings", () => {
    const found = problems(
      yandex(
        account({ name: "a", logins: ["client-1", "client-2"] }),
        account({ name: "b", endpoint: "https://API.direct.yandex.ru/live/v4/json", logins: ["Client-2"] }),
        account({ name: "c", logins: ["client-3", "client-3"] }),
        account({ name: "d", endpoint: "sandbox", logins: ["client-1"] }),
      ),
    );
    expect(found).toEqual([
      "sources.yandex_direct.accounts[1].logins[0]: login Client-2 at https://api.direct.yandex.ru/live/v4/json is also sources.yandex_direct.accounts[0].logins[1]; each login belongs to one account, or its events are stored twice",
      "sources.yandex_direct.accounts[2].logins[1]: login client-3 at https://api.direct.yandex.ru/live/v4/json is also sources.yandex_direct.accounts[2].logins[0]; each login belongs to one account, or its events are stored twice",
    ]);
  });

  it("refuses two token-owner streams of one token and endpoint, and never quotes the token", () => {
    const found = problems(
      yandex(
        account({ name: "a" }),
        account({ name: "b", endpoint: "https://api.direct.yandex.ru/live/v4/json/" }),
        account({ name: "c", token: "${U}" }),
      ),
      { T: "secret-owner-token", U: "other-token" },
    );
    expect(found).toEqual([
      "sources.yandex_direct.accounts[1]: reads the token owner's log with the same token and endpoint as sources.yandex_direct.accounts[0]; its events would be stored twice",
    ]);
    expect(found.join("\n")).not.toContain("secret-owner-token");
  });

  it("takes logins: all with discovery options and currency: client, with documented defaults", () => {
    const config = parseConfig(
      yandex(account({ logins: "all", currency: "client", discovery: { include: ["shop-*"] } })),
      { T: "t" },
    );
    const parsed = config.sources.yandex_direct?.accounts[0];
    expect(parsed?.logins).toBe("all");
    expect(parsed?.currency).toBe("client");
    expect(parsed?.discovery).toEqual({ include: ["shop-*"], archived: false, pageLimit: 10_000, reuseWithin: 0 });
    expect(problems(yandex(account({ logins: "some" })))).toEqual([
      expect.stringContaining("sources.yandex_direct.accounts[0].logins"),
    ]);
  });

  it("refuses discovery options and currency: client without logins: all", () => {
    expect(
      problems(
        yandex(
          account({ name: "a", logins: ["client-1"], discovery: { archived: true } }),
          account({ name: "b", currency: "client" }),
        ),
      ),
    ).toEqual([
      "sources.yandex_direct.accounts[0].discovery: applies only to logins: all (the agency's clients found on every run)",
      "sources.yandex_direct.accounts[1].currency: client takes each client's currency from the agency's listing, so it needs logins: all; name a currency (RUB, USD, …)",
    ]);
  });

  it("refuses two discoveries of one token, and a login named elsewhere on that token unless the discovery excludes it", () => {
    const found = problems(
      yandex(
        account({ name: "a", logins: "all", discovery: { exclude: ["kept-*"] } }),
        account({ name: "b", logins: "all", endpoint: "https://api.direct.yandex.ru/live/v4/json/" }),
        account({ name: "c", logins: ["Kept-1", "Shop-1"] }),
        account({ name: "d", token: "${U}", logins: ["shop-2"] }),
      ),
      { T: "secret-agency-token", U: "other" },
    );
    expect(found).toEqual([
      "sources.yandex_direct.accounts[1]: discovers the clients of the same token and endpoint as sources.yandex_direct.accounts[0]; every client would be stored twice",
      "sources.yandex_direct.accounts[2].logins[1]: login Shop-1 is also discovered by sources.yandex_direct.accounts[0] (same token); add it to that account's discovery.exclude, or its events are stored twice",
    ]);
    expect(found.join("\n")).not.toContain("secret-agency-token");
  });

  it("refuses two Altcraft accounts with the same url and token unless their campaign ids are disjoint", () => {
    const altcraft = (...accounts: unknown[]) => ({ sources: { altcraft: { accounts } } });
    const ac = (fields: Record<string, unknown>) => ({ name: "a", token: "${T}", ...fields });
    expect(
      problems(
        altcraft(
          ac({ name: "a" }),
          ac({ name: "b", url: "https://RU.altkraft.com/" }),
          ac({ name: "c", token: "${U}" }),
        ),
        { T: "t", U: "u" },
      ),
    ).toEqual([
      "sources.altcraft.accounts[1]: the same url and token as sources.altcraft.accounts[0]; every campaign both select would be stored twice (give each disjoint campaigns.ids, or merge them)",
    ]);
    expect(
      problems(altcraft(ac({ name: "a", campaigns: { ids: [1, 2] } }), ac({ name: "b", campaigns: { ids: [2, 3] } }))),
    ).toEqual([
      "sources.altcraft.accounts[1]: the same url and token as sources.altcraft.accounts[0]; campaigns 2 would be stored twice",
    ]);
    const disjoint = parseConfig(
      altcraft(
        ac({ name: "a", campaigns: { ids: [1, 2] } }),
        ac({ name: "b", format: "xml", campaigns: { ids: [3] } }),
      ),
      { T: "t" },
    );
    expect(disjoint.sources.altcraft?.accounts).toHaveLength(2);
  });

  it("reads YAML and JSON files, and names the file when it cannot", async () => {
    const yaml = join(dir, "c.yaml");
    await writeFile(
      yaml,
      "sources:\n  yandex_direct:\n    accounts:\n      - { name: a, token: '${T}', currency: EUR }\n",
    );
    expect(loadConfig(yaml, { T: "t" }).sources.yandex_direct?.accounts[0]?.currency).toBe("EUR");
    const json = join(dir, "c.json");
    await writeFile(json, JSON.stringify(yandex(account({ currency: "USD" }))));
    expect(loadConfig(json, { T: "t" }).sources.yandex_direct?.accounts[0]?.currency).toBe("USD");
    expect(() => loadConfig(join(dir, "none.yaml"))).toThrow(/none\.yaml: cannot read the file/);
    const broken = join(dir, "broken.yaml");
    await writeFile(broken, "sources: [unclosed");
    expect(() => loadConfig(broken)).toThrow(/broken\.yaml: not valid YAML or JSON/);
  });

  it("reads a number or a boolean that comes whole from the environment where one is expected, and nowhere else", () => {
    const document = {
      ...yandex(account({ name: "${NAME}", pageLimit: "${LIMIT}", withTextDescription: "${TEXT}" })),
      daemon: { port: "${PORT}", runOnStart: "${RUN}" },
      sync: { parallelStreams: " ${STREAMS} ", shareRequestBudget: "${SHARE}" },
      http: { maxResponseBytes: "${MAX}" },
    };
    const env = {
      T: "t",
      NAME: "123",
      LIMIT: "500",
      TEXT: "FALSE",
      PORT: "9100",
      RUN: "false",
      STREAMS: "6",
      SHARE: "true",
      MAX: "1048576",
    };
    const config = parseConfig(document, env);
    expect(config.daemon).toMatchObject({ port: 9100, runOnStart: false });
    expect(config.sync).toEqual({ parallelStreams: 6, shareRequestBudget: true });
    expect(config.http.maxResponseBytes).toBe(1_048_576);
    expect(config.sources.yandex_direct?.accounts[0]).toMatchObject({
      name: "123",
      pageLimit: 500,
      withTextDescription: false,
    });
    // Text that spells no number stays a problem with its path; so does a number written as text in the file.
    expect(problems({ ...yandex(account({})), daemon: { port: "${PORT}" } }, { T: "t", PORT: "http" })).toEqual([
      "daemon.port: Invalid input: expected number, received string",
    ]);
    expect(problems({ ...yandex(account({})), daemon: { port: "9100" } })).toEqual([
      "daemon.port: Invalid input: expected number, received string",
    ]);
    expect(problems({ ...yandex(account({})), daemon: { port: "${PORT}0" } }, { T: "t", PORT: "91" })).toEqual([
      "daemon.port: Invalid input: expected number, received string",
    ]);
  });

  it("quotes the line of a YAML syntax error with a connection string's password and a token masked", async () => {
    const cases = [
      "database:\n  url: postgres://sync:s3cr3t-Pa55w0rd@db:5432/w\n   connectTimeout: 10s\n",
      'database:\n  url: "postgres://sync:s3cr3t-Pa55w0rd@db:5432/w\n',
      "database:\n  url: host=db password=s3cr3t-Pa55w0rd user=x: y\n",
      "sources:\n  altcraft:\n    accounts:\n      - token: s3cr3t-Pa55w0rd: x\n",
    ];
    for (const [i, text] of cases.entries()) {
      const file = join(dir, `syntax-${i}.yaml`);
      await writeFile(file, text);
      let message = "";
      try {
        loadConfig(file, { T: "t" });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, text).toMatch(/not valid YAML or JSON: .* at line \d+, column \d+/);
      expect(message, text).toContain("[redacted]");
      expect(message, text).not.toContain("s3cr3t");
    }
  });

  it("accepts the example configuration of the repository", () => {
    const path = new URL("../../eventlog-sync.example.yaml", import.meta.url).pathname;
    const config = loadConfig(path, {
      YANDEX_DIRECT_AGENCY_TOKEN: "t1",
      YANDEX_DIRECT_OWN_TOKEN: "t2",
      ALTCRAFT_TOKEN: "t3",
    });
    expect(config.sources.yandex_direct?.accounts.map((a) => a.name)).toEqual(["agency", "own-account"]);
    expect(config.sources.altcraft?.accounts.map((a) => a.name)).toEqual(["main"]);
    expect(config.daemon.schedule).toBe("*/15 * * * *");
  });
});
