// An agency whose client listing (AgencyClients.get) fails: `status` and `status --json` say so, per account,
// with the error and how old the streams shown are; before any stream exists as well as with known streams;
// a later complete listing clears it. The real CLI against the simulator.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runCli } from "../support/cli.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const HOUR = 3_600_000;
let sim: YandexDirectSimulator;
let database: TestDatabase;
let dir: string;
let file: string;

beforeAll(async () => {
  sim = await startYandexDirectSimulator({ seed: 7, clientLogins: 4, historyDays: 1, eventsPerHour: 2, latencyMs: 1 });
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-listing-failed-"));
  file = join(dir, "eventlog-sync.yaml");
  await writeFile(
    file,
    stringify({
      sources: {
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: sim.endpoint,
              currency: "RUB",
              logins: "all",
              discovery: { pageLimit: 2 },
              startTime: new Date(Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR).toISOString(),
              settleLag: "2s",
              retries: 1,
              retryMinDelay: "5ms",
              retryMaxDelay: "20ms",
            },
          ],
        },
      },
    }),
  );
});

afterAll(async () => {
  await sim?.close();
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const env = () => ({ DATABASE_URL: database.url, YD_TOKEN: "agency-token" });

interface Row {
  kind: string;
  source: string;
  account: string;
  stream: string | null;
  status: string;
  last_run_id: number | null;
  last_run_finished_at: string | null;
  last_error: string | null;
  last_complete_listing_at?: string | null;
}

async function status() {
  const text = await runCli(["status", "-c", file], { env: env() });
  const json = await runCli(["status", "--json", "-c", file], { env: env() });
  expect(text.code, text.stderr).toBe(0);
  expect(json.code, json.stderr).toBe(0);
  return { text: text.stdout, rows: JSON.parse(json.stdout) as Row[] };
}

async function listings() {
  const result = await database.warehouse.pool.query<{ run_id: string; complete: boolean; finished_at: Date }>(
    "select run_id, complete, finished_at from yandex_direct.client_listings order by run_id",
  );
  return result.rows;
}

const iso = (d: Date) => d.toISOString().replace(".000Z", "Z");

describe("status after an agency's listing failed", () => {
  it("says so before any stream exists, with known streams, and no more once a listing completes", async () => {
    // Kills: status reading only sync.stream_freshness (printed "no streams yet" and `[]` after a first
    // listing that failed, and nothing about a failed listing with known streams); the latest listing taken by
    // anything but its run (an old failure shown after a complete listing); the account row left out of --json.

    // 1. The first listing is refused: no streams, and status says why.
    sim.failAgencyClientsNext("agency-token", 53, 1);
    const refused = await runCli(["sync", "-c", file], { env: env() });
    expect(refused.code, refused.stderr).not.toBe(0);
    let seen = await status();
    const [first] = await listings();
    expect(first?.complete).toBe(false);
    expect(seen.text).toMatch(
      new RegExp(
        `^yandex_direct/agency {2}listing failed ${iso(first!.finished_at).replace(/[.]/g, "\\.")}: .*53.*; no complete listing yet$`,
        "m",
      ),
    );
    expect(seen.text).toContain("no streams yet");
    expect(seen.text).not.toContain("agency-token");
    expect(seen.rows).toEqual([
      {
        kind: "account",
        source: "yandex_direct",
        account: "agency",
        stream: null,
        status: "listing_failed",
        last_run_id: Number(first!.run_id),
        last_run_finished_at: first!.finished_at.toISOString(),
        last_error: expect.stringMatching(/53/),
        last_complete_listing_at: null,
      },
    ]);

    // 2. A complete listing: the streams, and no account line.
    const listed = await runCli(["sync", "-c", file], { env: env() });
    expect(listed.code, listed.stderr).toBe(0);
    seen = await status();
    expect(seen.text).not.toContain("listing failed");
    expect(seen.rows.map((r) => [r.kind, r.stream])).toEqual([
      ["stream", "client-1"],
      ["stream", "client-2"],
      ["stream", "client-3"],
      ["stream", "client-4"],
    ]);
    const complete = (await listings())[1];
    expect(complete?.complete).toBe(true);

    // 3. The listing breaks halfway: the known streams are read and shown, and the account line says they are
    //    as of the complete listing.
    sim.setOptions({ agencyClientsFailAfterPages: 1, agencyClientsFailure: 1000 });
    const halfway = await runCli(["sync", "-c", file], { env: env() });
    expect(halfway.code, halfway.stderr).not.toBe(0);
    seen = await status();
    const broken = (await listings())[2];
    expect(broken?.complete).toBe(false);
    const line = seen.text.split("\n").find((l) => l.startsWith("yandex_direct/agency "));
    expect(line).toBe(
      `yandex_direct/agency  listing failed ${iso(broken!.finished_at)}: ${line?.match(/: (.*); streams/)?.[1]}; ` +
        `streams below are as of the last complete listing (${iso(complete!.finished_at)})`,
    );
    expect(line).toMatch(/1000/);
    expect(seen.text).toMatch(/^STREAM/m);
    expect(seen.text).toMatch(/^yandex_direct\/agency\/client-4 /m);
    const accounts = seen.rows.filter((r) => r.kind === "account");
    expect(accounts).toEqual([
      expect.objectContaining({
        account: "agency",
        status: "listing_failed",
        last_run_id: Number(broken!.run_id),
        last_error: expect.stringMatching(/1000/),
        last_complete_listing_at: complete!.finished_at.toISOString(),
      }),
    ]);
    expect(seen.rows.filter((r) => r.kind === "stream")).toHaveLength(4);

    // 4. The listing works again: the line is gone.
    sim.setOptions({ agencyClientsFailAfterPages: 0 });
    const healed = await runCli(["sync", "-c", file], { env: env() });
    expect(healed.code, healed.stderr).toBe(0);
    seen = await status();
    expect(seen.text).not.toContain("listing failed");
    expect(seen.rows.every((r) => r.kind === "stream")).toBe(true);
  }, 120_000);
});
