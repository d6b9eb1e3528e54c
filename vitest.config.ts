import { defineConfig } from "vitest/config";
import { PROCESSES, PROCESSES_EXCLUDE, QUIET, SIMULATORS, UNIT, WAREHOUSE } from "./test/projects.js";

const POSTGRES = "test/support/global-setup.ts";
const BUILD = "test/support/build-setup.ts";
const TIMEOUTS = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    pool: "forks",
    // Most tests wait on PostgreSQL, child processes or sockets: more files than cores keeps both cores busy.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 4),
    projects: [
      { test: { name: "unit", include: UNIT, ...TIMEOUTS } },
      { test: { name: "simulators", include: SIMULATORS, ...TIMEOUTS } },
      {
        test: {
          name: "warehouse",
          ...WAREHOUSE,
          globalSetup: [POSTGRES],
          ...TIMEOUTS,
        },
      },
      {
        test: {
          name: "processes",
          include: PROCESSES,
          exclude: PROCESSES_EXCLUDE,
          globalSetup: [BUILD, POSTGRES],
          // Several CLI processes per test on a loaded two-core machine.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "quiet",
          include: QUIET,
          globalSetup: [POSTGRES],
          // After every other project: its server counts a sliding second by its own clock (test/projects.ts).
          sequence: { groupOrder: 1 },
          ...TIMEOUTS,
        },
      },
    ],
  },
});
