// The glossary in docs/architecture.md covers the product's words: every word of an exported type name in
// the engine, the sources, the warehouse and the HTTP layer is a glossary term or a plain programming word.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const doc = readFileSync(new URL("docs/architecture.md", root), "utf8");
const glossary = doc.slice(doc.indexOf("## Glossary"), doc.indexOf("## Layers"));
const glossaryWords = new Set(
  [...glossary.matchAll(/\*\*([^*]+)\*\*/g)].flatMap((m) => (m[1] ?? "").toLowerCase().match(/[a-z]+/g) ?? []),
);

/** Words of programming or plain English, and the APIs' own names: not the product's vocabulary. */
const PLAIN = new Set(
  (
    "altcraft yandex direct get post log sync assert same covers of to out new end finish change scope selection " +
    "column columns specs kind table types database input item entry envelope params format query example filter " +
    "options settings context dependencies hooks notice result summary text error class counter numbered mapped " +
    "configured listed load loaded rejected range stuck gauge update api factory connection closed criteria " +
    "paging access limits response read open writer policy answer asking part migration down dropped newer data " +
    "loss refused holder wait timeout queryable catalog relation schema owner login lookup queue bytes planned gone " +
    "opened attempt"
  ).split(" "),
);

function exportedTypeNames(): string[] {
  const out = execFileSync(
    "git",
    [
      "grep",
      "-hoE",
      "^export (interface|type|class) [A-Z][A-Za-z]+",
      "--",
      "src/sync",
      "src/sources",
      "src/warehouse",
      "src/http",
    ],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  return [
    ...new Set(
      out
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(" ")[2] ?? ""),
    ),
  ];
}

describe("docs/architecture.md, Glossary", () => {
  it("names every word the product's type names use", () => {
    const names = exportedTypeNames();
    expect(names.length).toBeGreaterThan(50);
    const missing = names.flatMap((name) =>
      (name.match(/[A-Z][a-z]*/g) ?? [])
        .map((w) => w.toLowerCase())
        .filter((w) => !glossaryWords.has(w) && !glossaryWords.has(w.replace(/s$/, "")) && !PLAIN.has(w))
        .map((w) => `${w} (${name})`),
    );
    expect(missing).toEqual([]);
  });

  it("defines the words the engine's terminology comment lists", () => {
    const engine = readFileSync(new URL("src/sync/run-stream.engine.ts", root), "utf8");
    const line = engine.match(/Terminology: docs\/architecture\.md, Glossary — ([^.\n]+)/)?.[1] ?? "";
    const words = line.split(",").map((w) => w.trim());
    expect(words.length).toBeGreaterThan(5);
    for (const word of words) expect(glossaryWords.has(word), word).toBe(true);
  });
});
