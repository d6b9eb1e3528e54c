// A duration `startTime` (`30d`) says where a stream without a cursor starts. It is not a floor: a stream that
// was away longer than it (an outage, a client archived and restored) resumes from its cursor and reads every
// event in between.
import { describe, expect, it } from "vitest";
import { startAltcraftScenario } from "../support/altcraft-scenario.js";
import { useScenarioDatabase } from "../support/scenario-database.js";
import { DAY, startYandexScenario } from "../support/yandex-scenario.js";

const yandex = useScenarioDatabase(startYandexScenario);
const altcraft = useScenarioDatabase(startAltcraftScenario);

describe("startTime applies only to a stream without a cursor", () => {
  // Kills: the start time as a floor on every run (the events of a 40-day outage skipped without a word).
  it("Yandex.Direct: after 40 days away, a stream with startTime 30d resumes from its cursor", async () => {
    const scenario = await yandex.start({
      logins: ["client-1"],
      simulator: { eventsPerHour: 2 },
      account: { startTime: "30d" },
    });
    expect((await scenario.run(yandex.database.warehouse)).status).toBe("succeeded");
    scenario.clock.now += 40 * DAY;
    expect((await scenario.run(yandex.database.warehouse)).status).toBe("succeeded");
    // Every event from the first run's start to the cursor, the 40 days included.
    expect(await scenario.expectGroundTruth(yandex.database.warehouse)).toBeGreaterThan(3000);
    await scenario.expectCaughtUp(yandex.database.warehouse);
  });

  // Kills: the same floor on Altcraft rows (rows before a moving start time dropped).
  it("Altcraft: after 15 days away, a campaign with startTime 10d resumes from its cursor", async () => {
    const scenario = await altcraft.start({
      simulator: { campaigns: 2, completedShare: 0, inactiveShare: 0 },
      account: { startTime: "10d" },
    });
    expect((await scenario.run(altcraft.database.warehouse)).status).toBe("succeeded");
    scenario.clock.now += 15 * DAY;
    expect((await scenario.run(altcraft.database.warehouse)).status).toBe("succeeded");
    expect(await scenario.expectGroundTruth(altcraft.database.warehouse)).toBeGreaterThan(1000);
    await scenario.expectCaughtUp(altcraft.database.warehouse);
  });
});
