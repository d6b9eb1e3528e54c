/**
 * The offline Altcraft API simulator: `startAltcraftSimulator(options)` serves the API on loopback and returns
 * a handle that holds the ground truth and controls the data and the switches at runtime.
 * API root: `${url}/api/v1.1/`; admin routes under `${url}/__admin/` (see altcraft.admin.ts).
 */
import { startHttpServer, type RequestHandler } from "../common/loopback.server.js";
import { createRandom, deriveSeed } from "../common/seeded.random.js";
import { createRequestCounters } from "../common/request.counters.js";
import { createRequestLimiter } from "../common/request.limits.js";
import { handleAdmin } from "./altcraft.admin.js";
import { CampaignBook, type CampaignState, type CampaignView, type NewCampaign } from "./altcraft.campaigns.js";
import { renderJson } from "./altcraft.codec.js";
import {
  addBurst,
  addCampaign,
  addLogRows,
  campaignLog,
  failNext,
  setCampaignState,
  setOptions,
  type Simulation,
} from "./altcraft.controls.js";
import { API_PREFIX, type ApiState, handleApi } from "./altcraft.handler.js";
import type { LogLevel, LogRow, LogState } from "./altcraft.log-store.js";
import { errorText } from "./altcraft.methods.js";
import {
  type AltcraftRuntimeOptions,
  type AltcraftSimulatorOptions,
  resolveOptions,
  type ResolvedOptions,
  type ResolvedRuntimeOptions,
  runtimeOptions,
} from "./altcraft.options.js";

export { toMs } from "./altcraft.controls.js";

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

/** The API's state at start: the campaign book over the resolved options, empty counters and queues. */
function createApiState(resolved: ResolvedOptions): ApiState {
  const clock = resolved.clock;
  // Runtime switches are changed in place (setOptions), so the run generator always sees the current ones.
  const shape = () => ({
    rowsPerRun: resolved.rowsPerRun,
    rowGapMs: resolved.rowGapMs,
    burstRate: resolved.burstRate,
    burstSize: resolved.burstSize,
  });
  return {
    options: resolved,
    book: new CampaignBook(resolved, shape, clock()),
    counters: createRequestCounters(),
    limiter: createRequestLimiter(resolved),
    tariffUsed: new Map(),
    failures: new Map(),
    faultRandom: createRandom(deriveSeed(resolved.seed, "faults")),
    lateRandom: createRandom(deriveSeed(resolved.seed, "late")),
  };
}

/** The handle over a running simulator; `url()` gives the server's address once it listens. */
function createHandle(sim: Simulation, url: () => string, close: () => Promise<void>): AltcraftSimulator {
  const { state, clock } = sim;
  const { book } = state;
  return {
    get url() {
      return url();
    },
    get apiUrl() {
      return `${url()}${API_PREFIX}`;
    },
    tokens: state.options.tokens.map((g) => g.token),
    now: () => clock(),
    campaigns: () => book.visible(clock()).map((c) => book.view(c, clock())),
    log: (id, range = {}) => campaignLog(sim, id, range),
    addLogRows: (id, rows) => addLogRows(sim, id, rows),
    addBurst: (id, burst) => addBurst(sim, id, burst),
    addCampaign: (newCampaign = {}) => addCampaign(sim, newCampaign),
    setCampaignState: (id, next) => setCampaignState(sim, id, next),
    requestCounts: () => state.counters.snapshot(),
    resetRequestCounts() {
      state.counters.reset();
      state.tariffUsed.clear();
    },
    options: () => runtimeOptions(state.options),
    setOptions: (partial) => setOptions(state, partial),
    failNext: (token, count, code) => failNext(state, token, count, code),
    stats: () => ({
      rows: book.storedRows(),
      logBytes: book.logBytes(),
    }),
    close,
  };
}

/** Routes a request to the API or the admin routes; anything else is a 404 in the API's envelope. */
function routeRequest(state: ApiState, handle: AltcraftSimulator): RequestHandler {
  return async (req, res) => {
    const parsed = new URL(req.url ?? "/", "http://simulator");
    if (parsed.pathname.startsWith(API_PREFIX)) return handleApi(state, req, res, parsed);
    if (parsed.pathname.startsWith("/__admin/")) return handleAdmin(handle, req, res, parsed);
    res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
    res.end(renderJson({ data: null, error: 404, error_text: errorText(404, `no route ${parsed.pathname}`) }));
  };
}

export async function startAltcraftSimulator(input: AltcraftSimulatorOptions = {}): Promise<AltcraftSimulator> {
  const resolved = resolveOptions(input);
  const sim: Simulation = { state: createApiState(resolved), clock: resolved.clock };
  let url = "";
  const handle = createHandle(
    sim,
    () => url,
    () => server.close(),
  );
  const server = await startHttpServer(routeRequest(sim.state, handle), { port: resolved.port, host: resolved.host });
  url = server.url;
  return handle;
}
