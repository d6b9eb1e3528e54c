import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layers of src/ and which may import which: docs/architecture.md, "Layers". Each directory below lists
// the layers it must not import; test/lint/layers.test.ts proves the rules bite.
const ARCHITECTURE = "see docs/architecture.md, Layers";

const shared = { group: ["../shared/*", "../../shared/*"], message: "shared/ is reference material, not code" };

/** Import patterns for the given top-level directories of src/ (`warehouse` → any path through a warehouse/ directory). */
const layers = (dirs, message) => ({
  group: dirs.flatMap((dir) => [`**/${dir}/**`, `${dir}/**`]),
  message: `${message} (${ARCHITECTURE})`,
});

// SQL lives in src/warehouse/ (and migrations/): nowhere else builds a raw statement or opens a pg client.
const sqlOutsideWarehouse = [
  {
    name: "kysely",
    importNames: ["sql"],
    message: `SQL lives in src/warehouse/: add a repository function there (${ARCHITECTURE})`,
  },
  { name: "pg", message: `pg connections and statements live in src/warehouse/ (${ARCHITECTURE})` },
  { name: "pg-copy-streams", message: `COPY lives in src/warehouse/ (${ARCHITECTURE})` },
];

/**
 * One ESLint block per layer. A later block that sets the same rule replaces it for the files it matches,
 * so every block carries its whole list.
 */
function layer(files, { forbidden = [], message = "", sql = true } = {}) {
  const patterns = [shared, ...(forbidden.length > 0 ? [layers(forbidden, message)] : [])];
  return {
    files,
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { patterns, paths: sql ? sqlOutsideWarehouse : [] }],
    },
  };
}

const ALL = [
  "cli",
  "daemon",
  "sync",
  "sources",
  "warehouse",
  "simulators",
  "http",
  "config",
  "postgres",
  "log",
  "time",
];
const except = (...allowed) => ALL.filter((dir) => !allowed.includes(dir));

export default tseslint.config(
  { ignores: ["node_modules/**", ".eventlog-sync/**", "coverage/**", "dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // Plain TypeScript that strips to JavaScript: no parameter properties, no enums (a union of literals instead).
      "@typescript-eslint/parameter-properties": "error",
      "no-restricted-syntax": [
        "error",
        {
          selector: "TSEnumDeclaration",
          message: "use a union of string literals (and a const array when the values are needed at run time)",
        },
      ],
      "no-restricted-imports": "off",
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [shared] }],
    },
  },
  // cli/ wires everything together; nothing imports it.
  layer(["src/cli/**"]),
  layer(["src/daemon/**"], {
    forbidden: ["cli", "sources", "simulators", "postgres"],
    message: "daemon/ serves the results of runs: it uses sync/ and warehouse/, never cli/ or a source",
  }),
  layer(["src/sync/**"], {
    forbidden: ["cli", "daemon", "simulators", "postgres"],
    message: "sync/ is the engine: cli/ and daemon/ call it, not the other way round",
  }),
  layer(["src/sources/**"], {
    forbidden: except("sources", "http", "time", "log"),
    message: "sources/ read the APIs and never touch the warehouse or the config: only sync/ knows both sides",
  }),
  layer(["src/warehouse/**"], {
    forbidden: except("warehouse", "time", "log"),
    message: "warehouse/ stores rows and knows no source, HTTP or engine: only sync/ knows both sides",
    sql: false,
  }),
  layer(["src/http/**"], { forbidden: except("http", "time", "log"), message: "http/ is source-agnostic transport" }),
  layer(["src/config/**"], {
    forbidden: except("config", "time", "log"),
    message: "config/ turns a file into a Config and depends on no layer above it",
  }),
  layer(["src/postgres/**"], {
    forbidden: except("postgres", "log"),
    message: "postgres/ finds or starts a server and knows nothing of the product's tables",
    sql: false,
  }),
  layer(["src/log/**", "src/time/**", "src/*.ts"], {
    forbidden: except("time"),
    message: "the bottom layer imports nothing of the product above it",
  }),
  layer(["src/simulators/**"], {
    forbidden: except("simulators"),
    message: "simulators are an independent reading of the API contracts: they import nothing of the product",
  }),
  // Small units a newcomer can read whole: no function over 60 lines and no file over 300 in src/ (counted as
  // written, comments and blank lines included).
  {
    files: ["src/**"],
    rules: { "max-lines-per-function": ["error", { max: 60 }], "max-lines": ["error", { max: 300 }] },
  },
  // Only the commands write to the terminal; everything else logs through the logger it is given.
  { files: ["src/**"], ignores: ["src/cli/**", "src/simulators/**"], rules: { "no-console": "error" } },
  {
    files: ["migrations/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [shared, { group: ["**/src/**"], message: "migrations are frozen in time and never import src/" }],
        },
      ],
    },
  },
);
