/**
 * One campaigns/log_v2 row → the typed columns of altcraft.campaign_log, or the reason it cannot be stored.
 * `time` is required (RFC 3339; a time without a zone is read in the account's zone); level, message, state
 * and value are strings when present; a value that is a duration (`138.351985ms`, `2.5s`, `1m3s`) is also
 * given in milliseconds.
 */
import { parseDurationMs } from "../../time/time.duration.js";
import { parseTimestamp } from "../../time/time.timestamp.js";

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

function text(key: "level" | "message" | "state" | "value", v: unknown): string | null | MappedEntry {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  return { ok: false, reason: `${key}: expected a string, got ${describe(v)}` };
}

/**
 * Maps one row; `zone` reads times that come without one. `timeMs` is the row's time when the reader has
 * already read it (ms since the epoch), so it is not parsed twice.
 */
export function mapLogRow(row: unknown, zone: string, timeMs?: number): MappedEntry {
  if (row === null || typeof row !== "object" || Array.isArray(row))
    return { ok: false, reason: `row: expected an object, got ${describe(row)}` };
  const r = row as Record<string, unknown>;
  const time =
    timeMs !== undefined && Number.isFinite(timeMs)
      ? new Date(timeMs)
      : typeof r.time === "string"
        ? parseTimestamp(r.time, zone)
        : undefined;
  if (!time) return { ok: false, reason: `time: expected an RFC 3339 time, got ${describe(r.time)}` };
  const level = text("level", r.level);
  if (typeof level === "object" && level !== null) return level;
  const message = text("message", r.message);
  if (typeof message === "object" && message !== null) return message;
  const state = text("state", r.state);
  if (typeof state === "object" && state !== null) return state;
  const value = text("value", r.value);
  if (typeof value === "object" && value !== null) return value;
  const ms = value ? parseDurationMs(value) : undefined;
  return {
    ok: true,
    entry: { time, level, message, state, value, value_ms: ms === undefined || value === "0" ? null : ms },
  };
}
