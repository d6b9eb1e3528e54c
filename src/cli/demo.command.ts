/**
 * `eventlog-sync demo`: the whole job on embedded defaults — an embedded PostgreSQL (unless DATABASE_URL
 * is set), both API simulators on loopback, a backfill and then an incremental run, a summary per stream,
 * three analyst queries, and how to connect a BI tool. The data persists, so a second demo is incremental.
 * Options and help: cli.program.ts.
 */
import type { Config } from "../config/config.schema.js";
import { parseConfig } from "../config/config.loader.js";
import { startAltcraftSimulator } from "../simulators/altcraft/index.js";
import { startYandexDirectSimulator } from "../simulators/yandex-direct/index.js";
import { type RunSummary, runSync } from "../sync/run-sync.engine.js";
import { freePortOr } from "../postgres/port.finder.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { countRuns, EXAMPLE_QUERIES, type ExampleQuery, runExampleQuery } from "../warehouse/demo.repository.js";
import type { CommandContext } from "./command.context.js";
import { withWarehouse } from "./warehouse.session.js";

/** The demo's embedded PostgreSQL listens here when the port is free, so the connection string stays the same. */
const DEMO_PORT = 54329;

function demoConfig(
  yandexEndpoint: string,
  altcraftUrl: string,
  tokens: { agency: string; advertiser: string; altcraft: string },
): Config {
  return parseConfig(
    {
      sync: { parallelStreams: 4 },
      sources: {
        altcraft: {
          accounts: [{ name: "demo", token: "${ALTCRAFT_TOKEN}", url: altcraftUrl, startTime: "30d", concurrency: 5 }],
        },
        yandex_direct: {
          accounts: [
            {
              name: "demo-agency",
              token: "${AGENCY_TOKEN}",
              endpoint: yandexEndpoint,
              currency: "RUB",
              // Every client the agency lists (AgencyClients.get), found again on each run.
              logins: "all",
              startTime: "30d",
              concurrency: 5,
            },
            {
              name: "demo-advertiser",
              token: "${ADVERTISER_TOKEN}",
              endpoint: yandexEndpoint,
              currency: "EUR",
              locale: "ru",
              startTime: "30d",
            },
          ],
        },
      },
    },
    { AGENCY_TOKEN: tokens.agency, ADVERTISER_TOKEN: tokens.advertiser, ALTCRAFT_TOKEN: tokens.altcraft },
  );
}

function summarise(title: string, summary: RunSummary, seconds: number): void {
  const by = new Map<
    string,
    { streams: number; inserted: number; duplicates: number; requests: number; failed: number }
  >();
  for (const s of summary.streams) {
    const key = `${s.identity.source}/${s.identity.account}`;
    const t = by.get(key) ?? { streams: 0, inserted: 0, duplicates: 0, requests: 0, failed: 0 };
    t.streams++;
    t.inserted += s.inserted;
    t.duplicates += s.duplicates;
    t.requests += s.requests;
    if (s.status !== "succeeded" && s.status !== "skipped") t.failed++;
    by.set(key, t);
  }
  console.log(`\n${title}: run ${summary.runId} ${summary.status} in ${seconds.toFixed(1)} s`);
  for (const [key, t] of by) {
    console.log(
      `  ${key.padEnd(34)} ${String(t.streams).padStart(4)} streams  ${String(t.inserted).padStart(8)} new  ${String(t.duplicates).padStart(6)} already held  ${String(t.requests).padStart(5)} requests${t.failed ? `  ${t.failed} not succeeded` : ""}`,
    );
  }
}

async function table(warehouse: Warehouse, query: ExampleQuery): Promise<void> {
  const rows = await runExampleQuery(warehouse.db, query);
  console.log(`\n${query.title}\n${query.sql.replace(/^/gm, "    ")}`);
  const columns = rows[0] ? Object.keys(rows[0]) : [];
  const show = (v: unknown) =>
    v instanceof Date ? v.toISOString().replace(".000Z", "Z") : v === null ? "" : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => show(r[c]).length)));
  console.log(`  ${columns.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`);
  for (const row of rows) console.log(`  ${columns.map((c, i) => show(row[c]).padEnd(widths[i] ?? 0)).join("  ")}`);
}

export interface DemoOptions {
  /** Keep PostgreSQL and the simulators up afterwards, until Ctrl-C. */
  serve?: boolean;
  /** Log only warnings and errors: the demo prints its own summary. */
  quiet?: boolean;
}

export async function runDemo(options: DemoOptions, context: CommandContext): Promise<void> {
  const log = context.log();
  if (options.quiet) log.level = "warn";
  const session = context.session();
  const [yandex, altcraft] = await Promise.all([
    // The advertiser's login is what Clients.get tells the demo-advertiser account, which does not name it.
    startYandexDirectSimulator({
      seed: 1,
      clientLogins: 3,
      historyDays: 30,
      eventsPerHour: 8,
      advertiserLogin: "demo-shop",
    }),
    startAltcraftSimulator({ seed: 1, campaigns: 25, historyDays: 30 }),
  ]);
  try {
    const config = demoConfig(yandex.endpoint, altcraft.url, {
      agency: yandex.agency.token,
      advertiser: yandex.advertiser.token,
      altcraft: altcraft.tokens[0] ?? "",
    });
    const port = session.port ?? (session.databaseUrl ? undefined : await freePortOr(DEMO_PORT));
    await withWarehouse({ ...session, port, log, maxConnections: 12 }, async ({ warehouse, database, signal }) => {
      console.log(
        `Warehouse: ${database.kind === "embedded" ? `embedded PostgreSQL, data in ${database.dataDir}` : "DATABASE_URL"}`,
      );
      console.log(`Simulators: Yandex.Direct ${yandex.endpoint} · Altcraft ${altcraft.url}/api/v1.1/`);
      const fresh = (await countRuns(warehouse.db)) === 0;
      if (!fresh) console.log("The warehouse already holds earlier demo runs: both runs below are incremental.");
      for (const title of [fresh ? "Backfill (first run)" : "Incremental run", "Incremental run"]) {
        const started = performance.now();
        const summary = await runSync({ warehouse, config, log, signal, command: "demo" });
        summarise(title, summary, (performance.now() - started) / 1000);
        if (signal.aborted) return;
      }
      for (const query of EXAMPLE_QUERIES) await table(warehouse, query);
      const url = database.kind === "embedded" ? database.url : "(your DATABASE_URL)";
      console.log(`\nConnect psql or a BI tool (Metabase, Superset, Grafana, Excel over ODBC) to:\n  ${url}`);
      if (database.kind === "embedded") {
        console.log(
          "  host 127.0.0.1, port",
          new URL(database.url).port,
          "database eventlog, user eventlog, password eventlog",
        );
        if (!options.serve)
          console.log(
            "  The embedded server stops with this command: run `npx eventlog-sync demo --serve` to keep it up.",
          );
      }
      if (options.serve) {
        console.log("\nServing until Ctrl-C…");
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      }
    });
  } finally {
    await Promise.all([yandex.close(), altcraft.close()]);
  }
}
