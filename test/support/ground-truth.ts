/**
 * The warehouse against the simulator's ground truth, for tests that do not drive the engine in-process
 * (the CLI as a child process, with the simulator's real clock). For every stream of one account: the rows
 * stored before the stream's cursor equal, as a multiset of canonical raw records, the events the simulator
 * holds for that login in [startTime, cursor). Rows at or after the cursor (a window's early records, stored
 * before its read ends; a run killed while it re-read its lookback leaves the cursor behind rows it had already
 * stored in an earlier run) must each be a real event, none stored twice: a sub-multiset of the simulator's
 * events in [cursor, now] (for a stream without a cursor, since startTime). Also: no record is held more often
 * than the simulator has it.
 */
import { expect } from "vitest";
import type { Currency, Locale, YandexDirectSimulator } from "../../src/simulators/yandex-direct/index.js";
import { canonicalJson } from "../../src/sync/event.identity.js";
import type { Warehouse } from "../../src/warehouse/warehouse.database.js";
import { multisetDifference } from "./multiset.js";

/**
 * A stream of the account: a client login, or the token owner's stream keyed `streamKey` (e.g. `(owner)`) whose
 * rows carry the owner's `login`.
 */
export type GroundTruthStream = string | { streamKey: string; login: string };

export interface GroundTruthCheck {
  sim: YandexDirectSimulator;
  warehouse: Warehouse;
  /** Account name as configured. */
  account: string;
  streams: readonly GroundTruthStream[];
  /** The account's startTime, ms. */
  startTime: number;
  currency?: Currency;
  locale?: Locale;
  withTextDescription?: boolean;
}

export interface StreamComparison {
  streamKey: string;
  cursor: Date | null;
  stored: number;
  expected: number;
  /** Canonical records in the simulator but not in the warehouse (with multiplicity), first few. */
  missing: string[];
  /** Canonical records in the warehouse but not in the simulator (with multiplicity), first few. */
  extra: string[];
  /** Rows at or after the cursor. */
  beyondCursor: number;
  /**
   * Rows at or after the cursor that are not events of the simulator after the cursor (with multiplicity), first few.
   */
  extraBeyondCursor: string[];
}

/** Compares every stream of the account with the simulator; asserts nothing. */
export async function compareWithGroundTruth(check: GroundTruthCheck): Promise<StreamComparison[]> {
  const out: StreamComparison[] = [];
  for (const entry of check.streams) {
    const { streamKey, login } = typeof entry === "string" ? { streamKey: entry, login: entry } : entry;
    const stream = await check.warehouse.db
      .selectFrom("sync.streams")
      .select(["cursor"])
      .where("source", "=", "yandex_direct")
      .where("account", "=", check.account)
      .where("stream_key", "=", streamKey)
      .executeTakeFirst();
    const cursor = stream?.cursor ?? null;
    const truth =
      cursor === null
        ? []
        : check.sim
            .events({
              login,
              from: check.startTime,
              to: cursor.getTime() - 1000,
              currency: check.currency ?? "RUB",
              locale: check.locale ?? "en",
              withTextDescription: check.withTextDescription ?? true,
            })
            .map((e) => canonicalJson(e))
            .sort();
    const rows = await check.warehouse.db
      .selectFrom("yandex_direct.events")
      .select(["raw", "event_time"])
      .where("account", "=", check.account)
      .where("login", "=", login)
      .execute();
    const before = (r: (typeof rows)[number]) => cursor !== null && r.event_time.getTime() < cursor.getTime();
    const stored = rows
      .filter(before)
      .map((r) => canonicalJson(r.raw))
      .sort();
    const beyond = rows.filter((r) => !before(r)).map((r) => canonicalJson(r.raw));
    const later =
      beyond.length === 0
        ? []
        : check.sim
            .events({
              login,
              from: cursor?.getTime() ?? check.startTime,
              currency: check.currency ?? "RUB",
              locale: check.locale ?? "en",
              withTextDescription: check.withTextDescription ?? true,
            })
            .map((e) => canonicalJson(e));
    out.push({
      streamKey,
      cursor,
      stored: stored.length,
      expected: truth.length,
      missing: multisetDifference(truth, stored),
      extra: multisetDifference(stored, truth),
      beyondCursor: beyond.length,
      extraBeyondCursor: multisetDifference(beyond, later),
    });
  }
  return out;
}

/**
 * Asserts that every stream of the account equals ground truth exactly before its cursor and holds only
 * real, distinct events after it (`beyondCursor: "none"`: no rows after it at all, as after a completed run).
 * Returns the rows checked.
 */
export async function expectGroundTruth(
  check: GroundTruthCheck & { label?: string; beyondCursor?: "none" | "subset" },
): Promise<number> {
  const comparisons = await compareWithGroundTruth(check);
  let checked = 0;
  for (const c of comparisons) {
    const where = `${check.label ? `${check.label}: ` : ""}${check.account}/${c.streamKey} up to ${c.cursor?.toISOString() ?? "(no cursor)"}`;
    expect(
      { stored: c.stored, missing: c.missing, extra: c.extra, extraBeyondCursor: c.extraBeyondCursor },
      where,
    ).toEqual({
      stored: c.expected,
      missing: [],
      extra: [],
      extraBeyondCursor: [],
    });
    if (check.beyondCursor !== "subset") expect(c.beyondCursor, `${where}: rows at or after the cursor`).toBe(0);
    checked += c.stored + c.beyondCursor;
  }
  return checked;
}

/** Rows (of every account) that share account, login, canonical raw record and occurrence with another row. */
/**
 * Copies held beyond what the source has: for each stream, every stored record (the whole table, cursor or
 * not) that is not matched one for one by an event of the simulator for that login since the start time.
 * A record stored twice under two occurrence numbers, or twice under two streams' keys, shows up here.
 */
export async function copiesBeyondSource(check: GroundTruthCheck): Promise<string[]> {
  const out: string[] = [];
  for (const entry of check.streams) {
    const { streamKey, login } = typeof entry === "string" ? { streamKey: entry, login: entry } : entry;
    const rows = await check.warehouse.db
      .selectFrom("yandex_direct.events")
      .select(["raw"])
      .where("account", "=", check.account)
      .where("login", "=", login)
      .execute();
    const source = check.sim
      .events({
        login,
        from: check.startTime,
        currency: check.currency ?? "RUB",
        locale: check.locale ?? "en",
        withTextDescription: check.withTextDescription ?? true,
      })
      .map((e) => canonicalJson(e));
    for (const extra of multisetDifference(
      rows.map((r) => canonicalJson(r.raw)),
      source,
    ))
      out.push(`${streamKey} | ${extra}`);
  }
  return out;
}
