// Times the built binary's start-up: CPU and wall time of `--help` and of a `sync` with nothing to do.
/**
 * bench:startup — `npm run bench:startup -- [--runs 5]` (builds first). Each measured command is a fresh
 * `node bin/eventlog-sync.js` process; its CPU time (user + system, from the process itself at exit) and
 * the wall time seen from here are printed as the median of the runs.
 *
 * The `sync` reads both simulators (in this process, on loopback) into a database on DATABASE_URL or an
 * embedded PostgreSQL: a first, unmeasured sync loads everything, so each measured one has nothing new to
 * read. Its wall time includes the database's own work and the simulators' answers; the "waiting" column
 * (wall − CPU) bounds that share. Targets on a 2-core machine: `--help` under 0.4 s CPU; the idle `sync`
 * under 1 s wall besides the database's own time. Prints; does not assert.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { startYandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { median, numberArg, openBenchDatabase } from "./bench-database.js";

const BIN = fileURLToPath(new URL("../../bin/eventlog-sync.js", import.meta.url));
const HOUR = 3_600_000;
const runs = numberArg("runs", 5);

/** Prints the process's own CPU time (µs, user + system) on stderr as it exits. */
const CPU_PROBE = `data:text/javascript,process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\ncpu-us "+(u.user+u.system)+"\\n")})`;

interface Sample {
  wallMs: number;
  cpuMs: number;
  code: number | null;
  stderr: string;
}

function measure(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--import", CPU_PROBE, BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      const wallMs = performance.now() - started;
      const cpu = /cpu-us (\d+)/.exec(stderr);
      if (!cpu) return reject(new Error(`no CPU time from \`${args.join(" ")}\` (exit ${code}):\n${stderr}`));
      resolve({ wallMs, cpuMs: Number(cpu[1]) / 1000, code, stderr });
    });
  });
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function series(
  label: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ wallMs: number; cpuMs: number }> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const sample = await measure(args, env);
    if (sample.code !== 0) throw new Error(`\`${args.join(" ")}\` exited ${sample.code}:\n${sample.stderr}`);
    samples.push(sample);
  }
  const wallMs = median(samples.map((x) => x.wallMs));
  const cpuMs = median(samples.map((x) => x.cpuMs));
  console.log(`  ${label.padEnd(26)} CPU ${s(cpuMs)}   wall ${s(wallMs)}   waiting ${s(Math.max(0, wallMs - cpuMs))}`);
  return { wallMs, cpuMs };
}

const bench = await openBenchDatabase("eventlog_bench_startup");
const dir = await mkdtemp(join(tmpdir(), "eventlog-sync-startup-"));
const yandex = await startYandexDirectSimulator({
  host: "127.0.0.1",
  seed: 5,
  clientLogins: 2,
  historyDays: 2,
  eventsPerHour: 8,
  latencyMs: 1,
});
const altcraft = await startAltcraftSimulator({
  host: "127.0.0.1",
  seed: 6,
  tokens: ["ac-startup-token"],
  campaigns: 3,
  historyDays: 2,
  runsPerDay: 4,
  rowsPerRun: 5,
  latencyMs: 1,
});
try {
  const startTime = new Date(Math.ceil((Date.now() - 24 * HOUR) / HOUR) * HOUR).toISOString();
  const config = join(dir, "eventlog-sync.yaml");
  await writeFile(
    config,
    stringify({
      sources: {
        altcraft: { accounts: [{ name: "main", token: "${AC_TOKEN}", url: altcraft.url, startTime }] },
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${YD_TOKEN}",
              endpoint: yandex.endpoint,
              currency: "RUB",
              logins: ["client-1", "client-2"],
              startTime,
              settleLag: "2s",
            },
          ],
        },
      },
    }),
  );
  const env = {
    DATABASE_URL: bench.url,
    YD_TOKEN: yandex.agency.token,
    AC_TOKEN: "ac-startup-token",
    EVENTLOG_SYNC_EMBEDDED_POSTGRES: "off",
  };
  console.log(`bench:startup — node ${process.version}, median of ${runs} runs, database on ${bench.where}`);
  const help = await series("eventlog-sync --help", ["--help"]);
  const loaded = await measure(["sync", "-c", config, "--log-level", "warn"], env);
  if (loaded.code !== 0) throw new Error(`the first sync exited ${loaded.code}:\n${loaded.stderr}`);
  const idle = await series("sync with nothing to do", ["sync", "-c", config, "--log-level", "warn"], env);
  console.log(
    `  targets: --help under 0.40 s CPU (${help.cpuMs < 400 ? "met" : "missed"}); idle sync under 1 s wall besides the database (wall ${s(idle.wallMs)})`,
  );
} finally {
  await Promise.all([yandex.close(), altcraft.close()]);
  await bench.close();
  await rm(dir, { recursive: true, force: true });
}
