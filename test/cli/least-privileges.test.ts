/**
 * The README's least privileges: a role created by its recipe (CONNECT, CREATE and TEMPORARY on the database, no
 * superuser, nothing in public) runs `migrate`, `sync` and `status` end to end as child processes against both
 * simulators, on a database where public is closed and TEMPORARY is taken from PUBLIC, and owns exactly the
 * schemas it uses.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator, type YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { runCli } from "../support/cli.js";
import { readmeRecipe } from "../support/readme.js";
import { createEmptyDatabase, dropRoles, type TestDatabase } from "../support/test-database.js";

const AC_TOKEN = "ac-least-privileges-5d1e";
const YD_TOKEN = "yd-least-privileges-8c3a";
const role = `eventlog_writer_${randomBytes(5).toString("hex")}`;
const password = randomBytes(18).toString("hex");

let altcraft: AltcraftSimulator;
let yandex: YandexDirectSimulator;
let database: TestDatabase;
let dir: string;

beforeAll(async () => {
  altcraft = await startAltcraftSimulator({
    host: "127.0.0.1",
    seed: 23,
    tokens: [AC_TOKEN],
    campaigns: 2,
    historyDays: 1,
  });
  yandex = await startYandexDirectSimulator({
    seed: 23,
    agencyToken: YD_TOKEN,
    clientLogins: 2,
    historyDays: 1,
    eventsPerHour: 20,
  });
  database = await createEmptyDatabase();
  dir = await mkdtemp(join(tmpdir(), "eventlog-sync-least-privileges-"));
});

afterAll(async () => {
  await altcraft?.close();
  await yandex?.close();
  // The role owns objects only in this database: once it is dropped, the role can go.
  await database?.drop();
  await dropRoles(role);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("least privileges", () => {
  it("a role that owns only its schemas migrates, syncs both sources and reads status, with public closed", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    for (const statement of readmeRecipe(readme, /create role eventlog_writer/i)) {
      await database.warehouse.pool.query(
        statement
          .replace(/\beventlog_writer\b/g, role)
          .replace(/database eventlog\b/, `database ${database.name}`)
          .replace(/password '[^']*'/, `password '${password}'`),
      );
    }
    // What the BI role recipe does to the database, and public closed as on PostgreSQL 15+.
    await database.warehouse.pool.query(`revoke temporary on database ${database.name} from public`);
    await database.warehouse.pool.query("revoke create on schema public from public");
    const before = await database.warehouse.pool.query<{ superuser: boolean; public_create: boolean }>(
      `select rolsuper as superuser, has_schema_privilege($1, 'public', 'create') as public_create
         from pg_roles where rolname = $1`,
      [role],
    );
    expect(before.rows[0]).toEqual({ superuser: false, public_create: false });

    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    const env = { DATABASE_URL: url.toString(), AC_TOKEN, YD_TOKEN };
    const config = join(dir, "config.yaml");
    await writeFile(
      config,
      stringify({
        sources: {
          altcraft: { accounts: [{ name: "main", token: "${AC_TOKEN}", url: altcraft.url, startTime: "2d" }] },
          yandex_direct: {
            accounts: [
              {
                name: "agency",
                token: "${YD_TOKEN}",
                endpoint: yandex.endpoint,
                currency: "RUB",
                logins: ["client-1", "client-2"],
                startTime: "2d",
                settleLag: "2s",
              },
            ],
          },
        },
      }),
    );

    const migrate = await runCli(["migrate"], { env, cwd: dir });
    expect(migrate.code, migrate.stderr).toBe(0);
    const sync = await runCli(["sync", "-c", config], { env, cwd: dir });
    expect(sync.code, sync.stderr).toBe(0);
    const status = await runCli(["status"], { env, cwd: dir });
    expect(status.code, status.stderr).toBe(0);

    const loaded = await database.warehouse.pool.query<{ altcraft: number; yandex: number }>(
      `select (select count(*)::int from altcraft.campaign_log) as altcraft,
              (select count(*)::int from yandex_direct.events) as yandex`,
    );
    expect(loaded.rows[0]?.altcraft).toBeGreaterThan(0);
    expect(loaded.rows[0]?.yandex).toBeGreaterThan(0);

    // The role owns its five schemas and everything in them, and created nothing anywhere else.
    const owners = await database.warehouse.pool.query<{ schema: string; owner: string }>(
      `select nspname as schema, pg_get_userbyid(nspowner) as owner from pg_namespace
        where nspname in ('altcraft', 'yandex_direct', 'sync', 'sync_private', 'eventlog_sync') order by 1`,
    );
    expect(owners.rows).toEqual(
      ["altcraft", "eventlog_sync", "sync", "sync_private", "yandex_direct"].map((schema) => ({ schema, owner: role })),
    );
    const elsewhere = await database.warehouse.pool.query<{ name: string }>(
      `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relowner = (select oid from pg_roles where rolname = $1)
          and n.nspname not in ('altcraft', 'yandex_direct', 'sync', 'sync_private', 'eventlog_sync') and n.nspname <> 'pg_toast' and n.nspname not like 'pg_temp%'`,
      [role],
    );
    expect(elsewhere.rows).toEqual([]);
  }, 120_000);
});
