/**
 * The README's read-only BI role, run statement by statement against a migrated warehouse: the role reads
 * the tables and views, cannot write, and its sessions start read-only with a statement timeout.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { biRoleRecipe } from "../support/readme.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
const role = `bi_reader_${randomBytes(6).toString("hex")}`;
const password = randomBytes(18).toString("base64url");

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.warehouse.pool.query(`drop owned by ${role}`).catch(() => undefined);
  await database?.warehouse.pool.query(`drop role if exists ${role}`);
  await database?.drop();
});

describe("the README's read-only BI role", () => {
  it("reads, cannot write, and starts every session read-only with a statement timeout", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const statement of biRoleRecipe(readme)) {
      const sql = statement
        .replace(/\bbi_reader\b/g, role)
        .replace(/database eventlog\b/, `database ${database.name}`)
        .replace(/password '[^']*'/, `password '${password}'`);
      await database.warehouse.pool.query(sql);
    }
    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    const reader = new pg.Client({ connectionString: url.toString() });
    await reader.connect();
    try {
      const settings = await reader.query<{ read_only: string; timeout: string }>(
        "select current_setting('default_transaction_read_only') as read_only, current_setting('statement_timeout') as timeout",
      );
      expect(settings.rows[0]?.read_only).toBe("on");
      expect(settings.rows[0]?.timeout).not.toBe("0");
      const read = await reader.query<{ n: number }>(
        "select (select count(*)::int from sync.stream_freshness) + (select count(*)::int from yandex_direct.events) as n",
      );
      expect(read.rows[0]?.n).toBe(0);
      await expect(reader.query("insert into sync.runs (command, host, pid) values ('bi', 'bi', 1)")).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
      await expect(reader.query("update sync.streams set cursor = null")).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
      await expect(reader.query("create table altcraft.scratch (x int)")).rejects.toThrow(
        /read-only transaction|permission denied/,
      );
    } finally {
      await reader.end();
    }
  });
});
