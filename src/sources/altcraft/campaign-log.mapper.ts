/**
 * One campaigns/log_v2 row → the typed columns of altcraft.campaign_log, or the reason it cannot be stored.
 * `time` is required (RFC 3339; a time without a zone is read in the account's zone); level, message, state
 * and value are strings when present; a value that is a duration (`138.351985ms`, `2.5s`, `1m3s`) is also
 * given in milliseconds.
 */
import { parseDurationMs } from "../../time/duration.js";
import { parseTimestamp } from "../../time/timestamp.js";

export interface CampaignLogEntry {
  time: Date;
  level: string | null;
  message: string | null;
  state: string | null;
  value: string | null;
  value_ms: number | null;
}

export type MappedEntry = { ok: true; entry: CampaignLogEntry } | { ok: false; reason: string };

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

export function mapLogRow(row: unknown, zone: string): MappedEntry {
  if (row === null || typeof row !== "object" || Array.isArray(row)) return { ok: false, reason: `row: expected an object, got ${describe(row)}` };
  const r = row as Record<string, unknown>;
  const time = typeof r.time === "string" ? parseTimestamp(r.time, zone) : undefined;
  if (!time) return { ok: false, reason: `time: expected an RFC 3339 time, got ${describe(r.time)}` };
  const fields: Record<"level" | "message" | "state" | "value", string | null> = { level: null, message: null, state: null, value: null };
  for (const key of ["level", "message", "state", "value"] as const) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") return { ok: false, reason: `${key}: expected a string, got ${describe(v)}` };
    fields[key] = v;
  }
  const ms = fields.value ? parseDurationMs(fields.value) : undefined;
  return { ok: true, entry: { time, ...fields, value_ms: ms === undefined || fields.value === "0" ? null : ms } };
}
