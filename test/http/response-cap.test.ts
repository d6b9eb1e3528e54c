// A response body is counted while it streams: past `http.maxResponseBytes` the read stops, that request fails
// with "response body over N bytes" and is not retried, so an enormous body never sits in memory.
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { ResponseTooLargeError } from "../../src/errors.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { createHttpAgent, DEFAULT_MAX_RESPONSE_BYTES, post } from "../../src/http/http.post.js";
import { classifyFailure } from "../../src/http/retry.policy.js";
import { readBody, type RunningServer, startHttpServer } from "../../src/simulators/common/loopback.server.js";
import { runSync } from "../../src/sync/run-sync.engine.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const CHUNK = Buffer.alloc(16 * 1024, "x");

/** Writes `total` bytes in chunks, waiting for the client to take each; resolves with the bytes written when the response closes. */
async function stream(res: ServerResponse, total: number): Promise<number> {
  let written = 0;
  let closed = false;
  res.on("close", () => (closed = true));
  while (written < total && !closed) {
    const piece = CHUNK.subarray(0, Math.min(CHUNK.length, total - written));
    written += piece.length;
    if (!res.write(piece) && !closed) {
      // Each wait takes its listeners off again: a long response waits for many drains.
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.once("drain", done);
        res.once("close", done);
      });
    }
  }
  if (!closed) res.end();
  return written;
}

let server: RunningServer;
let database: TestDatabase;
/** What the server wrote for each request, once its response closed. */
const sent: Array<Promise<number>> = [];
beforeAll(async () => {
  database = await createTestDatabase();
  server = await startHttpServer(async (req, res) => {
    await readBody(req);
    const url = new URL(req.url ?? "/", "http://localhost");
    const bytes = Number(url.searchParams.get("bytes") ?? 64 * 1024 * 1024);
    const declared = url.searchParams.get("declare");
    res.writeHead(Number(url.searchParams.get("status") ?? 500), {
      "content-type": "text/html",
      ...(declared ? { "content-length": declared } : {}),
    });
    const done = stream(res, bytes);
    sent.push(done);
    await done;
  });
});
afterAll(async () => {
  await server.close();
  await database.drop();
});

describe("a response body", () => {
  it("of exactly the cap is read; one byte more fails the request, not to be retried", async () => {
    const agent = createHttpAgent({ maxResponseBytes: 1000 });
    const options = { timeoutMs: 10_000, agent, redact: (t: string) => t };
    try {
      const ok = await post(`${server.url}/?status=200&bytes=1000`, "{}", options);
      expect(ok.body).toHaveLength(1000);
      const over = await post(`${server.url}/?status=200&bytes=1001`, "{}", options).catch((err: unknown) => err);
      expect(over).toBeInstanceOf(ResponseTooLargeError);
      expect((over as Error).message).toMatch(/^response body over 1000 bytes/);
      expect(classifyFailure(over)).toBe("fatal");
      // A declared length over the cap fails before the body is read.
      const declared = await post(`${server.url}/?status=200&bytes=5000&declare=5000`, "{}", options).catch(
        (err: unknown) => err,
      );
      expect((declared as Error).message).toMatch(/^response body over 1000 bytes \(Content-Length 5000\)/);
    } finally {
      await agent.close();
    }
  });

  it("defaults to a cap of 64 MiB", () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(64 * 1024 * 1024);
    const sources = { altcraft: { accounts: [{ name: "a", token: "${T}" }] } };
    const env = { T: "t" };
    expect(parseConfig({ sources }, env).http.maxResponseBytes).toBe(64 * 1024 * 1024);
    expect(parseConfig({ sources, http: { maxResponseBytes: "512KiB" } }, env).http.maxResponseBytes).toBe(512 * 1024);
    expect(parseConfig({ sources, http: { maxResponseBytes: 1000 } }, env).http.maxResponseBytes).toBe(1000);
    expect(() => parseConfig({ sources, http: { maxResponseBytes: "lots" } }, env)).toThrow(
      /http\.maxResponseBytes: expected a size/,
    );
  });

  it("of 64 MiB behind an HTTP 500, against a 64 KiB cap: the stream fails once with the cap named, and the server could not send it all", async () => {
    sent.length = 0;
    const config = parseConfig(
      {
        http: { maxResponseBytes: "64KiB" },
        sources: {
          yandex_direct: {
            accounts: [
              {
                name: "own",
                token: "${T}",
                endpoint: `${server.url}/live/v4/json/?status=500`,
                currency: "RUB",
                startTime: "2026-06-01T09:00:00Z",
                settleLag: "1s",
                retries: 3,
                retryMinDelay: "1ms",
                retryMaxDelay: "5ms",
              },
            ],
          },
        },
      },
      { T: "token-of-the-test" },
    );
    const summary = await runSync({
      warehouse: database.warehouse,
      config,
      log: createLogger({ level: "silent" }),
      signal: new AbortController().signal,
      command: "test",
      now: () => new Date("2026-06-01T12:00:00Z"),
    });
    expect(summary.streams[0]?.status).toBe("failed");
    expect(summary.streams[0]?.error).toMatch(/response body over 65536 bytes/);
    // One request, not retried; the server wrote far less than the body before the client hung up.
    expect(sent).toHaveLength(1);
    const written = await sent[0];
    expect(written).toBeGreaterThan(65_536);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });
});
