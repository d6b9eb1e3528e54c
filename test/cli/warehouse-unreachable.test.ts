// A warehouse that does not answer never hangs a run: the connect timeout ends it with exit 1 and a message.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli } from "../support/cli.js";

let server: Server;
let port: number;
let dir: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  // Accepts connections and never says a word: a host behind a firewall that drops, or a server stuck.
  server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-unreachable-"));
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("a warehouse that does not answer", () => {
  it("ends sync with exit 1 within the connect timeout, saying so", async () => {
    const file = join(dir, "config.yaml");
    await writeFile(
      file,
      stringify({
        database: { connectTimeout: "1s" },
        sources: {
          yandex_direct: {
            accounts: [
              { name: "a", token: "${YD_TOKEN}", currency: "RUB", endpoint: "http://127.0.0.1:9/live/v4/json/" },
            ],
          },
        },
      }),
    );
    const started = Date.now();
    const result = await runCli(["sync", "-c", file], {
      env: { DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/warehouse`, YD_TOKEN: "t" },
      timeoutMs: 30_000,
    });
    const elapsed = Date.now() - started;
    expect(result.code, result.stderr).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toMatch(/timeout/i);
    // The CLI's own start-up takes a few seconds on a busy machine; without the timeout it would wait for TCP.
    expect(elapsed).toBeLessThan(15_000);
    expect(sockets.length).toBeGreaterThan(0);
  });
});
