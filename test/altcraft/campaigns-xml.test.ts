// An account reading Altcraft in XML lists its campaigns in the same shape as one reading JSON: the simulator
// serves the same campaigns both ways, and the items (what `altcraft.campaigns` stores as `ui_tags`, `groups`
// and `raw`) are equal, with campaigns of no tag, one tag, one group and the documented example's fields.
// Kills: reading XML as it comes (`groups` an object with a string id, `ui_tags` absent instead of [], flags
// as "false" strings in `raw`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpAgent } from "../../src/http/http.post.js";
import { createRequestGate } from "../../src/http/request.gate.js";
import type { RequestTally } from "../../src/http/request.retries.js";
import { type AltcraftSimulator, startAltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { createAltcraftClient } from "../../src/sources/altcraft/altcraft.client.js";
import type { Format } from "../../src/sources/altcraft/altcraft.schema.js";
import { listCampaigns } from "../../src/sources/altcraft/campaigns.listing.js";
import { campaignFromXml } from "../../src/sources/altcraft/campaigns.xml-shape.js";

let sim: AltcraftSimulator;
const agent = createHttpAgent();
beforeAll(async () => {
  sim = await startAltcraftSimulator({ seed: 11, campaigns: 12, historyDays: 1 });
});
afterAll(async () => {
  await agent.close();
  await sim.close();
});

const list = (format: Format) => {
  const client = createAltcraftClient({
    apiRoot: sim.apiUrl,
    token: sim.tokens[0]!,
    tokenIn: "body",
    format,
    timeoutMs: 5000,
    gate: createRequestGate({ concurrency: 2, requestsPerSecond: 0 }),
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 5 },
    agent,
  });
  const tally: RequestTally = { requests: 0, retries: 0 };
  return listCampaigns(client, {}, tally, 5);
};

describe("campaigns/list in XML", () => {
  it("gives the same items as JSON: lists always lists, numbers and flags typed", async () => {
    const [json, xml] = await Promise.all([list("json"), list("xml")]);
    expect(json.length).toBeGreaterThan(5);
    // The data covers what XML cannot say by itself: no tag, and a single group.
    expect(json.some((c) => Array.isArray(c.ui_tags) && c.ui_tags.length === 0)).toBe(true);
    expect(json.some((c) => Array.isArray(c.groups) && c.groups.length === 1)).toBe(true);
    expect(xml).toEqual(json);
  });

  it("types the documented example's fields and leaves undocumented ones as sent", () => {
    const fromXml = campaignFromXml({
      id: "5",
      name: "New meteoric campaign",
      type: "broadcast",
      is_active: "false",
      subid: "",
      for_confirm: "false",
      groups: { id: "0", name: "main" },
      extra: "7",
    });
    expect(fromXml).toEqual({
      id: 5,
      name: "New meteoric campaign",
      type: "broadcast",
      is_active: false,
      subid: "",
      for_confirm: false,
      ui_tags: [],
      groups: [{ id: 0, name: "main" }],
      extra: "7",
    });
    expect(campaignFromXml({ id: "6", ui_tags: ["a", "b"], groups: [{ id: "1" }, { id: "2" }] })).toEqual({
      id: 6,
      ui_tags: ["a", "b"],
      groups: [{ id: 1 }, { id: 2 }],
    });
  });
});
