import { afterEach } from "vitest";
import {
  startYandexDirectSimulator,
  type YandexDirectSimulator,
  type YandexDirectSimulatorOptions,
} from "../../../src/simulators/yandex-direct/index.js";

/**
 * How a test file starts simulators: each one closed after its test. `defaults` come before the options of
 * each start.
 */
export function useSimulators(
  defaults: YandexDirectSimulatorOptions = {},
): (options?: YandexDirectSimulatorOptions) => Promise<YandexDirectSimulator> {
  const running: YandexDirectSimulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.close()));
  });
  return async (options = {}) => {
    const sim = await startYandexDirectSimulator({ ...defaults, ...options });
    running.push(sim);
    return sim;
  };
}

/** The clock and history most simulator tests start with: 2026-03-10T12:00:00Z, one day. */
export const FIXED_CLOCK: YandexDirectSimulatorOptions = {
  clock: () => Date.parse("2026-03-10T12:00:00Z"),
  historyDays: 1,
};

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  body: Record<string, unknown> | undefined;
}

/** POSTs one Live 4 request body as the real clients do (JSON, token in the body). */
export async function post(sim: YandexDirectSimulator, body: unknown, init: RequestInit = {}): Promise<ApiAnswer> {
  const res = await fetch(sim.endpoint, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** GetEventsLog with `param`; returns the answer body. */
export async function getEventsLog(
  sim: YandexDirectSimulator,
  param: Record<string, unknown>,
  token = sim.advertiser.token,
  locale?: string,
): Promise<Record<string, unknown>> {
  const answer = await post(sim, { method: "GetEventsLog", token, param, ...(locale ? { locale } : {}) });
  if (!answer.body) throw new Error(`not JSON: ${answer.text.slice(0, 200)}`);
  return answer.body;
}

/** The `data` of a successful GetEventsLog, failing loudly on an error body. */
export async function events(
  sim: YandexDirectSimulator,
  param: Record<string, unknown>,
  token = sim.advertiser.token,
  locale?: string,
): Promise<Array<Record<string, unknown>>> {
  const body = await getEventsLog(sim, param, token, locale);
  if (!Array.isArray(body.data)) throw new Error(`error body: ${JSON.stringify(body)}`);
  return body.data as Array<Record<string, unknown>>;
}

/** A clock the test moves by hand. */
export function manualClock(startIso: string): {
  now: () => number;
  set: (iso: string) => void;
  advance: (ms: number) => void;
} {
  let now = Date.parse(startIso);
  return {
    now: () => now,
    set: (iso) => {
      now = Date.parse(iso);
    },
    advance: (ms) => {
      now += ms;
    },
  };
}
