// docs/architecture.md stays true: every code name it quotes exists in src/ (outside comments), every file it
// names exists, and its layer table says what each layer of src/ really imports. Kills: a function renamed or
// removed while the document still quotes it (`yandexDirectJobs` for `planYandexDirectJobs`), and a layer that
// starts or stops importing another without the table saying so.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOC = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** A file's code without its comments (string contents stay: API field names live in them). */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");

const read = (file: string) => ({ file, code: withoutComments(readFileSync(join(ROOT, file), "utf8")) });
const SRC = sourceFiles("src").map(read);
/** Test support, which only the document's Conventions quote (`useProcessTest`). */
const SUPPORT = sourceFiles("test/support").map(read);

/** Every `code span` of the document. */
const spansOf = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
const codeSpans = spansOf(DOC);
const CONVENTIONS = DOC.indexOf("## Conventions");

/**
 * The names of code the document quotes: an identifier with a capital (camelCase, PascalCase, CONSTANT_CASE),
 * with or without a call's `()`. All-lowercase words are SQL, statuses or config words, checked elsewhere.
 */
export function quotedCodeNames(spans: string[]): string[] {
  const names = spans
    .map((span) => span.replace(/\(\)$/, ""))
    .filter((span) => /^[A-Za-z_$][\w$]*$/.test(span) && /[A-Z]/.test(span) && /[a-z]/.test(span));
  return [...new Set(names)].sort();
}

/** Files the document names: `src/…`, `test/…`, `migrations/…` paths, globs (`*`) and shortenings (`…`) aside. */
export function quotedFiles(spans: string[]): string[] {
  const paths = spans.filter((span) => /^(src|test|docs|deploy)\/[\w./-]+\.(ts|md|ya?ml|json)$/.test(span));
  return [...new Set(paths)].sort();
}

const LAYERS = ["cli", "daemon", "sync", "sources", "warehouse", "http", "config", "postgres", "simulators"];
const BOTTOM = ["log", "time", "errors.ts", "vocabulary.ts"];

/** What the layer table says each layer may import, "the bottom" spelled out. */
function claimedImports(): Map<string, Set<string>> {
  const claims = new Map<string, Set<string>>();
  for (const [, layer, allowed] of DOC.matchAll(/^\| `(\w+)\/` \| [^|]+ \| ([^|]+) \|$/gm)) {
    if (allowed!.trim() === "anything") continue; // cli/ wires everything
    const names = [...allowed!.matchAll(/`(\w+)\/`/g)].map((m) => m[1]!);
    claims.set(layer!, new Set([...names, ...(allowed!.includes("the bottom") ? BOTTOM : [])]));
  }
  return claims;
}

/** The top-level parts of src/ (a directory, or a file of the bottom) and of the repository the files of one layer import. */
function actualImports(layer: string): Set<string> {
  const used = new Set<string>();
  for (const { file, code } of SRC.filter((f) => f.file.startsWith(`src/${layer}/`))) {
    const depth = file.split("/").length - 2; // directories between src/ and the file
    for (const [, up, first] of code.matchAll(/from "((?:\.\.\/)+)([\w.-]+)/g)) {
      const levels = up!.length / 3;
      // Fewer levels stay inside the layer; one more than depth leaves src/ (migrations/).
      if (levels < depth || levels > depth + 1) continue;
      if (first !== layer) used.add(first!.replace(/\.js$/, ".ts"));
    }
  }
  return used;
}

describe("docs/architecture.md", () => {
  it("quotes only code names that exist in src/ (test support in its Conventions)", () => {
    const defined = (name: string, files: { code: string }[]) =>
      files.some(({ code }) => new RegExp(`(?<![\\w$])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(code));
    const product = quotedCodeNames(spansOf(DOC.slice(0, CONVENTIONS)));
    const conventions = quotedCodeNames(spansOf(DOC.slice(CONVENTIONS)));
    expect(product.length).toBeGreaterThan(60);
    expect([
      ...product.filter((name) => !defined(name, SRC)),
      ...conventions.filter((name) => !defined(name, [...SRC, ...SUPPORT])),
    ]).toEqual([]);
  });

  it("places each code name in the file it names beside it (`name`, `src/…`)", () => {
    const pairs = [...DOC.matchAll(/`([A-Za-z_$][\w$]*)(?:\(\))?`,? (?:in )?\(?`(src\/[\w./-]+\.ts)`/g)]
      .map((m) => ({
        name: m[1]!,
        file: m[2]!,
      }))
      .filter(({ name }) => /[A-Z]/.test(name)); // code names, not columns (`nul_replaced`)
    expect(pairs.length).toBeGreaterThan(20);
    const misplaced = pairs.filter(({ name, file }) => {
      const code = SRC.find((f) => f.file === file)?.code ?? "";
      return !new RegExp(`(?<![\\w$])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(code);
    });
    expect(misplaced.map(({ name, file }) => `${name} in ${file}`)).toEqual([]);
  });

  it("names only files that exist", () => {
    const files = quotedFiles(codeSpans);
    expect(files.length).toBeGreaterThan(30);
    expect(files.filter((file) => !existsSync(join(ROOT, file)))).toEqual([]);
  });

  it("says in its layer table what each layer imports, and nothing it does not", () => {
    const claims = claimedImports();
    const wired = ["cli"];
    expect([...claims.keys()].filter((layer) => LAYERS.includes(layer)).sort()).toEqual(
      LAYERS.filter((layer) => !wired.includes(layer)).sort(),
    );
    const wrong = [...claims]
      .filter(([layer]) => LAYERS.includes(layer))
      .flatMap(([layer, claimed]) => {
        const actual = actualImports(layer);
        const unclaimed = [...actual].filter((part) => !claimed.has(part));
        const unused = [...claimed].filter((part) => !BOTTOM.includes(part) && !actual.has(part));
        return [
          ...unclaimed.map((p) => `${layer}/ imports ${p} (not in the table)`),
          ...unused.map((p) => `${layer}/ is said to import ${p}/ but does not`),
        ];
      });
    expect(wrong).toEqual([]);
  });

  it("says the simulators import nothing of the product", () => {
    expect(DOC).toMatch(/\| `simulators\/` \| [^|]+ \| nothing of the product \|/);
    expect([...actualImports("simulators")]).toEqual([]);
  });
});
