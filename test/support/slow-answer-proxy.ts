/**
 * A loopback TCP proxy in front of the test PostgreSQL whose answers arrive late: what the client sends goes
 * through at once, what the server sends back is held for `delayMs` (in order). Seen from the client, the
 * database does its work at once and the answer is read late, as in a process too busy to read it.
 */
import { connect, createServer, type Socket } from "node:net";

export interface SlowAnswerProxy {
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  close(): Promise<void>;
}

export async function startSlowAnswerProxy(url: string, delayMs: number): Promise<SlowAnswerProxy> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => setTimeout(() => client.destroy(), delayMs));
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    // Timers of one duration fire in the order they were set: the answers keep their order.
    upstream.on("data", (chunk: Buffer) => setTimeout(() => client.write(chunk), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
