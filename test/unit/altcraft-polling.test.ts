// When an Altcraft campaign is polled (src/sync/altcraft.polling.ts), each decision alone, table by table.
// Each table names the mutation it kills.
import { describe, expect, it } from "vitest";
import { campaignFinished, pollMoved, recheckDue, slowPolled } from "../../src/sync/altcraft.polling.js";
import type { CampaignItem } from "../../src/sources/altcraft/altcraft.schema.js";

const NOW = 1_000_000;
const campaign = (isActive: boolean | undefined): CampaignItem => ({ id: 7, is_active: isActive }) as CampaignItem;
const finished = { finished: true, nextPollAt: NOW + 1 };

describe("Altcraft: is a listed campaign left to the slow schedule?", () => {
  // Kills: dropping any one condition (an active or changed campaign left unread, a failed stream waiting for
  // the slow schedule, a campaign polled before its time or never again).
  it.each<
    [string, boolean | undefined, { state: Record<string, unknown>; status: string } | undefined, boolean, boolean]
  >([
    ["finished, settled, unchanged, before its time", false, { state: finished, status: "succeeded" }, false, true],
    ["incomplete counts as settled", false, { state: finished, status: "incomplete" }, false, true],
    ["active again", true, { state: finished, status: "succeeded" }, false, false],
    ["activity not listed", undefined, { state: finished, status: "succeeded" }, false, false],
    ["not finished", false, { state: { finished: false, nextPollAt: NOW + 1 }, status: "succeeded" }, false, false],
    ["its last read failed", false, { state: finished, status: "failed" }, false, false],
    ["its list item changed", false, { state: finished, status: "succeeded" }, true, false],
    ["its time came", false, { state: { finished: true, nextPollAt: NOW }, status: "succeeded" }, false, false],
    ["never read", false, undefined, false, false],
  ])("%s", (_, isActive, stored, listChanged, expected) => {
    expect(slowPolled(campaign(isActive), stored, listChanged, NOW)).toBe(expected);
  });
});

describe("Altcraft: is an ended campaign's status asked for again?", () => {
  const now = () => new Date(NOW);
  // Kills: asking every run, or never again once asked.
  it.each<[string, Record<string, unknown>, { newRows: boolean; listChanged: boolean }, boolean]>([
    ["asked before, nothing new, before its time", finished, { newRows: false, listChanged: false }, false],
    ["new rows came", finished, { newRows: true, listChanged: false }, true],
    ["its list item changed", finished, { newRows: false, listChanged: true }, true],
    ["never asked (its time not come)", { nextPollAt: NOW + 1 }, { newRows: false, listChanged: false }, true],
    ["its time came", { finished: true, nextPollAt: NOW }, { newRows: false, listChanged: false }, true],
  ])("%s", (_, previous, read, expected) => {
    expect(recheckDue(previous, read, now)).toBe(expected);
  });
});

describe("Altcraft: does a status say the campaign is finished, and did the polling state move?", () => {
  // Kills: an active or not completed campaign put on the slow schedule.
  it.each<[{ is_active?: boolean; is_completed?: boolean }, boolean]>([
    [{ is_active: false, is_completed: true }, true],
    [{ is_completed: true }, true],
    [{ is_active: true, is_completed: true }, false],
    [{ is_active: false, is_completed: false }, false],
    [{ is_active: false }, false],
  ])("%j → finished %s", (status, expected) => {
    expect(campaignFinished(status)).toBe(expected);
  });

  // Kills: a state that moved stored as unchanged (its schedule lost), or an unchanged one rewritten each run.
  it.each<[Record<string, unknown>, Record<string, unknown>, boolean]>([
    [{ finished: false, lastState: "start" }, { finished: false, lastState: "start" }, false],
    [{ finished: false, lastState: "start" }, { finished: false, lastState: "end" }, true],
    [{}, { finished: false, lastState: null }, true],
    [{ finished: true, nextPollAt: 5, other: 1 }, { finished: true, nextPollAt: 5 }, false],
  ])("%j → %j moved %s", (previous, state, expected) => {
    expect(pollMoved(previous, state)).toBe(expected);
  });
});
