/**
 * File + environment → one frozen, validated Config. `${VAR}` anywhere in a string value is replaced by
 * the environment variable; `token` fields must be such references (or `${file:/path}` to read a file),
 * so secrets never sit in the file. A value that is one whole reference (`port: ${PORT}`) and lands where a
 * number or a boolean is expected is read as one: the environment holds only text. Every problem is reported
 * at once, each with its path.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError, toError } from "../errors.js";
import { crossAccountProblems } from "./config.checks.js";
import type { z } from "zod";
import { type Config, configSchema, type DatabaseSettings } from "./config.schema.js";

const REFERENCE = /\$\{([^}]+)\}/g;
const WHOLE_REFERENCE = /^\s*\$\{[^}]+\}\s*$/;

type Path = ReadonlyArray<string | number>;

function showPath(path: Path): string {
  return path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${key}` : key),
    "",
  );
}

/** What resolving references found: the problems, and the paths whose whole value came from one reference. */
interface Resolution {
  problems: string[];
  fromReference: Set<string>;
}

function resolveReferences(value: unknown, env: NodeJS.ProcessEnv, path: Path, found: Resolution): unknown {
  const { problems } = found;
  if (typeof value === "string") {
    const isSecret = path[path.length - 1] === "token";
    const whole = WHOLE_REFERENCE.test(value);
    if (isSecret && !whole) {
      problems.push(
        `${showPath(path)}: tokens come from the environment or a file: write \${VAR_NAME} or \${file:/path/to/token}, not the token itself`,
      );
      return value;
    }
    if (whole && !isSecret) found.fromReference.add(showPath(path));
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
  if (Array.isArray(value)) return value.map((item, i) => resolveReferences(item, env, [...path, i], found));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveReferences(v, env, [...path, k], found)]),
    );
  }
  return value;
}

/** The number or boolean a text from the environment spells, or undefined when it spells none. */
function fromText(text: string, expected: string): number | boolean | undefined {
  const trimmed = text.trim();
  if (expected === "number") return /^[+-]?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : undefined;
  if (expected === "boolean") {
    const word = trimmed.toLowerCase();
    return word === "true" ? true : word === "false" ? false : undefined;
  }
  return undefined;
}

/**
 * Reads as a number or boolean every value that came whole from a reference where the schema found text but
 * expected a number or a boolean. Returns whether any value changed (then the document is validated again).
 */
function coerceReferences(
  document: unknown,
  issues: ReadonlyArray<{ code: string; path: PropertyKey[]; expected?: unknown }>,
  fromReference: ReadonlySet<string>,
): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== "invalid_type" || typeof issue.expected !== "string") continue;
    const path = issue.path as Array<string | number>;
    if (path.length === 0 || !fromReference.has(showPath(path))) continue;
    let parent: unknown = document;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown> | undefined)?.[key];
    const key = path[path.length - 1] as string | number;
    if (!parent || typeof parent !== "object") continue;
    const holder = parent as Record<string | number, unknown>;
    const text = holder[key];
    if (typeof text !== "string") continue;
    const value = fromText(text, issue.expected);
    if (value === undefined) continue;
    holder[key] = value;
    changed = true;
  }
  return changed;
}

/**
 * A YAML error quotes the offending line: a connection string's password, or a token written in the file by
 * mistake, would reach the terminal and the logs. The quote keeps its shape with those masked.
 */
export function redactConfigText(text: string): string {
  return (
    text
      // user:password@ — or, in a line the quote cut short, everything after `user:` (a port is masked too).
      .replace(
        /([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):(?:\S*@|\S*)/gi,
        (all, user: string) => `${user}:[redacted]${all.includes("@") ? "@" : ""}`,
      )
      .replace(/\b(password|passwd|token)(\s*[=:]\s*)(?!\$\{)[^\s,;}]+/gi, "$1$2[redacted]")
  );
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !(value instanceof Date)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** `document` with its references resolved, validated by `schema`; throws the ConfigError listing every problem. */
function validate<T>(schema: z.ZodType<T>, document: unknown, env: NodeJS.ProcessEnv): T {
  const found: Resolution = { problems: [], fromReference: new Set() };
  const { problems } = found;
  const resolved = resolveReferences(document ?? {}, env, [], found);
  let result = schema.safeParse(resolved);
  if (!result.success && coerceReferences(resolved, result.error.issues, found.fromReference))
    result = schema.safeParse(resolved);
  if (!result.success) {
    // A reference that could not be resolved is already reported; its empty value needs no second line.
    const reported = new Set(problems.map((p) => p.slice(0, p.indexOf(": "))));
    for (const issue of result.error.issues) {
      const where = showPath(issue.path as Path) || "(top level)";
      if (!reported.has(where)) problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Validates an already parsed document. */
export function parseConfig(document: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const config = validate(configSchema, document, env);
  const problems = crossAccountProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** The parsed document of a YAML or JSON file (JSON is YAML). */
function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the file: ${toError(err).message}`]);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file}: not valid YAML or JSON: ${redactConfigText(toError(err).message)}`]);
  }
}

/** Reads a YAML or JSON file and validates it. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(readDocument(file), env);
}

const warehouseOnly = configSchema.pick({ database: true });

/**
 * The `database` block of a file, read as loadConfig reads it (the same `${VAR}` references, defaults and
 * problems with their paths) and nothing else: for the commands that only open the warehouse (status,
 * reset, migrate), which need no tokens and must work where the tokens are not in the environment.
 */
export function loadDatabaseSettings(file: string, env: NodeJS.ProcessEnv = process.env): DatabaseSettings {
  const document = readDocument(file);
  const database =
    document !== null && typeof document === "object" ? (document as { database?: unknown }).database : undefined;
  return deepFreeze(validate(warehouseOnly, { database }, env).database);
}
