// SIGTERM while an account's streams are still being listed (Altcraft campaigns/list, Yandex.Direct
// AgencyClients.get), before any stream starts: the run is interrupted, not failed, and the account's
// streams keep the status they had; nothing records the signal as their error.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { killRunningClis, startCli } from "../support/cli.js";
import { createTestDatabase, emptyWarehouse, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
let dir: string;
let server: Server;
let url: string;
const held: ServerResponse[] = [];
let onRequest: () => void = () => undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-listing-"));
  // A source that takes the listing request and never answers it.
  server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    held.push(res);
    onRequest();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  killRunningClis();
  for (const res of held) res.destroy();
  await new Promise((resolve) => server.close(resolve));
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cases = [
  {
    source: "altcraft",
    account: "main",
    streamKey: "42",
    config: () => ({ altcraft: { accounts: [{ name: "main", token: "${TOKEN}", url, startTime: "1d" }] } }),
  },
  {
    source: "yandex_direct",
    account: "agency",
    streamKey: "client-1",
    config: () => ({
      yandex_direct: {
        accounts: [
          { name: "agency", token: "${TOKEN}", endpoint: `${url}/live/v4/json/`, currency: "RUB", logins: "all" },
        ],
      },
    }),
  },
] as const;

describe("SIGTERM during an account's listing", () => {
  it.each(cases)(
    "$source: the run is interrupted and the streams keep their status",
    async ({ source, account, streamKey, config }) => {
      // Kills: the listing's abort taken for the account failing, which marked its streams failed with
      // "stopped by SIGTERM" and the run failed.
      await emptyWarehouse(database.warehouse);
      const { stream_id: streamId } = await database.warehouse.db
        .insertInto("sync.streams")
        .values({ source, account, stream_key: streamKey, status: "succeeded" })
        .returning("stream_id")
        .executeTakeFirstOrThrow();
      const file = join(dir, `${source}.yaml`);
      await writeFile(file, stringify({ sources: config() }));
      const listing = new Promise<void>((resolve) => (onRequest = resolve));
      const cli = startCli(["sync", "-c", file], { env: { DATABASE_URL: database.url, TOKEN: "t" } });
      await listing;
      process.kill(cli.pid, "SIGTERM");
      const exit = await cli.exited;
      expect(exit.code, exit.stderr).toBe(2);
      expect(exit.stdout).toMatch(/^run \d+: interrupted/m);
      const stream = await database.warehouse.db
        .selectFrom("sync.streams")
        .select(["status", "last_error"])
        .where("stream_id", "=", streamId)
        .executeTakeFirstOrThrow();
      expect(stream).toEqual({ status: "succeeded", last_error: null });
      const runs = await database.warehouse.db.selectFrom("sync.runs").select(["status", "error"]).execute();
      expect(runs).toEqual([{ status: "interrupted", error: "interrupted by a signal" }]);
      const streamRuns = await database.warehouse.db.selectFrom("sync.stream_runs").select("status").execute();
      expect(streamRuns).toEqual([]);
    },
  );
});
