/**
 * The compose roles, run against the test PostgreSQL: the postgres container's init script
 * (deploy/postgres/initdb/10-roles.sh, reading the passwords from secret files) as the superuser, a migrate as the
 * sync role it creates, then the bi-grants service's script as that role. The sync role is no superuser and owns
 * the job's schemas; the BI role reads them and cannot write. The roles are renamed for the test (roles belong to
 * the whole server), the scripts are the deploy files themselves; without psql the SQL files run through pg.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { createEmptyDatabase, type TestDatabase } from "../support/test-database.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);
const suffix = randomBytes(5).toString("hex");
const writer = `eventlog_writer_${suffix}`;
const bi = `bi_reader_${suffix}`;
const passwords = {
  eventlog_writer_password: randomBytes(24).toString("hex"),
  bi_reader_password: randomBytes(24).toString("hex"),
};

let database: TestDatabase;
let dir: string;
let psql = false;

/** A deploy SQL file with this test's role names. */
const renamed = (file: string) =>
  readFileSync(join(ROOT, "deploy/postgres", file), "utf8")
    .replace(/\beventlog_writer\b/g, writer)
    .replace(/\bbi_reader\b/g, bi);

function asRole(role: string, password: string): string {
  const url = new URL(database.url);
  url.username = role;
  url.password = password;
  return url.toString();
}

/** The connection of `url` as libpq environment variables, for psql. */
function libpqEnv(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port || "5432",
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: u.pathname.slice(1),
  };
}

/** Runs SQL with psql variables (`:'name'` a literal, `:"name"` an identifier) through pg, for a machine without psql. */
async function runWithVariables(url: string, text: string, variables: Record<string, string>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sql = text
      .replace(/:'([a-z_]+)'/g, (_, name: string) => client.escapeLiteral(variables[name] ?? ""))
      .replace(/:"([a-z_]+)"/g, (_, name: string) => client.escapeIdentifier(variables[name] ?? ""));
    await client.query(`begin; ${sql}; commit`);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  database = await createEmptyDatabase();
  dir = mkdtempSync(join(tmpdir(), "eventlog-sync-compose-roles-"));
  for (const [name, value] of Object.entries(passwords)) writeFileSync(join(dir, name), `${value}\n`);
  for (const file of ["roles.sql", "bi-grants.sql"]) writeFileSync(join(dir, file), renamed(file));
  psql = await run("psql", ["--version"]).then(
    () => true,
    () => false,
  );
});

afterAll(async () => {
  await database?.drop();
  const admin = new pg.Client({ connectionString: inject("pgAdminUrl") });
  await admin.connect();
  try {
    for (const role of [bi, writer]) await admin.query(`drop role if exists ${role}`);
  } finally {
    await admin.end();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the compose roles", () => {
  it("are created by the init script, the sync role migrates, bi-grants lets the BI role read and nothing more", async () => {
    // The scripts read the SQL and the secret files from here instead of /etc/eventlog-sync/postgres and /run/secrets.
    const scriptEnv = { EVENTLOG_SYNC_POSTGRES_DIR: dir, EVENTLOG_SYNC_SECRETS_DIR: dir };
    const admin = libpqEnv(database.url);
    if (psql) {
      const init = await run("sh", [join(ROOT, "deploy/postgres/initdb/10-roles.sh")], {
        env: { ...process.env, ...admin, ...scriptEnv, POSTGRES_USER: admin.PGUSER ?? "", POSTGRES_DB: database.name },
      });
      for (const password of Object.values(passwords)) expect(init.stdout + init.stderr).not.toContain(password);
    } else {
      console.warn("psql is not installed: the init SQL runs through pg, not through 10-roles.sh");
      await runWithVariables(database.url, renamed("roles.sql"), {
        writer_password: passwords.eventlog_writer_password,
        bi_password: passwords.bi_reader_password,
        dbname: database.name,
      });
    }

    const roles = await database.warehouse.pool.query<{ name: string; super: boolean; createrole: boolean }>(
      "select rolname as name, rolsuper as super, rolcreaterole as createrole from pg_roles where rolname = any($1) order by 1",
      [[writer, bi]],
    );
    expect(roles.rows).toEqual([
      { name: bi, super: false, createrole: false },
      { name: writer, super: false, createrole: false },
    ]);

    const asWriter = openWarehouse(asRole(writer, passwords.eventlog_writer_password), { maxConnections: 2 });
    try {
      expect((await migrateToLatest(asWriter.db)).length).toBeGreaterThan(0);
    } finally {
      await asWriter.close();
    }

    if (psql) {
      // The password comes from the secret file, as in the container: not from this environment.
      const { PGPASSWORD: _, ...writerEnv } = libpqEnv(asRole(writer, passwords.eventlog_writer_password));
      await run("sh", [join(ROOT, "deploy/postgres/bi-grants.sh")], {
        env: { ...process.env, ...writerEnv, ...scriptEnv },
      });
    } else {
      await runWithVariables(asRole(writer, passwords.eventlog_writer_password), renamed("bi-grants.sql"), {});
    }

    const owners = await database.warehouse.pool.query<{ owner: string }>(
      "select distinct pg_get_userbyid(nspowner) as owner from pg_namespace where nspname in ('altcraft', 'yandex_direct', 'sync', 'eventlog_sync')",
    );
    expect(owners.rows).toEqual([{ owner: writer }]);

    const reader = new pg.Client({ connectionString: asRole(bi, passwords.bi_reader_password) });
    await reader.connect();
    try {
      await reader.query("select * from sync.stream_freshness limit 1");
      await reader.query("select * from yandex_direct.money_movements limit 1");
      await reader.query("select * from altcraft.campaign_runs limit 1");
      await reader.query("set default_transaction_read_only = off");
      await expect(reader.query("insert into sync.runs (command, host, pid) values ('bi', 'bi', 1)")).rejects.toThrow(
        /permission denied/,
      );
      await expect(reader.query("create temporary table scratch (x int)")).rejects.toThrow(/permission denied/);
      const settings = await reader.query<{ idle: string }>(
        "select current_setting('idle_in_transaction_session_timeout') as idle",
      );
      expect(settings.rows[0]?.idle).toBe("5min");
    } finally {
      await reader.end();
    }
  });
});
