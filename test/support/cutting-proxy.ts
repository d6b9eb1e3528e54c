/**
 * A loopback TCP proxy in front of the test PostgreSQL that cuts connections: connection number i (from 0)
 * is cut when its client sends its `cutAt(i)`-th chunk (1: the startup message; more: a few statements in),
 * before the chunk reaches the server; `undefined` forwards the connection untouched.
 */
import { createServer, connect, type Socket } from "node:net";

export interface CuttingProxy {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startCuttingProxy(
  target: { host: string; port: number },
  cutAt: (connection: number) => number | undefined,
): Promise<CuttingProxy> {
  let connections = 0;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const limit = cutAt(connections++);
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    let chunks = 0;
    client.on("data", (chunk: Buffer) => {
      if (limit !== undefined && ++chunks >= limit) {
        cuts++;
        cut();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    get connections() {
      return connections;
    },
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
