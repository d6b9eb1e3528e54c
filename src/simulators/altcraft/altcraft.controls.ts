/**
 * The handle's own operations on a running Altcraft simulator (altcraft.simulator.ts): ground-truth reads of
 * a campaign's log, rows and campaigns added by hand, campaign state changes, runtime switches and injected
 * failures. Each works on the server's state, so what it reads or changes is exactly what the API serves.
 */
import { createRequestLimiter } from "../common/request.limits.js";
import type { Campaign, CampaignState, CampaignView } from "./altcraft.campaigns.js";
import { parseTimestamp } from "./altcraft.codec.js";
import type { ApiState } from "./altcraft.handler.js";
import { LEVELS, type LogRow, STATES } from "./altcraft.log-store.js";
import { type AltcraftRuntimeOptions, validateRuntimeOptions } from "./altcraft.options.js";
import { BURST_ROW } from "./altcraft.runs.js";
import type { BurstInput, LogRowInput, NewCampaignInput, TimeInput } from "./altcraft.simulator.js";

/** A running simulator as its handle sees it: the API's state and the clock. */
export interface Simulation {
  state: ApiState;
  clock: () => number;
}

export function toMs(time: TimeInput, name = "time"): number {
  const ms = time instanceof Date ? time.getTime() : typeof time === "number" ? time : parseTimestamp(time);
  if (ms === null || !Number.isFinite(ms))
    throw new TypeError(`Expected \`${name}\` to be a time, got \`${String(time)}\``);
  return Math.floor(ms);
}

function checkRow(level: unknown, state: unknown, message: unknown, value: unknown): void {
  if (!(LEVELS as readonly unknown[]).includes(level))
    throw new TypeError(`Expected \`level\` to be one of ${LEVELS.join(", ")}, got \`${String(level)}\``);
  if (!(STATES as readonly unknown[]).includes(state ?? ""))
    throw new TypeError(`Expected \`state\` to be "", "start" or "end", got \`${String(state)}\``);
  if (typeof message !== "string")
    throw new TypeError(`Expected \`message\` to be a string, got \`${String(message)}\``);
  if (value !== undefined && typeof value !== "string")
    throw new TypeError(`Expected \`value\` to be a string, got \`${String(value)}\``);
}

/** The campaign with this id as of the clock; throws when it does not exist (yet). */
function campaign({ state, clock }: Simulation, id: number): Campaign {
  const found = state.book.get(id, clock());
  if (!found) throw new RangeError(`campaign ${id} does not exist at ${new Date(clock()).toISOString()}`);
  return found;
}

/** Rows of a campaign with from ≤ time ≤ to and time ≤ clock, in the order the server holds them. */
export function campaignLog(sim: Simulation, id: number, range: { from?: TimeInput; to?: TimeInput }): LogRow[] {
  const now = sim.clock();
  const log = campaign(sim, id).log;
  const lo = range.from === undefined ? 0 : log.lowerBound(toMs(range.from, "from"));
  const to = range.to === undefined ? now : Math.min(now, toMs(range.to, "to"));
  const hi = log.upperBound(to);
  const rows: LogRow[] = [];
  for (let i = lo; i < hi; i++) rows.push(log.row(i));
  return rows;
}

export function addLogRows(sim: Simulation, id: number, rows: readonly LogRowInput[]): void {
  const target = campaign(sim, id);
  for (const r of rows) checkRow(r.level, r.state, r.message, r.value);
  sim.state.book.addRows(
    target,
    rows.map((r) => ({
      time: toMs(r.time),
      level: r.level,
      message: r.message,
      state: r.state ?? "",
      value: r.value ?? "",
    })),
  );
}

export function addBurst(sim: Simulation, id: number, burst: BurstInput): void {
  const row = { ...BURST_ROW, ...burst, time: toMs(burst.time) };
  checkRow(row.level, row.state, row.message, row.value);
  if (!Number.isInteger(burst.count) || burst.count < 1) {
    throw new TypeError(`Expected \`count\` to be an integer ≥ 1, got \`${String(burst.count)}\``);
  }
  sim.state.book.addBurst(campaign(sim, id), row, burst.count);
}

export function addCampaign({ state, clock }: Simulation, newCampaign: NewCampaignInput): CampaignView {
  const createdAt = newCampaign.createdAt === undefined ? undefined : toMs(newCampaign.createdAt, "createdAt");
  const added = state.book.add({ ...newCampaign, createdAt }, clock());
  return state.book.view(added, Math.max(clock(), added.createdAt));
}

export function setCampaignState(sim: Simulation, id: number, next: CampaignState): CampaignView {
  if (!["active", "inactive", "completed"].includes(next)) {
    throw new TypeError(`Expected \`state\` to be active, inactive or completed, got \`${String(next)}\``);
  }
  const target = campaign(sim, id);
  sim.state.book.setState(target, next, sim.clock());
  return sim.state.book.view(target, sim.clock());
}

/** Changes the switches in place (the run generator reads them live); a new limiter when the limits change. */
export function setOptions(state: ApiState, partial: AltcraftRuntimeOptions): void {
  const valid = validateRuntimeOptions(partial);
  Object.assign(state.options, valid);
  if (valid.requestsPerSecond !== undefined || valid.concurrentRequests !== undefined) {
    state.limiter = createRequestLimiter(state.options);
  }
}

/** Queues `count` failures with `code` for the next requests of `token`. */
export function failNext(state: ApiState, token: string, count: number, code: number): void {
  if (!Number.isInteger(count) || count < 1)
    throw new TypeError(`Expected \`count\` to be an integer ≥ 1, got \`${count}\``);
  if (!Number.isInteger(code) || code < 400 || code > 599) {
    throw new TypeError(`Expected \`code\` to be an HTTP/API error code in [400, 599], got \`${code}\``);
  }
  const queue = state.failures.get(token) ?? [];
  queue.push({ remaining: count, code });
  state.failures.set(token, queue);
}
