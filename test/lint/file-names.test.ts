// One naming habit for every file of src/: `<subject>.<role>.ts` (`streams.repository.ts`, `events.window.ts`,
// `request-budget.slots.ts`), each part kebab-case; a role is spelled one way (no `command` beside `commands`).
// The exceptions are named by how they are used: entry points (`main.ts`, `healthcheck.ts`, `index.ts`) and the
// two modules of the bottom layer every layer imports (`errors.ts`, `vocabulary.ts`). Kills: a new file without
// a role (`src/warehouse/bookkeeping.retention.ts`), and a plural twin of a role (`maintenance.command.ts`).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXCEPTIONS = new Set(["main.ts", "healthcheck.ts", "index.ts", "errors.ts", "vocabulary.ts"]);
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*\.ts$/;

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return files(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const SRC = files("src");
const fileName = (path: string) => path.slice(path.lastIndexOf("/") + 1);
const roleOf = (path: string) => fileName(path).split(".")[1]!;

describe("file names in src/", () => {
  it("are <subject>.<role>.ts, entry points and the bottom layer's two modules aside", () => {
    expect(SRC.length).toBeGreaterThan(100);
    expect(SRC.filter((path) => !EXCEPTIONS.has(fileName(path)) && !NAME.test(fileName(path)))).toEqual([]);
  });

  it("spell each role one way", () => {
    const roles = new Set(SRC.filter((path) => NAME.test(fileName(path))).map(roleOf));
    expect([...roles].filter((role) => role.endsWith("s") && roles.has(role.slice(0, -1)))).toEqual([]);
  });
});
