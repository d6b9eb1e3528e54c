import { defineConfig } from "vitest/config";
import { PROCESSES, SIMULATORS, UNIT, WAREHOUSE } from "./test/projects.js";

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
          globalSetup: [BUILD, POSTGRES],
          ...TIMEOUTS,
        },
      },
    ],
  },
});
