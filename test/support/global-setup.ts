/**
 * Finds a PostgreSQL for the test suite, in this order: DATABASE_URL; a testcontainers container when a
 * Docker engine answers; an embedded PostgreSQL in a temporary directory. Then migrates a template
 * database once; every test file clones its own database from it (test-database.ts), so files run in
 * parallel without seeing each other's rows. The warehouse and processes projects share one server
 * (test/projects.ts).
 */
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/postgres/embedded.postgres.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { withDatabase } from "./database-url.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Connection string of a database with the right to create databases. */
    pgAdminUrl: string;
    /** Name of the migrated template database. */
    pgTemplate: string;
  }
}

async function dockerAnswers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync("/var/run/docker.sock")) return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startPostgres(): Promise<{ url: string; stop: () => Promise<void>; kind: string }> {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, stop: async () => undefined, kind: "DATABASE_URL" };
  }
  if (await dockerAnswers()) {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer("postgres:17-alpine").start();
    return {
      url: container.getConnectionUri(),
      stop: async () => void (await container.stop()),
      kind: "testcontainers",
    };
  }
  const dir = await mkdtemp(join(tmpdir(), "eventlog-sync-test-pg-"));
  // As root the server runs as the postgres user, which must be able to reach the data directory.
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(dir, "data") });
  return {
    url: server.url,
    kind: "embedded",
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface SharedPostgres {
  url: string;
  template: string;
  release(): Promise<void>;
}

/** Starts the server and migrates the template database. */
async function preparePostgres(): Promise<SharedPostgres> {
  const server = await startPostgres();
  const template = `eventlog_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.url });
  try {
    await admin.connect();
    await admin.query(`drop database if exists ${template}`);
    await admin.query(`create database ${template}`);
    const warehouse = openWarehouse(withDatabase(server.url, template), { maxConnections: 1 });
    try {
      await migrateToLatest(warehouse.db);
    } finally {
      await warehouse.close();
    }
  } catch (err) {
    await admin.end().catch(() => undefined);
    await server.stop();
    throw err;
  }
  return {
    url: server.url,
    template,
    release: async () => {
      await admin.query(`drop database if exists ${template} with (force)`).catch(() => undefined);
      await admin.end();
      await server.stop();
    },
  };
}

// The projects that need PostgreSQL share one server: the first to start brings it up, the last to end stops it.
let shared: Promise<SharedPostgres> | undefined;
let users = 0;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared ??= preparePostgres();
  users++;
  const postgres = await shared;
  project.provide("pgAdminUrl", postgres.url);
  project.provide("pgTemplate", postgres.template);
  return async () => {
    if (--users > 0) return;
    shared = undefined;
    await postgres.release();
  };
}
