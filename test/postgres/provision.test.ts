// Provisioning: DATABASE_URL as given, or an embedded PostgreSQL whose data directory persists and has one holder at a
// time.
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedPostgresError } from "../../src/errors.js";
import { defaultEmbeddedDataDir, provisionDatabase } from "../../src/postgres/database.provision.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-provision-"));
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

function holdInChild(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "../fixtures/hold-embedded-postgres.ts"), dataDir],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /ready (\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
    child.once("exit", (code) => reject(new Error(`holder exited with ${code}: ${err}`)));
  });
}

describe("provisionDatabase", () => {
  it("uses DATABASE_URL as given and starts nothing", async () => {
    const db = await provisionDatabase({ databaseUrl: "postgres://u:p@127.0.0.1:1/x" });
    expect(db).toMatchObject({ kind: "external", url: "postgres://u:p@127.0.0.1:1/x" });
    await db.release();
  });

  it("keeps the embedded data under the working directory by default", () => {
    expect(defaultEmbeddedDataDir("/srv/job")).toBe("/srv/job/.eventlog-sync/postgres");
  });

  it("starts an embedded PostgreSQL whose data persists across runs", async () => {
    const dataDir = join(dir, "persist");
    const first = await provisionDatabase({ embeddedDataDir: dataDir });
    expect(first.kind).toBe("embedded");
    await query(first.url, "create table kept (v text); insert into kept values ('still here')");
    await first.release();
    await first.release();
    const second = await provisionDatabase({ embeddedDataDir: dataDir });
    expect((await query(second.url, "select v from kept")).rows).toEqual([{ v: "still here" }]);
    await second.release();
  });

  it("refuses a second process on the same data directory with a clear message", async () => {
    const dataDir = join(dir, "busy");
    const { child, url } = await holdInChild(dataDir);
    try {
      const attempt = provisionDatabase({ embeddedDataDir: dataDir });
      await expect(attempt).rejects.toThrow(EmbeddedPostgresError);
      await expect(attempt).rejects.toThrow(
        new RegExp(`in use by another eventlog-sync process \\(pid ${child.pid}\\)`),
      );
      // The holder's server is untouched.
      expect((await query(url, "select 1 as one")).rows).toEqual([{ one: 1 }]);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    const after = await provisionDatabase({ embeddedDataDir: dataDir });
    await after.release();
  });

  it("recovers the directory after its holder was killed with SIGKILL", async () => {
    const dataDir = join(dir, "killed");
    const { child, url } = await holdInChild(dataDir);
    await query(url, "create table t (v int); insert into t select generate_series(1, 1000)");
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const next = await provisionDatabase({ embeddedDataDir: dataDir });
    try {
      expect((await query(next.url, "select count(*)::int as n from t")).rows).toEqual([{ n: 1000 }]);
    } finally {
      await next.release();
    }
  });
});
