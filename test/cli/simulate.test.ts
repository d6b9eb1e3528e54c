// The `simulate` command's flags map to the simulators' options, refuse what cannot work, and serve on loopback only.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { describeSimulators } from "../../src/cli/simulate.command.js";
import { clientCurrencies, loopbackHost, simulatorOptionsFromFlags } from "../../src/cli/simulate.flags.js";

const ENTRY = fileURLToPath(new URL("../../bin/eventlog-sync.js", import.meta.url));

describe("simulatorOptionsFromFlags", () => {
  it("leaves every option to the simulators' defaults without flags", () => {
    expect(simulatorOptionsFromFlags({})).toEqual({ altcraft: {}, yandex: {} });
  });

  it("maps common flags to both simulators, faults included", () => {
    const { altcraft, yandex } = simulatorOptionsFromFlags({
      seed: 7,
      host: "127.0.0.2",
      errorRate: 0.1,
      hangRate: 0.05,
      hangMs: 500,
      garbageRate: 0.01,
      htmlRate: 0.02,
      truncateRate: 0.03,
      rps: 5,
      concurrency: 2,
      latencyMs: 10,
    });
    const common = {
      seed: 7,
      host: "127.0.0.2",
      requestsPerSecond: 5,
      concurrentRequests: 2,
      latencyMs: 10,
      faults: {
        serverErrorRate: 0.1,
        hangRate: 0.05,
        hangMs: 500,
        garbageRate: 0.01,
        htmlRate: 0.02,
        truncateRate: 0.03,
      },
    };
    expect(altcraft).toStrictEqual(common);
    expect(yandex).toStrictEqual(common);
    expect(altcraft.faults).not.toBe(yandex.faults);
  });

  it("maps Yandex flags, switches turned into the options they negate", () => {
    const { altcraft, yandex } = simulatorOptionsFromFlags({
      yandexPort: 8082,
      yandexLogins: 20,
      yandexEventsPerHour: 12.5,
      yandexHistoryDays: 2,
      yandexOrder: "shuffled-within-second",
      yandexFromExclusive: true,
      yandexToExclusive: true,
      yandexZoneless: true,
      yandexMaxLimit: 500,
      yandexOverMaxLimit: "reject",
      yandexLateEventRate: 0.2,
      yandexBurstRate: 0.1,
      yandexBurstSize: 2000,
      yandexDailyCallLimit: 100,
    });
    expect(altcraft).toStrictEqual({});
    expect(yandex).toStrictEqual({
      port: 8082,
      clientLogins: 20,
      eventsPerHour: 12.5,
      historyDays: 2,
      order: "shuffled-within-second",
      fromInclusive: false,
      toInclusive: false,
      zonelessTimestamps: true,
      maxLimit: 500,
      overMaxLimit: "reject",
      lateEventRate: 0.2,
      burstRate: 0.1,
      burstSize: 2000,
      dailyCallLimit: 100,
    });
  });

  it("maps the agency-client flags onto AgencyClients.get options", () => {
    const { altcraft, yandex } = simulatorOptionsFromFlags({
      yandexPointsPerDay: 64_000,
      yandexListedClients: 10,
      yandexArchivedClients: 2,
      yandexClientCurrencies: "mixed",
      yandexAgencyPageCap: 300,
      yandexAgencyOmitEmpty: true,
      yandexAgencyHttpErrors: true,
    });
    expect(altcraft).toStrictEqual({});
    expect(yandex).toStrictEqual({
      pointsPerDay: 64_000,
      listedClients: 10,
      archivedClients: 2,
      clientCurrencies: "mixed",
      agencyClientsPageCap: 300,
      agencyClientsOmitEmptyClients: true,
      agencyClientsHttpErrors: true,
    });
  });

  it("reads --yandex-client-currencies as one currency, mixed, or login=CUR pairs", () => {
    expect(clientCurrencies("EUR")).toBe("EUR");
    expect(clientCurrencies("mixed")).toBe("mixed");
    expect(clientCurrencies("client-1=USD, Client-2=KZT")).toEqual({ "client-1": "USD", "client-2": "KZT" });
    for (const bad of ["GBP", "client-1=", "client-1=XYZ", "=USD", "a=USD=EUR"]) {
      expect(() => clientCurrencies(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => clientCurrencies("GBP")).toThrow("Expected `--yandex-client-currencies` to be mixed, one of RUB");
  });

  it("maps Altcraft flags", () => {
    const { altcraft, yandex } = simulatorOptionsFromFlags({
      altcraftPort: 8081,
      altcraftCampaigns: 50,
      altcraftHistoryDays: 0.5,
      altcraftRunsPerDay: 24,
      altcraftRowsPerRun: 8,
      altcraftFromTimeExclusive: true,
      altcraftNewestFirst: true,
      altcraftDescending: true,
      altcraftTotalCount: "all",
      altcraftNaiveTimestamps: true,
      altcraftMaxLimit: 100,
      altcraftOverMaxLimit: "reject",
      altcraftLateRowRate: 0.3,
      altcraftBurstRate: 0.4,
      altcraftBurstSize: 10,
      altcraftAlways200: true,
      altcraftTariffLimit: 1000,
    });
    expect(yandex).toStrictEqual({});
    expect(altcraft).toStrictEqual({
      port: 8081,
      campaigns: 50,
      historyDays: 0.5,
      runsPerDay: 24,
      rowsPerRun: 8,
      fromTimeInclusive: false,
      unfilteredPage: "newest",
      pageOrder: "descending",
      totalCount: "all",
      naiveTimestamps: true,
      maxLimit: 100,
      overMaxLimit: "reject",
      lateRowRate: 0.3,
      burstRate: 0.4,
      burstSize: 10,
      httpStatusMirrorsError: false,
      tariffLimit: 1000,
    });
  });

  it("refuses fault shares above 1 in sum and one fixed port for both", () => {
    expect(() => simulatorOptionsFromFlags({ errorRate: 0.6, hangRate: 0.5 })).toThrow(
      /`--error-rate` \+ `--hang-rate`.*≤ 1, got `1\.1`/,
    );
    expect(() => simulatorOptionsFromFlags({ altcraftPort: 9000, yandexPort: 9000 })).toThrow(
      "`--altcraft-port` and `--yandex-port` to differ",
    );
    expect(simulatorOptionsFromFlags({ altcraftPort: 0, yandexPort: 0 }).yandex.port).toBe(0);
  });
});

describe("loopbackHost", () => {
  it.each(["127.0.0.1", "127.1.2.3", "::1"])("accepts %s", (host) => expect(loopbackHost(host)).toBe(host));
  it.each(["0.0.0.0", "10.0.0.1", "::", "localhost", "example.com", ""])("refuses %j", (host) => {
    expect(() => loopbackHost(host)).toThrow(InvalidArgumentError);
    expect(() => loopbackHost(host)).toThrow(
      `Expected \`--host\` to be a loopback address (127.0.0.0/8 or ::1), got \`${host}\``,
    );
  });
});

describe("describeSimulators", () => {
  it("lists a few client tokens and counts the rest", () => {
    const clients = Array.from({ length: 8 }, (_, i) => `client-${i + 1}`);
    const text = describeSimulators(
      { url: "http://127.0.0.1:1", apiUrl: "http://127.0.0.1:1/api/v1.1/", tokens: ["t"] },
      {
        url: "http://127.0.0.1:2",
        endpoint: "http://127.0.0.1:2/live/v4/json/",
        agencyClientsEndpoint: "http://127.0.0.1:2/json/v5/agencyclients",
        accounts: [
          { token: "agency-token", login: "agency", role: "agency", clients },
          ...clients.map((login) => ({ token: `${login}-token`, login, role: "client" as const, clients: [] })),
        ],
      },
      Date.parse("2026-01-01T12:00:00.000Z"),
    );
    expect(text).toContain("client-5-token");
    expect(text).not.toContain("client-6-token");
    expect(text).toContain("… 3 more");
    expect(text).toContain('"TimestampFrom":"2026-01-01T11:00:00Z"');
    expect(text).toMatch(/^ {2}agency\s+http:\/\/127\.0\.0\.1:2\/json\/v5\/agencyclients/m);
    expect(text).toContain("-H 'authorization: Bearer agency-token'");
  });
});

// --- the command as a child process -------------------------------------------------------------------

type Child = ChildProcessByStdio<null, Readable, Readable>;
const children: Child[] = [];
// A safety net for failed tests; passing ones end their children themselves.
afterAll(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

interface Running {
  child: Child;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function simulate(args: readonly string[]): Running {
  const child = spawn(process.execPath, [ENTRY, "simulate", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function untilServing(run: Running): Promise<string> {
  const deadline = Date.now() + 8_000;
  while (!run.stdout().includes("Serving until")) {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}: ${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no banner; stderr: ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return run.stdout();
}

function printed(stdout: string, label: string): string {
  const url = new RegExp(`^  ${label}\\s+(http://127\\.0\\.0\\.1:\\d+/\\S*)`, "m").exec(stdout)?.[1];
  if (!url) throw new Error(`no ${label} in:\n${stdout}`);
  return url;
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("eventlog-sync simulate", () => {
  it("serves both APIs on loopback, prints URLs and tokens, and exits 0 on SIGTERM", async () => {
    const run = simulate([
      "--altcraft-port",
      "0",
      "--yandex-port",
      "0",
      "--seed",
      "3",
      "--yandex-logins",
      "2",
      "--altcraft-campaigns",
      "3",
    ]);
    const out = await untilServing(run);
    const apiRoot = printed(out, "API root");
    const endpoint = printed(out, "endpoint");
    expect(apiRoot).toMatch(/\/api\/v1\.1\/$/);
    expect(endpoint).toMatch(/\/live\/v4\/json\/$/);
    expect(out).toContain("altcraft-sim-token");
    expect(out).toMatch(/agency-token\s+login agency \(agency\); its clients via param.Logins: client-1, client-2/);
    expect(out).toMatch(/advertiser-token\s+login advertiser/);
    expect(out).toMatch(/client-2-token\s+login client-2/);
    expect(out).toContain("GET events?login=<login>");
    expect(out).toMatch(/curl -s -X POST '.*campaigns\/list'/);

    const from = new Date(Date.now() - 6 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const events = await postJson(endpoint, {
      method: "GetEventsLog",
      param: { TimestampFrom: from, Currency: "RUB" },
      token: "agency-token",
    });
    expect(Array.isArray(events.data), JSON.stringify(events)).toBe(true);

    const campaigns = await postJson(`${apiRoot}campaigns/list`, { token: "altcraft-sim-token" });
    expect(campaigns.error).toBe(0);
    expect(campaigns.data).toHaveLength(3);

    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain("stopping the simulators");
    await expect(fetch(endpoint, { method: "POST", body: "{}" })).rejects.toThrow();
  });

  it("serves AgencyClients.get with the agency-client flags", async () => {
    const run = simulate([
      "--yandex-logins",
      "4",
      "--yandex-listed-clients",
      "3",
      "--yandex-archived-clients",
      "1",
      "--yandex-client-currencies",
      "client-2=USD",
      "--yandex-agency-page-cap",
      "2",
      "--yandex-agency-omit-empty",
    ]);
    const out = await untilServing(run);
    const agencyEndpoint = printed(out, "agency");
    expect(agencyEndpoint).toMatch(/\/json\/v5\/agencyclients$/);
    const list = async (criteria: Record<string, unknown>, offset: number) => {
      const res = await fetch(agencyEndpoint, {
        method: "POST",
        headers: { authorization: "Bearer agency-token", "content-type": "application/json" },
        body: JSON.stringify({
          method: "get",
          params: {
            SelectionCriteria: criteria,
            FieldNames: ["Login", "Archived", "Currency"],
            Page: { Offset: offset },
          },
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("Units")).toMatch(/^\d+\/\d+\/\d+$/);
      return ((await res.json()) as { result: Record<string, unknown> }).result;
    };
    expect(await list({}, 0)).toEqual({
      Clients: [
        { Login: "client-1", Archived: "NO", Currency: "RUB" },
        { Login: "client-2", Archived: "NO", Currency: "USD" },
      ],
      LimitedBy: 2,
    });
    expect(await list({}, 2)).toEqual({ Clients: [{ Login: "client-3", Archived: "YES", Currency: "RUB" }] });
    expect(await list({ Logins: ["client-4"] }, 0)).toEqual({});
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });

  it.each([
    [["--error-rate", "1.5"], "Expected `--error-rate` to be a share in [0, 1], got `1.5`"],
    [
      ["--yandex-logins", "2", "--yandex-listed-clients", "5"],
      "Expected `--yandex-listed-clients` to be an integer in [0, 2], got `5`",
    ],
    [["--yandex-client-currencies", "client-1=GBP"], "Expected `--yandex-client-currencies` to be mixed, one of RUB"],
    [["--altcraft-campaigns", "many"], "Expected `--altcraft-campaigns` to be an integer ≥ 0, got `many`"],
    [
      ["--yandex-order", "random"],
      "Expected `--yandex-order` to be one of ascending, descending, shuffled-within-second, got `random`",
    ],
    // Passes the flag's own parser; the simulator's range check refuses it, still naming the flag.
    [
      ["--yandex-events-per-hour", "5000"],
      "Expected `--yandex-events-per-hour` to be a number in [0, 3000], got `5000`",
    ],
    [["--altcraft-rows-per-run", "2"], "Expected `--altcraft-rows-per-run` to be an integer in [4, 10000000], got `2`"],
    [["--host", "0.0.0.0"], "Expected `--host` to be a loopback address (127.0.0.0/8 or ::1), got `0.0.0.0`"],
  ])("exits 1 naming the flag and the value for %j", async (args, message) => {
    const run = simulate(args);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain(message);
    expect(run.stdout()).not.toContain("Serving until");
  });
});
