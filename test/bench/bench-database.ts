/** A fresh, migrated database for a benchmark: on DATABASE_URL when set, otherwise on an embedded PostgreSQL. */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { provisionDatabase } from "../../src/postgres/database.provision.js";
import { openWarehouse, type Warehouse } from "../../src/warehouse/warehouse.database.js";
import { migrateToLatest } from "../../src/warehouse/migrations.runner.js";
import { withDatabase } from "../support/database-url.js";

export interface BenchDatabase {
  url: string;
  warehouse: Warehouse;
  where: string;
  close(): Promise<void>;
}

export async function openBenchDatabase(name: string): Promise<BenchDatabase> {
  const dir = process.env.DATABASE_URL ? undefined : await mkdtemp(join(tmpdir(), "eventlog-sync-bench-"));
  if (dir) await chmod(dir, 0o755);
  const server = await provisionDatabase({
    databaseUrl: process.env.DATABASE_URL,
    embeddedDataDir: dir && join(dir, "data"),
  });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = withDatabase(server.url, name);
  const warehouse = openWarehouse(url, { maxConnections: 8 });
  await migrateToLatest(warehouse.db);
  return {
    url,
    warehouse,
    where: server.kind === "external" ? "DATABASE_URL" : "embedded PostgreSQL",
    close: async () => {
      await warehouse.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      await server.release();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The middle value of `values` (the upper one of an even count); NaN when there is none. */
export const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Reads `--name value` from argv, with a default. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`Expected \`--${name}\` to be a positive number, got \`${process.argv[i + 1]}\``);
  return value;
}

/** Reads `--name value` from argv; undefined when it is not given. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** The machine's CPU busy time so far, ms, and its total (every core, other processes included). */
export function machineCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** The share of the machine's CPU used since `from` (machineCpu()), 0–1. */
export function machineBusySince(from: { busy: number; total: number }): number {
  const now = machineCpu();
  return (now.busy - from.busy) / Math.max(1, now.total - from.total);
}
