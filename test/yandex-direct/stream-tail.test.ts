// A stream reading its last windows (its tail) hands its turn to the run's next stream: with one stream at a time,
// the second login is read while the first one's last window is still in flight. A proxy in front of the simulator
// holds the first login's last window until the second login asks for anything, so no timing decides it: a run
// that keeps the turn until the first stream ends never lets the hold go, and the held request fails at its timeout.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { startYandexScenario } from "../support/yandex-scenario.js";

const { database, start } = useScenarioDatabase(startYandexScenario);
const [FIRST, SECOND] = ["client-1", "client-2"];

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A loopback proxy holding the first request of `held` for a window that ends at or after `end` (the read's last
 * window) until a request of `awaited` arrives; it records whether one did while the hold was on.
 */
async function startTailHold(upstream: string, held: string, awaited: string, end: number) {
  const target = new URL(upstream);
  const seen = { held: false, awaitedWhileHeld: false };
  let release: (() => void) | undefined;
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const out = httpRequest(
      { host: target.hostname, port: target.port, method: "POST", path: req.url, headers: req.headers },
      (answer) =>
        void readAll(answer).then((bytes) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(bytes);
        }),
    );
    out.on("error", (err) => res.destroy(err));
    out.end(body);
  };
  const server = createServer((req, res) => {
    void readAll(req).then((body) => {
      const param = (JSON.parse(body.toString("utf8")) as { param?: Record<string, unknown> }).param ?? {};
      const login = (param.Logins as string[] | undefined)?.[0];
      if (login === awaited && release) {
        seen.awaitedWhileHeld = true;
        release();
        release = undefined;
      }
      if (login === held && !seen.held && Date.parse(String(param.TimestampTo)) >= end) {
        seen.held = true;
        release = () => forward(req, body, res);
        return;
      }
      forward(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("a stream in its tail", () => {
  // Kills "a stream's tail never hands its turn on", "the account tells a stream no tail" and "no stream may be in
  // its tail": the second login would start only once the first one's last window had been answered.
  it("hands its turn to the next stream: the next login is read while its last window is in flight", async () => {
    let hold: Awaited<ReturnType<typeof startTailHold>> | undefined;
    const clock = Date.UTC(2026, 10, 20, 12);
    const s = await start({
      now: clock,
      logins: [FIRST, SECOND],
      sync: { parallelStreams: 1 },
      simulator: { historyDays: 1, eventsPerHour: 30, concurrentRequests: 0 },
      // retries 0: the held request, never let go, fails the first stream at its timeout.
      account: { pageLimit: 50, requestsAhead: 2, timeout: "10s", retries: 0 },
      // The read's end: the clock less the settle lag (60 s).
      front: async (upstream) => (hold = await startTailHold(upstream, FIRST, SECOND, clock - 60_000)),
    });
    const run = await s.run(database.warehouse);
    expect(hold?.seen.held).toBe(true);
    expect(hold?.seen.awaitedWhileHeld).toBe(true);
    expect(run.streams.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    await s.expectGroundTruth(database.warehouse);
    await s.expectCaughtUp(database.warehouse);
  });
});
