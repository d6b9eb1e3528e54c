import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", ".eventlog-sync/**", "coverage/**", "dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["../shared/*", "../../shared/*"], message: "shared/ is reference material, not code" }] },
      ],
    },
  },
  {
    files: ["src/simulators/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/sources/**"], message: "simulators are an independent reading of the contracts" }] },
      ],
    },
  },
  {
    files: ["migrations/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/src/**"], message: "migrations are frozen in time and never import src/" }] },
      ],
    },
  },
);
