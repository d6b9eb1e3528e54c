// `eventlog-sync demo` backfills a fresh embedded warehouse from both simulators, then runs again incrementally.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "eventlog-sync-demo-"));
  await chmod(cwd, 0o755);
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("eventlog-sync demo", () => {
  it("backfills a fresh embedded warehouse from both simulators, then runs again incrementally", async () => {
    const env = { DATABASE_URL: "", EVENTLOG_SYNC_DATA_DIR: "", EVENTLOG_SYNC_CONFIG: "" };
    const first = await runCli(["demo"], { cwd, env, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`embedded PostgreSQL, data in ${join(cwd, ".eventlog-sync", "postgres")}`);
    expect(first.stdout).toMatch(/Backfill \(first run\): run 1 succeeded/);
    expect(first.stdout).toMatch(/altcraft\/demo\s+\d+ streams\s+[1-9]\d* new/);
    expect(first.stdout).toMatch(/yandex_direct\/demo-agency\s+3 streams\s+[1-9]\d* new/);
    expect(first.stdout).toMatch(/Incremental run: run 2 succeeded/);
    for (const title of [
      "Money credited per Yandex.Direct login and day",
      "Slowest Altcraft campaign runs",
      "Freshness of every stream",
    ]) {
      expect(first.stdout).toContain(title);
    }
    expect(first.stdout).toMatch(/postgres:\/\/eventlog:eventlog@127\.0\.0\.1:\d+\/eventlog/);
    expect(first.stderr).toBe("");

    const second = await runCli(["demo"], { cwd, env, timeoutMs: 120_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("both runs below are incremental");
    expect(second.stdout).toMatch(/Incremental run: run 3 succeeded/);
    const agencyNew = /yandex_direct\/demo-agency\s+3 streams\s+(\d+) new/.exec(second.stdout)?.[1];
    expect(Number(agencyNew)).toBeLessThan(100);
  }, 240_000);
});
