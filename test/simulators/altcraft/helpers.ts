import { XMLParser } from "fast-xml-parser";
import {
  type AltcraftSimulator,
  type AltcraftSimulatorOptions,
  startAltcraftSimulator,
} from "../../../src/simulators/altcraft/index.js";

export const TOKEN = "test-token";
/** The token of the seed page's examples. */
export const DOC_TOKEN = "abcdefghijklmnqrstuvwxyz";
export const T0 = Date.parse("2024-04-02T18:00:00.000Z");

/** A clock tests move by hand. */
export function manualClock(start = T0): {
  now: () => number;
  set: (ms: number) => void;
  advance: (ms: number) => void;
} {
  let current = start;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** A small simulator on a fixed clock; close it in afterEach/afterAll. */
export function small(options: AltcraftSimulatorOptions = {}): Promise<AltcraftSimulator> {
  return startAltcraftSimulator({
    clock: () => T0,
    tokens: [TOKEN],
    campaigns: 3,
    historyDays: 1,
    runsPerDay: 4,
    rowsPerRun: 12,
    completedShare: 0,
    inactiveShare: 0,
    ...options,
  });
}

export interface Envelope<T = unknown> {
  data: T;
  error: number;
  error_text: string;
  total_count?: number;
  next_from_id?: number;
}

export interface Row {
  level: string;
  message: string;
  time: string;
  state: string;
  value: string;
}

/** POSTs a JSON body to an API method; returns the HTTP status, headers and the parsed envelope. */
export async function call<T = unknown>(
  sim: AltcraftSimulator,
  method: string,
  body: Record<string, unknown>,
  init: { headers?: Record<string, string>; query?: string } = {},
): Promise<{ status: number; headers: Headers; body: Envelope<T> }> {
  const res = await fetch(`${sim.apiUrl}${method}${init.query ?? ""}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Envelope<T> };
}

export function logPage(sim: AltcraftSimulator, body: Record<string, unknown>): Promise<Envelope<Row[]>> {
  return call<Row[]>(sim, "campaigns/log_v2", { token: TOKEN, ...body }).then((r) => r.body);
}

export const xml = new XMLParser({ parseTagValue: false, isArray: (name) => name === "data" });
