// The layer rules of eslint.config.js bite: an import across a forbidden boundary, or SQL outside the
// warehouse, is a lint error, and the allowed directions stay clean (docs/architecture.md, Layers); so are
// parameter properties and enums.
import { ESLint } from "eslint";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: fileURLToPath(new URL("../..", import.meta.url)) });

/** Lint errors of `code` as if it were the file at `filePath` (nothing is written). */
async function errorsOf(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

const IMPORT_RULE = "@typescript-eslint/no-restricted-imports";

describe("layer rules", () => {
  it.each([
    ["src/sources/altcraft/probe.ts", 'import { loadBatch } from "../../warehouse/load-page.js";'],
    ["src/warehouse/probe.ts", 'import { post } from "../http/post.js";'],
    ["src/warehouse/probe.ts", 'import { readEventWindows } from "../sources/yandex-direct/events.stream.js";'],
    ["src/sync/probe.ts", 'import { main } from "../cli/main.js";'],
    ["src/daemon/probe.ts", 'import { main } from "../cli/main.js";'],
    ["src/http/probe.ts", 'import type { Warehouse } from "../warehouse/database.js";'],
    ["src/simulators/common/probe.ts", 'import { post } from "../../http/post.js";'],
    ["src/errors-probe.ts", 'import type { Config } from "./config/config.schema.js";'],
  ])("refuses %s importing across a boundary: %s", async (filePath, code) => {
    const errors = await errorsOf(
      filePath,
      `${code}\nexport const used = [${code.match(/\{ (?:type )?(\w+)/)?.[1]}];\n`,
    );
    expect(
      errors.some((e) => e.startsWith(IMPORT_RULE) && e.includes("docs/architecture.md")),
      errors.join("\n"),
    ).toBe(true);
  });

  it.each([
    ["src/sync/probe.ts", 'import { sql } from "kysely";'],
    ["src/cli/probe.ts", 'import { sql } from "kysely";'],
    ["src/daemon/probe.ts", 'import pg from "pg";'],
    ["src/sources/probe.ts", 'import type pg from "pg";'],
  ])("refuses SQL outside the warehouse: %s %s", async (filePath, code) => {
    const errors = await errorsOf(
      filePath,
      `${code}\nexport const used = [${code.includes("sql") ? "sql" : "null as unknown as pg.Pool"}];\n`,
    );
    expect(
      errors.some((e) => e.startsWith(IMPORT_RULE) && e.includes("src/warehouse/")),
      errors.join("\n"),
    ).toBe(true);
  });

  it.each([
    [
      "src/sync/probe.ts",
      'import { loadBatch } from "../warehouse/load-page.js";\nimport { post } from "../http/post.js";\nexport const used = [loadBatch, post];',
    ],
    ["src/cli/probe.ts", 'import { runSync } from "../sync/run-sync.js";\nexport const used = [runSync];'],
    ["src/warehouse/probe.ts", 'import { sql } from "kysely";\nimport pg from "pg";\nexport const used = [sql, pg];'],
    ["src/postgres/probe.ts", 'import pg from "pg";\nexport const used = [pg];'],
    ["src/sources/probe.ts", 'import { post } from "../http/post.js";\nexport const used = [post];'],
  ])("allows %s", async (filePath, code) => {
    expect(await errorsOf(filePath, code)).toEqual([]);
  });

  it("refuses parameter properties and enums", async () => {
    const errors = await errorsOf(
      "src/http/probe.ts",
      "export class Probe {\n  constructor(readonly timeoutMs: number) {}\n}\nexport enum Mode {\n  A,\n}\n",
    );
    expect(
      errors.some((e) => e.startsWith("@typescript-eslint/parameter-properties")),
      errors.join("\n"),
    ).toBe(true);
    expect(
      errors.some((e) => e.startsWith("no-restricted-syntax")),
      errors.join("\n"),
    ).toBe(true);
  });

  // Kills: the size rule dropped from eslint.config.js, or its limits raised.
  it("refuses a function over 60 lines and a file over 300 in src/, and allows them at the limits", async () => {
    const fn = (lines: number) =>
      `export function probe(): number {\n${"  void 0;\n".repeat(lines - 3)}  return 1;\n}\n`;
    const file = (lines: number) => "export const x = 1;\n".repeat(lines);
    expect(await errorsOf("src/sync/probe.ts", fn(60))).toEqual([]);
    expect((await errorsOf("src/sync/probe.ts", fn(61))).join("\n")).toMatch(/^max-lines-per-function:/);
    expect(await errorsOf("src/sync/probe.ts", file(300))).toEqual([]);
    expect((await errorsOf("src/sync/probe.ts", file(301))).join("\n")).toMatch(/^max-lines:/);
  });
});
