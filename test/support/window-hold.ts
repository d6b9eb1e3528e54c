/**
 * A loopback proxy in front of the Yandex.Direct simulator that watches the GetEventsLog windows of each login
 * and can hold them, to prove on the server's side how many windows of one stream are in flight at once and in
 * what order their answers may come, with no timing:
 * - it counts the requests of each login in flight at the server (arrival to answer sent), and the most;
 * - armed with `hold(at, windows)`, it holds every request of a window starting at or after `at` until
 *   `windows` distinct such windows wait at once; then it lets all of them go but the earliest one, and holds
 *   that one until every other has read to its end (an empty answer) — so a later window's answer is complete
 *   before an earlier one's; the earliest is then answered, or failed with quota error 152 (`fail`).
 * A reader that never has `windows` windows in flight waits on its request until the client's timeout.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Request {
  login: string;
  /** The window's TimestampFrom, ms (the window starts a second later). */
  from: number;
  offset: number;
  body: Buffer;
  res: ServerResponse;
  req: IncomingMessage;
}

export interface WindowHold {
  url: string;
  /** Arms the hold: windows whose TimestampFrom is at or after `at`, `windows` of them at once. */
  hold(at: number, windows: number, fail?: boolean): void;
  /** Most requests of `login` in flight at the server at once. */
  peak(login: string): number;
  /** The held earliest window's TimestampFrom once the hold let the others go, ms. */
  readonly earliest: number | undefined;
  /** The other windows of the hold that read to their end before the earliest was answered. */
  readonly finishedBefore: number;
  close(): Promise<void>;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startWindowHold(target: string): Promise<WindowHold> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const inFlight = new Map<string, number>();
  const peaks = new Map<string, number>();
  let armed: { at: number; windows: number; fail: boolean } | undefined;
  let held: Request[] = [];
  let earliest: number | undefined;
  /** The windows let go by the hold that have not read to their end yet. */
  const running = new Set<number>();
  let finishedBefore = 0;

  const done = (login: string) => inFlight.set(login, (inFlight.get(login) ?? 1) - 1);
  const forward = (r: Request) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: "POST", path: r.req.url, headers: r.req.headers, agent },
      (answer) => {
        void readAll(answer).then((body) => {
          const items = (JSON.parse(body.toString("utf8")) as { data?: unknown[] }).data;
          if (running.has(r.from) && Array.isArray(items) && items.length === 0) {
            running.delete(r.from);
            finishedBefore++;
            if (running.size === 0) releaseEarliest();
          }
          done(r.login);
          r.res.writeHead(answer.statusCode ?? 502, answer.headers);
          r.res.end(body);
        });
      },
    );
    out.on("error", (err) => r.res.destroy(err));
    out.end(r.body);
  };
  const releaseEarliest = () => {
    const waiting = held;
    held = [];
    for (const r of waiting) {
      if (!armed?.fail) forward(r);
      else {
        done(r.login);
        r.res.writeHead(200, { "content-type": "application/json" });
        r.res.end(JSON.stringify({ error_code: 152, error_str: "Not enough units", error_detail: "held window" }));
      }
    }
    armed = undefined;
  };
  const letGo = () => {
    const first = Math.min(...held.map((r) => r.from));
    earliest = first;
    const others = held.filter((r) => r.from !== first);
    held = held.filter((r) => r.from === first);
    for (const r of others) running.add(r.from);
    for (const r of others) forward(r);
  };
  const onRequest = (r: Request) => {
    const n = (inFlight.get(r.login) ?? 0) + 1;
    inFlight.set(r.login, n);
    peaks.set(r.login, Math.max(peaks.get(r.login) ?? 0, n));
    if (!armed || r.from < armed.at || (earliest !== undefined && r.from !== earliest)) return forward(r);
    held.push(r);
    if (earliest === undefined && new Set(held.map((h) => h.from)).size >= armed.windows) letGo();
  };

  const server = createServer((req, res) => {
    void readAll(req).then((body) => {
      const param = (JSON.parse(body.toString("utf8")) as { param?: Record<string, unknown> }).param ?? {};
      const logins = param.Logins as string[] | undefined;
      onRequest({
        login: logins?.[0] ?? "(owner)",
        from: Date.parse(String(param.TimestampFrom)),
        offset: Number(param.Offset ?? 0),
        body,
        res,
        req,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    hold(at, windows, fail = false) {
      armed = { at, windows, fail };
      earliest = undefined;
      finishedBefore = 0;
    },
    peak: (login) => peaks.get(login) ?? 0,
    get earliest() {
      return earliest;
    },
    get finishedBefore() {
      return finishedBefore;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of held) r.res.destroy();
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
