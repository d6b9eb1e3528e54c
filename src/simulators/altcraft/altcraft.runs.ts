/**
 * Generation of one campaign run: a "Begin campaign" row (state start), rows of all four levels, a
 * "Campaign finished" row (state end) and, 1 ms later, "Total time spent" with a Go-style duration value.
 * Everything is drawn from the run's own random stream, so a run is the same whenever it is generated.
 */
import type { Random } from "../common/seeded.random.js";
import type { CampaignLog, LogLevel, RowInput } from "./altcraft.log-store.js";

export interface RunShape {
  /** Mean rows per run (±25%). */
  rowsPerRun: number;
  /** Largest gap between rows of a normal-paced run, in ms. */
  rowGapMs: number;
  /** Chance that the run holds a burst of identical rows. */
  burstRate: number;
  /** Rows in a burst. */
  burstSize: number;
}

export interface GeneratedRun {
  start: number;
  /** Time of the run's last row ("Total time spent"). */
  end: number;
}

export const BEGIN_MESSAGE = "Begin campaign";
export const END_MESSAGE = "Campaign finished";
export const TOTAL_MESSAGE = "Total time spent";
export const BURST_ROW = { level: "WARNING", message: "Message rejected by provider", state: "", value: "" } as const;
export const LATE_MESSAGE = "Late delivery report";

const MESSAGES: Record<LogLevel, readonly string[]> = {
  DEBUG: ["Loading audience", "Rendering template", "Connecting to SMTP relay", "Batch queued", "Resolving segment"],
  INFO: ["Audience loaded", "Messages sent", "Batch delivered", "Template rendered", "Links tracked"],
  WARNING: ["Soft bounce", "Retrying batch", "Slow SMTP response", "Profile skipped: unsubscribed"],
  ERROR: ["Hard bounce", "SMTP connection refused", "Template variable missing"],
};
const WITH_VALUE = new Set(["Audience loaded", "Messages sent", "Batch delivered", "Soft bounce", "Hard bounce"]);

function pickLevel(random: Random): LogLevel {
  const roll = random.next();
  if (roll < 0.3) return "DEBUG";
  if (roll < 0.8) return "INFO";
  if (roll < 0.95) return "WARNING";
  return "ERROR";
}

function digits(whole: number, fraction: number, width: number): string {
  const text = String(fraction).padStart(width, "0").replace(/0+$/, "");
  return text === "" ? String(whole) : `${whole}.${text}`;
}

/** Formats nanoseconds as Go's time.Duration.String() does: `138.351985ms`, `2.5s`, `1m3s`, `1h0m2s`. */
export function goDuration(ns: number): string {
  const n = Math.max(0, Math.round(ns));
  if (n === 0) return "0s";
  if (n < 1_000) return `${n}ns`;
  if (n < 1_000_000) return `${digits(Math.floor(n / 1_000), n % 1_000, 3)}µs`;
  if (n < 1_000_000_000) return `${digits(Math.floor(n / 1_000_000), n % 1_000_000, 6)}ms`;
  const totalSeconds = Math.floor(n / 1_000_000_000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = digits(totalSeconds % 60, n % 1_000_000_000, 9);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** Writes one run starting at `start` into `log`. */
export function generateRun(log: CampaignLog, random: Random, start: number, shape: RunShape): GeneratedRun {
  const total = Math.max(4, Math.round(shape.rowsPerRun * (0.75 + 0.5 * random.next())));
  const middle = total - 3;
  // Pace: fast runs last well under a second ("138.35ms"), slow ones minutes ("1m3s").
  const paceRoll = random.next();
  const maxGap = paceRoll < 0.4 ? 5 : paceRoll < 0.8 ? shape.rowGapMs : shape.rowGapMs * 3;
  const burstRoll = random.next();
  const burstAt = random.int(0, Math.max(0, middle - 1));
  const nextTime = (t: number): number => (random.chance(0.05) ? t : t + random.int(0, maxGap));

  let time = start;
  log.add({ time, level: "INFO", message: BEGIN_MESSAGE, state: "start", value: "" });
  for (let i = 0; i < middle; i++) {
    time = nextTime(time);
    const level = pickLevel(random);
    const message = random.pick(MESSAGES[level]);
    const value = WITH_VALUE.has(message) ? String(random.int(1, 9_999)) : "";
    log.add({ time, level, message, state: "", value });
    if (i === burstAt && burstRoll < shape.burstRate) log.addMany({ ...BURST_ROW, time }, shape.burstSize);
  }
  time = nextTime(time) + 1;
  log.add({ time, level: "INFO", message: END_MESSAGE, state: "end", value: "" });
  const exactNs = (time - start) * 1_000_000 + random.int(0, 999_999);
  const reportedNs = random.chance(0.2) ? Math.round(exactNs / 1e8) * 1e8 : exactNs;
  const end = time + 1;
  log.add({ time: end, level: "INFO", message: TOTAL_MESSAGE, state: "", value: goDuration(reportedNs) });
  return { start, end };
}

/** Ends a run cut short at `at` (deactivation): an end row and a "Total time spent" row, both at `at`. */
export function closeRun(log: CampaignLog, start: number, at: number): void {
  const rows: RowInput[] = [
    { time: at, level: "INFO", message: END_MESSAGE, state: "end", value: "" },
    { time: at, level: "INFO", message: TOTAL_MESSAGE, state: "", value: goDuration((at - start) * 1_000_000) },
  ];
  for (const row of rows) log.add(row);
}
