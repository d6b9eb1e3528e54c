/**
 * The README's queries for BI tools, on a warehouse large enough that the planner prefers indexes: none
 * reads an event table (yandex_direct.events, altcraft.campaign_log) from end to end, and each answers.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventTablesScanned, fillAnalystData } from "../support/analyst-data.js";
import { readmeQueries } from "../support/readme.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/** Queries that find nothing in this data: every generated run has finished, every stream is new. */
const EMPTY_HERE = new Set([
  "Campaigns running right now",
  "Streams without a complete read for 2 hours, or whose last run did not succeed (an alert query)",
]);

let database: TestDatabase;
const queries = readmeQueries(
  await readFile(new URL("../../README.md", import.meta.url), "utf8"),
  "Querying from BI tools",
);

beforeAll(async () => {
  database = await createTestDatabase();
  await fillAnalystData(database.warehouse.pool, { events: 200_000, logRows: 20_000 });
}, 300_000);

afterAll(async () => {
  await database?.drop();
});

describe("README: querying from BI tools", () => {
  it("has the analysts' usual questions", () => {
    expect(queries.map((q) => q.title)).toEqual(
      expect.arrayContaining([
        "Events of one login per day and type, last 30 days",
        "Events of one campaign per day, last 90 days",
        "Money credited per login and day, in each currency",
        "Slowest finished runs of the last 7 days, with their warnings and errors",
        "The newest event of every stream, and how many rows each holds",
      ]),
    );
  });

  it.each(queries.map((q) => [q.title, q.sql]))(
    "%s: no sequential scan of an event table, and rows come back",
    async (title, text) => {
      expect(await eventTablesScanned(database.warehouse.pool, text)).toEqual([]);
      const result = await database.warehouse.pool.query(text);
      if (EMPTY_HERE.has(title)) expect(result.rowCount).toBe(0);
      else expect(result.rowCount).toBeGreaterThan(0);
    },
  );
});
