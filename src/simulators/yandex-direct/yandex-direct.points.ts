import { DAY_MS } from "./yandex-direct.time.js";

/**
 * Terminology: *points* (the API's "units") are what a token may spend per UTC day of the simulator's clock
 * (`pointsPerDay`); a token's *day quota* counts its calls and the points it spent that day. GetEventsLog
 * and AgencyClients.get draw on the same quota, as both are paid by the token's owner.
 */
export interface DayQuota {
  day: number;
  calls: number;
  points: number;
}

/** The token's quota of the clock's current day, started afresh when the day has changed. */
export function dayQuota(quotas: Map<string, DayQuota>, token: string, nowMs: number): DayQuota {
  const day = Math.floor(nowMs / DAY_MS);
  let quota = quotas.get(token);
  if (!quota || quota.day !== day) {
    quota = { day, calls: 0, points: 0 };
    quotas.set(token, quota);
  }
  return quota;
}

/** What the `Units` header reports: points spent by this call, left today, and the daily allowance. */
export interface Units {
  spent: number;
  remaining: number;
  daily: number;
}

export function unitsHeader(units: Units): string {
  return `${units.spent}/${Math.max(0, units.remaining)}/${units.daily}`;
}
