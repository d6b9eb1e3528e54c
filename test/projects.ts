/**
 * The test suite's projects (vitest.config.ts), from quickest to slowest. `npm test` runs them all; a
 * developer runs one with `npx vitest run --project unit` (or `npm run test:unit`, …). Each test file
 * belongs to exactly one project (test/lint/projects.test.ts checks it):
 *
 * - **unit**: pure functions and small modules. No PostgreSQL, no build, no server; starts in about a second.
 * - **simulators**: the API simulators and the HTTP clients against them, on loopback. No PostgreSQL.
 * - **warehouse**: the loader, repositories, migrations and sync engine against a real PostgreSQL.
 * - **processes**: the built CLI as a child process (end-to-end, signals, packaging) and PostgreSQL servers
 *   of its own. Only this project builds dist/ first.
 * - **quiet**: the request rate as a server in another process counts it by its own clock, against the 5 %
 *   margin a start is given. It runs after every other project, alone: on a machine whose cores the other
 *   files keep busy, that server's event loop can take a request up later than the margin allows, which is a
 *   fact of the machine, not of the budget under test.
 */
export const UNIT = [
  "test/unit/**/*.test.ts",
  "test/config/**/*.test.ts",
  "test/lint/**/*.test.ts",
  "test/docs/glossary.test.ts",
  "test/docs/architecture.test.ts",
  "test/http/redact.test.ts",
  "test/http/request-outcome.test.ts",
  "test/http/retry-policy.test.ts",
  "test/sync/event-identity.test.ts",
  "test/sync/event-keys.pinned.test.ts",
  "test/yandex-direct/mapper.test.ts",
  "test/yandex-direct/reader.test.ts",
  "test/yandex-direct/agency-clients.client.test.ts",
  "test/cli/simulate-flags.test.ts",
  "test/deploy/prometheus-rules.test.ts",
  "test/deploy/grafana-dashboard.test.ts",
];

export const SIMULATORS = [
  "test/simulators/**/*.test.ts",
  "test/support/capping-proxy.test.ts",
  "test/yandex-direct/client.test.ts",
  "test/altcraft/campaigns-xml.test.ts",
];

export const PROCESSES = [
  "test/cli/**/*.test.ts",
  "test/postgres/**/*.test.ts",
  "test/docs/quick-start.test.ts",
  "test/deploy/deploy.test.ts",
  "test/deploy/metrics-served.test.ts",
  "test/altcraft/processes.test.ts",
  "test/yandex-direct/processes.test.ts",
  "test/sync/connection-loss.test.ts",
  "test/sync/kill-every-page.test.ts",
  "test/sync/metrics.test.ts",
  "test/sync/scale-out.test.ts",
];

export const QUIET = ["test/warehouse/request-budget.claim-to-send.test.ts"];

/** The unit files among the folders of process tests (test/cli/) stay in unit. */
export const PROCESSES_EXCLUDE = UNIT;

/** Every other test file: PostgreSQL, no build. */
export const WAREHOUSE = {
  include: ["test/**/*.test.ts"],
  exclude: [...UNIT, ...SIMULATORS, ...PROCESSES, ...QUIET],
};
