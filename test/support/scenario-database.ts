/**
 * The database of a test file whose tests each start a sync scenario (a simulator and a config pointing at
 * it): cloned from the migrated template before the file's first test; after each test the scenarios it
 * started are closed and the warehouse is emptied; dropped after the last test.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { createTestDatabase, emptyWarehouse, type TestDatabase } from "./test-database.js";

export interface ScenarioDatabase<Options, Scenario> {
  /** The file's database; its fields can be read from the first test on. */
  readonly database: TestDatabase;
  /** Starts a scenario that is closed after the test (closing it earlier in the test is harmless). */
  start(options?: Options): Promise<Scenario>;
}

export function useScenarioDatabase<Options, Scenario extends { close(): Promise<void> }>(
  startScenario: (options?: Options) => Promise<Scenario>,
): ScenarioDatabase<Options, Scenario> {
  let current: TestDatabase | undefined;
  const open: Scenario[] = [];
  beforeAll(async () => {
    current = await createTestDatabase();
  });
  afterEach(async () => {
    for (const scenario of open.splice(0)) await scenario.close();
    if (current) await emptyWarehouse(current.warehouse);
  });
  afterAll(async () => {
    await current?.drop();
  });
  const created = (): TestDatabase => {
    if (!current) throw new Error("the test database is created before the file's first test: use it inside a test");
    return current;
  };
  const database: TestDatabase = {
    get name() {
      return created().name;
    },
    get url() {
      return created().url;
    },
    get warehouse() {
      return created().warehouse;
    },
    drop: () => created().drop(),
  };
  return {
    database,
    async start(options) {
      const scenario = await startScenario(options);
      const close = scenario.close.bind(scenario);
      let closing: Promise<void> | undefined;
      scenario.close = () => (closing ??= close());
      open.push(scenario);
      return scenario;
    },
  };
}
