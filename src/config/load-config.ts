/**
 * File + environment → one frozen, validated Config. `${VAR}` anywhere in a string value is replaced by
 * the environment variable; `token` fields must be such references (or `${file:/path}` to read a file),
 * so secrets never sit in the file. Every problem is reported at once, each with its path.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError, toError } from "../errors.js";
import { crossAccountProblems } from "./config.checks.js";
import { type Config, configSchema } from "./config.schema.js";

const REFERENCE = /\$\{([^}]+)\}/g;

type Path = ReadonlyArray<string | number>;

function showPath(path: Path): string {
  return path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${key}` : key),
    "",
  );
}

function resolveReferences(value: unknown, env: NodeJS.ProcessEnv, path: Path, problems: string[]): unknown {
  if (typeof value === "string") {
    const isSecret = path[path.length - 1] === "token";
    if (isSecret && !/^\s*\$\{[^}]+\}\s*$/.test(value)) {
      problems.push(
        `${showPath(path)}: tokens come from the environment or a file: write \${VAR_NAME} or \${file:/path/to/token}, not the token itself`,
      );
      return value;
    }
    return value.replace(REFERENCE, (_, ref: string) => {
      if (ref.startsWith("file:")) {
        try {
          return readFileSync(ref.slice(5), "utf8").trim();
        } catch (err) {
          problems.push(`${showPath(path)}: cannot read ${ref.slice(5)}: ${toError(err).message}`);
          return "";
        }
      }
      const found = env[ref];
      if (found === undefined || found === "") {
        problems.push(`${showPath(path)}: environment variable ${ref} is not set`);
        return "";
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveReferences(item, env, [...path, i], problems));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveReferences(v, env, [...path, k], problems)]),
    );
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !(value instanceof Date)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Validates an already parsed document. */
export function parseConfig(document: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const resolved = resolveReferences(document ?? {}, env, [], problems);
  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    // A reference that could not be resolved is already reported; its empty value needs no second line.
    const reported = new Set(problems.map((p) => p.slice(0, p.indexOf(": "))));
    for (const issue of result.error.issues) {
      const where = showPath(issue.path as Path) || "(top level)";
      if (!reported.has(where)) problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  problems.push(...crossAccountProblems(result.data));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(result.data);
}

/** Reads a YAML or JSON file (JSON is YAML) and validates it. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the file: ${toError(err).message}`]);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML or JSON: ${toError(err).message}`]);
  }
  return parseConfig(document, env);
}
