/**
 * The Altcraft warehouse against the simulator's ground truth, for tests that do not drive the engine
 * in-process (the CLI as a child process, with the simulator's real clock). For every campaign of one
 * account: the rows stored at or before the stream's cursor (the cursor is the latest row time read, its
 * own millisecond included) equal, as a multiset of canonical raw records, the simulator's rows in
 * [startTime, cursor]; a campaign without a stream or a cursor holds no rows. With
 * `cursorMillisecond: "subset"` the cursor's own millisecond may hold only some of its rows (a full page
 * that ended inside it was committed, the next page that re-reads it was not), each real and none twice;
 * everything before it must still be exact. Rows after the cursor must
 * each be a real row of the simulator after the cursor, none stored twice (`beyondCursor: "subset"`), or
 * must not exist at all (`"none"`, the default). Also: no two rows of the whole log table share
 * (account, campaign, canonical raw record, occurrence) — the identity event_key hashes.
 */
import { expect } from "vitest";
import type { AltcraftSimulator } from "../../src/simulators/altcraft/index.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { multisetDifference } from "./multiset.js";

export interface AltcraftGroundTruthCheck {
  sim: AltcraftSimulator;
  warehouse: Warehouse;
  /** Account name as configured. */
  account: string;
  /** Campaign ids to check. Default: every campaign the simulator has now. */
  campaigns?: readonly number[];
  /** The account's startTime, ms. */
  startTime: number;
}

export interface CampaignComparison {
  campaignId: number;
  cursor: Date | null;
  stored: number;
  expected: number;
  /** Canonical records in the simulator but not in the warehouse (with multiplicity), first few. */
  missing: string[];
  /** Canonical records in the warehouse but not in the simulator (with multiplicity), first few. */
  extra: string[];
  /** Rows before the cursor's own millisecond: stored, expected, and missing from the warehouse (first few). */
  storedBefore: number;
  expectedBefore: number;
  missingBefore: string[];
  /** Rows after the cursor. */
  beyondCursor: number;
  /** Rows after the cursor that are not rows of the simulator after the cursor (with multiplicity), first few. */
  extraBeyondCursor: string[];
}

const campaignIds = (check: AltcraftGroundTruthCheck): readonly number[] =>
  check.campaigns ?? check.sim.campaigns().map((c) => c.id);

/** Compares every campaign of the account with the simulator; asserts nothing. */
export async function compareAltcraftWithGroundTruth(check: AltcraftGroundTruthCheck): Promise<CampaignComparison[]> {
  const streams = await check.warehouse.db
    .selectFrom("sync.streams")
    .select(["stream_key", "cursor"])
    .where("source", "=", "altcraft")
    .where("account", "=", check.account)
    .execute();
  const cursors = new Map(streams.map((s) => [s.stream_key, s.cursor]));
  const out: CampaignComparison[] = [];
  for (const campaignId of campaignIds(check)) {
    const cursor = cursors.get(String(campaignId)) ?? null;
    const truthRows = cursor === null ? [] : check.sim.log(campaignId, { from: check.startTime, to: cursor.getTime() });
    const truth = truthRows.map((r) => canonicalJson(r)).sort();
    const truthBefore = truthRows
      .filter((r) => cursor !== null && Date.parse(r.time) < cursor.getTime())
      .map((r) => canonicalJson(r));
    const rows = await check.warehouse.db
      .selectFrom("altcraft.campaign_log")
      .select(["raw", "time"])
      .where("account", "=", check.account)
      .where("campaign_id", "=", campaignId)
      .execute();
    const upToCursor = (r: (typeof rows)[number]) => cursor !== null && r.time.getTime() <= cursor.getTime();
    const stored = rows
      .filter(upToCursor)
      .map((r) => canonicalJson(r.raw))
      .sort();
    const storedBefore = rows
      .filter((r) => cursor !== null && r.time.getTime() < cursor.getTime())
      .map((r) => canonicalJson(r.raw));
    const beyond = rows.filter((r) => !upToCursor(r)).map((r) => canonicalJson(r.raw));
    const later =
      cursor === null || beyond.length === 0
        ? []
        : check.sim.log(campaignId, { from: cursor.getTime() + 1 }).map((r) => canonicalJson(r));
    out.push({
      campaignId,
      cursor,
      stored: stored.length,
      expected: truth.length,
      missing: multisetDifference(truth, stored),
      storedBefore: storedBefore.length,
      expectedBefore: truthBefore.length,
      missingBefore: multisetDifference(truthBefore, storedBefore),
      extra: multisetDifference(stored, truth),
      beyondCursor: beyond.length,
      extraBeyondCursor: cursor === null ? beyond.slice(0, 5) : multisetDifference(beyond, later),
    });
  }
  return out;
}

/**
 * Asserts that every campaign of the account equals ground truth exactly up to its cursor, and after it
 * holds nothing (`beyondCursor: "none"`, the default) or only real, distinct rows (`"subset"`).
 * With `completeAt`, also that each cursor reached the campaign's latest row at that instant (a run that
 * started then and completed read everything there was). Returns the rows checked.
 */
export async function expectAltcraftGroundTruth(
  check: AltcraftGroundTruthCheck & {
    label?: string;
    beyondCursor?: "none" | "subset";
    cursorMillisecond?: "complete" | "subset";
    completeAt?: number;
  },
): Promise<number> {
  let checked = 0;
  for (const c of await compareAltcraftWithGroundTruth(check)) {
    const where = `${check.label ? `${check.label}: ` : ""}${check.account}/${c.campaignId} up to ${c.cursor?.toISOString() ?? "(no cursor)"}`;
    if (check.cursorMillisecond === "subset") {
      // Exact before the cursor's millisecond; in it and up to the cursor, nothing that is not a real row
      // (`extra` compares every row up to the cursor, so a row of that millisecond stored twice shows too).
      expect(
        { stored: c.storedBefore, missing: c.missingBefore, extra: c.extra, extraBeyondCursor: c.extraBeyondCursor },
        where,
      ).toEqual({
        stored: c.expectedBefore,
        missing: [],
        extra: [],
        extraBeyondCursor: [],
      });
    } else {
      expect(
        { stored: c.stored, missing: c.missing, extra: c.extra, extraBeyondCursor: c.extraBeyondCursor },
        where,
      ).toEqual({
        stored: c.expected,
        missing: [],
        extra: [],
        extraBeyondCursor: [],
      });
    }
    if (check.beyondCursor !== "subset") expect(c.beyondCursor, `${where}: rows after the cursor`).toBe(0);
    if (check.completeAt !== undefined) {
      const latest = check.sim.log(c.campaignId, { from: check.startTime, to: check.completeAt }).at(-1);
      const latestMs = latest === undefined ? undefined : Date.parse(latest.time);
      if (latestMs === undefined) expect(c.stored, `${where}: no rows since the start time`).toBe(0);
      else
        expect(
          c.cursor?.getTime(),
          `${where}: cursor reaches the latest row at ${new Date(check.completeAt).toISOString()}`,
        ).toBeGreaterThanOrEqual(latestMs);
    }
    checked += c.stored + c.beyondCursor;
  }
  return checked;
}

/**
 * Copies held beyond what the source has: for each campaign, every stored row (cursor or not) that is not
 * matched one for one by a row of the simulator's log since the start time.
 */
export async function altcraftCopiesBeyondSource(check: AltcraftGroundTruthCheck): Promise<string[]> {
  const out: string[] = [];
  for (const id of campaignIds(check)) {
    const rows = await check.warehouse.db
      .selectFrom("altcraft.campaign_log")
      .select(["raw"])
      .where("account", "=", check.account)
      .where("campaign_id", "=", id)
      .execute();
    const source = check.sim.log(id, { from: check.startTime }).map((r) => canonicalJson(r));
    for (const extra of multisetDifference(
      rows.map((r) => canonicalJson(r.raw)),
      source,
    ))
      out.push(`${id} | ${extra}`);
  }
  return out;
}
