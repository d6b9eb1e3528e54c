/**
 * The offline Altcraft API simulator: `startAltcraftSimulator(options)` serves the API on loopback and returns
 * a handle that holds the ground truth and controls the data and the switches at runtime.
 * API root: `${url}/api/v1.1/`; admin routes under `${url}/__admin/` (see altcraft.admin.ts).
 */
import { startHttpServer } from "../common/http-server.js";
import { createRandom, deriveSeed } from "../common/random.js";
import { createRequestCounters } from "../common/request-counters.js";
import { createRequestLimiter } from "../common/request-limits.js";
import { handleAdmin } from "./altcraft.admin.js";
import {
  type Campaign,
  CampaignBook,
  type CampaignState,
  type CampaignView,
  type NewCampaign,
} from "./altcraft.campaigns.js";
import { parseTimestamp, renderJson } from "./altcraft.codec.js";
import { API_PREFIX, type ApiState, handleApi } from "./altcraft.handler.js";
import { LEVELS, type LogLevel, type LogRow, type LogState, STATES } from "./altcraft.log-store.js";
import { errorText } from "./altcraft.methods.js";
import {
  type AltcraftRuntimeOptions,
  type AltcraftSimulatorOptions,
  resolveOptions,
  type ResolvedRuntimeOptions,
  runtimeOptions,
  validateRuntimeOptions,
} from "./altcraft.options.js";
import { BURST_ROW } from "./altcraft.runs.js";

/** A point in time: ms since the epoch, an RFC 3339 string (no zone = UTC) or a Date. */
export type TimeInput = number | string | Date;

export interface LogRowInput {
  time: TimeInput;
  level: LogLevel;
  message: string;
  state?: LogState;
  value?: string;
}

/** Identical rows in one millisecond. Defaults: WARNING "Message rejected by provider", state "", value "". */
export interface BurstInput {
  time: TimeInput;
  count: number;
  level?: LogLevel;
  message?: string;
  state?: LogState;
  value?: string;
}

export type NewCampaignInput = Omit<NewCampaign, "createdAt"> & { createdAt?: TimeInput };

export interface AltcraftSimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `${url}/api/v1.1/`. */
  readonly apiUrl: string;
  /** Accepted tokens. */
  readonly tokens: readonly string[];
  /** The simulator's clock, ms since the epoch. */
  now(): number;
  /** Campaigns that exist at the clock, ascending by id, with status and lifecycle. */
  campaigns(): CampaignView[];
  /**
   * Rows the server holds for a campaign with from ≤ time ≤ to and time ≤ clock, ascending by time then insertion
   * (a generated run counts as inserted when the clock first reaches its start); times always with `Z`.
   */
  log(campaignId: number, range?: { from?: TimeInput; to?: TimeInput }): LogRow[];
  addLogRows(campaignId: number, rows: readonly LogRowInput[]): void;
  addBurst(campaignId: number, burst: BurstInput): void;
  addCampaign(input?: NewCampaignInput): CampaignView;
  /** "inactive"/"completed" stop the campaign now (a run in progress ends now); "active" starts a run now. */
  setCampaignState(campaignId: number, state: CampaignState): CampaignView;
  /** `{ [token]: { [method]: n } }` for API requests (a missing token counts as ""). */
  requestCounts(): Record<string, Record<string, number>>;
  /** Clears the request counts and the calls counted against `tariffLimit`. */
  resetRequestCounts(): void;
  /** Current switches and transport options. */
  options(): ResolvedRuntimeOptions;
  /** Changes switches at runtime; `faults` replaces the whole fault set. */
  setOptions(partial: AltcraftRuntimeOptions): void;
  /**
   * The next `count` requests of `token` answer error `code` (HTTP status per the mirror rule; ≥ 500 and 429 always).
   */
  failNext(token: string, count: number, code: number): void;
  /** Stored rows (including rows after the clock) and the bytes their columns hold. */
  stats(): { rows: number; logBytes: number };
  close(): Promise<void>;
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

export async function startAltcraftSimulator(input: AltcraftSimulatorOptions = {}): Promise<AltcraftSimulator> {
  const resolved = resolveOptions(input);
  const clock = resolved.clock;
  const seed = resolved.seed;
  // Runtime switches are changed in place (setOptions), so the run generator always sees the current ones.
  const shape = () => ({
    rowsPerRun: resolved.rowsPerRun,
    rowGapMs: resolved.rowGapMs,
    burstRate: resolved.burstRate,
    burstSize: resolved.burstSize,
  });
  const book = new CampaignBook(resolved, shape, clock());
  const state: ApiState = {
    options: resolved,
    book,
    counters: createRequestCounters(),
    limiter: createRequestLimiter(resolved),
    tariffUsed: new Map(),
    failures: new Map(),
    faultRandom: createRandom(deriveSeed(seed, "faults")),
    lateRandom: createRandom(deriveSeed(seed, "late")),
  };

  const campaign = (id: number): Campaign => {
    const found = book.get(id, clock());
    if (!found) throw new RangeError(`campaign ${id} does not exist at ${new Date(clock()).toISOString()}`);
    return found;
  };

  let url = "";
  const handle: AltcraftSimulator = {
    get url() {
      return url;
    },
    get apiUrl() {
      return `${url}${API_PREFIX}`;
    },
    tokens: resolved.tokens.map((g) => g.token),
    now: () => clock(),
    campaigns: () => book.visible(clock()).map((c) => book.view(c, clock())),
    log(id, range = {}) {
      const now = clock();
      const log = campaign(id).log;
      const lo = range.from === undefined ? 0 : log.lowerBound(toMs(range.from, "from"));
      const to = range.to === undefined ? now : Math.min(now, toMs(range.to, "to"));
      const hi = log.upperBound(to);
      const rows: LogRow[] = [];
      for (let i = lo; i < hi; i++) rows.push(log.row(i));
      return rows;
    },
    addLogRows(id, rows) {
      const target = campaign(id);
      for (const r of rows) checkRow(r.level, r.state, r.message, r.value);
      book.addRows(
        target,
        rows.map((r) => ({
          time: toMs(r.time),
          level: r.level,
          message: r.message,
          state: r.state ?? "",
          value: r.value ?? "",
        })),
      );
    },
    addBurst(id, burst) {
      const row = { ...BURST_ROW, ...burst, time: toMs(burst.time) };
      checkRow(row.level, row.state, row.message, row.value);
      if (!Number.isInteger(burst.count) || burst.count < 1) {
        throw new TypeError(`Expected \`count\` to be an integer ≥ 1, got \`${String(burst.count)}\``);
      }
      book.addBurst(campaign(id), row, burst.count);
    },
    addCampaign(newCampaign = {}) {
      const createdAt = newCampaign.createdAt === undefined ? undefined : toMs(newCampaign.createdAt, "createdAt");
      const added = book.add({ ...newCampaign, createdAt }, clock());
      return book.view(added, Math.max(clock(), added.createdAt));
    },
    setCampaignState(id, next) {
      if (!["active", "inactive", "completed"].includes(next)) {
        throw new TypeError(`Expected \`state\` to be active, inactive or completed, got \`${String(next)}\``);
      }
      const target = campaign(id);
      book.setState(target, next, clock());
      return book.view(target, clock());
    },
    requestCounts: () => state.counters.snapshot(),
    resetRequestCounts() {
      state.counters.reset();
      state.tariffUsed.clear();
    },
    options: () => runtimeOptions(resolved),
    setOptions(partial) {
      const valid = validateRuntimeOptions(partial);
      Object.assign(resolved, valid);
      if (valid.requestsPerSecond !== undefined || valid.concurrentRequests !== undefined) {
        state.limiter = createRequestLimiter(resolved);
      }
    },
    failNext(token, count, code) {
      if (!Number.isInteger(count) || count < 1)
        throw new TypeError(`Expected \`count\` to be an integer ≥ 1, got \`${count}\``);
      if (!Number.isInteger(code) || code < 400 || code > 599) {
        throw new TypeError(`Expected \`code\` to be an HTTP/API error code in [400, 599], got \`${code}\``);
      }
      const queue = state.failures.get(token) ?? [];
      queue.push({ remaining: count, code });
      state.failures.set(token, queue);
    },
    stats: () => ({
      rows: book.storedRows(),
      logBytes: book.logBytes(),
    }),
    close: () => server.close(),
  };

  const server = await startHttpServer(
    async (req, res) => {
      const parsed = new URL(req.url ?? "/", "http://simulator");
      if (parsed.pathname.startsWith(API_PREFIX)) return handleApi(state, req, res, parsed);
      if (parsed.pathname.startsWith("/__admin/")) return handleAdmin(handle, req, res, parsed);
      res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
      res.end(renderJson({ data: null, error: 404, error_text: errorText(404, `no route ${parsed.pathname}`) }));
    },
    { port: resolved.port, host: resolved.host },
  );
  url = server.url;
  return handle;
}
