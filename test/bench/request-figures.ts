/**
 * Requests per stream against the fewest that could carry what was read, for the "requests" sections of
 * bench:yandex and bench:altcraft:
 * - a pass-through proxy on loopback in front of a simulator that counts every request the server receives by
 *   method and stream (the login a GetEventsLog names, the campaign a log_v2 names): the simulators count per
 *   token, and one token serves every stream of an account;
 * - the printing of a backfill and of an incremental run against the targets, PASS or FAIL per target.
 * The minimum of a stream is ceil(records read ÷ pageLimit), at least 1: the fewest responses that could carry
 * them. Prints; never throws on a missed target (a bench reports what one run measured).
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** The method and stream of a request, from its path and JSON body; undefined: not counted. */
export type Classify = (path: string, body: unknown) => { method: string; stream: string } | undefined;

export interface StreamCounter {
  /** Base URL of the proxy: put it where the simulator's base URL would be. */
  readonly url: string;
  /** Requests the server received per stream, for one method. */
  of(method: string): ReadonlyMap<string, number>;
  /** Requests of one method, every stream together. */
  total(method: string): number;
  reset(): void;
  close(): Promise<void>;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a counting proxy to `upstream` (a simulator's base URL). */
export async function startStreamCounter(upstream: string, classify: Classify): Promise<StreamCounter> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  let counts = new Map<string, Map<string, number>>();
  const server = createServer((req, res) => {
    const forward = async () => {
      const body = await readAll(req);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        parsed = undefined;
      }
      const hit = classify(req.url ?? "/", parsed);
      if (hit) {
        let byStream = counts.get(hit.method);
        if (!byStream) counts.set(hit.method, (byStream = new Map()));
        byStream.set(hit.stream, (byStream.get(hit.stream) ?? 0) + 1);
      }
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", (err) => res.destroy(err));
      out.end(body);
    };
    forward().catch((err: unknown) => res.destroy(err instanceof Error ? err : new Error(String(err))));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    of: (method) => counts.get(method) ?? new Map<string, number>(),
    total: (method) => [...(counts.get(method)?.values() ?? [])].reduce((a, b) => a + b, 0),
    reset: () => {
      counts = new Map();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** Yandex.Direct Live 4: the method of the body, the stream its first login (the owner without one). */
export const yandexStreams: Classify = (_path, body) => {
  const b = body as { method?: unknown; param?: { Logins?: unknown } } | undefined;
  if (typeof b?.method !== "string") return undefined;
  const logins = b.param?.Logins;
  const login = Array.isArray(logins) && typeof logins[0] === "string" ? logins[0] : "(owner)";
  return { method: b.method, stream: login };
};

/** Altcraft: the method of the path (`campaigns/log_v2`), the stream the campaign id of the body. */
export const altcraftStreams: Classify = (path, body) => {
  const method = /\/api\/v1\.1\/([^?]+)/.exec(path)?.[1];
  if (!method) return undefined;
  const id = (body as { id?: unknown } | undefined)?.id;
  return { method, stream: typeof id === "number" || typeof id === "string" ? String(id) : "" };
};

/** One stream's figures in one run. */
export interface StreamFigure {
  /** How the stream is named in the output. */
  stream: string;
  /** What kind of stream it is (e.g. `quiet`, `inactive`). */
  kind: string;
  /** Requests the server received for it. */
  requests: number;
  /** Records in the range the run reads, by the simulator's ground truth. */
  records: number;
  /** Incremental: records after the cursor the run started from. */
  fresh?: number;
  /** Source-specific figures explaining the requests (windows, rows re-read). */
  detail?: string;
}

/** The fewest responses that could carry `records`: ceil(records ÷ pageLimit), at least one request. */
export const minimumOf = (records: number, pageLimit: number): number => Math.max(1, Math.ceil(records / pageLimit));

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

/** `2×6, 3×1`: how many streams made each number of requests. */
function spread(figures: readonly StreamFigure[]): string {
  const by = new Map<number, number>();
  for (const f of figures) by.set(f.requests, (by.get(f.requests) ?? 0) + 1);
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([requests, streams]) => `${requests}×${streams}`)
    .join(", ");
}

export interface BackfillFigures {
  /** Streams that need more than one response: their requests and minimum together. */
  requests: number;
  minimum: number;
  ratio: number;
  worst: { stream: string; ratio: number } | undefined;
  pass: boolean;
  /** Streams one response could carry: their requests and count. */
  small: { streams: number; requests: number };
}

export function printBackfill(input: {
  figures: readonly StreamFigure[];
  pageLimit: number;
  /** `events` or `rows`. */
  unit: string;
  /** Heading of the detail column. */
  detailHeading: string;
  /** Most requests per minimum allowed (1.3). */
  target: number;
  /** What the target allows for, in words. */
  targetWhy: string;
}): BackfillFigures {
  const { figures, pageLimit, unit, detailHeading, target } = input;
  const width = Math.max(8, ...figures.map((f) => f.stream.length));
  console.log(
    `  ${"stream".padEnd(width)}  ${"kind".padEnd(9)} ${unit.padStart(8)} ${"requests".padStart(9)} ${"minimum".padStart(8)} ${"ratio".padStart(6)}   ${detailHeading}`,
  );
  for (const f of figures) {
    const minimum = minimumOf(f.records, pageLimit);
    console.log(
      `  ${f.stream.padEnd(width)}  ${f.kind.padEnd(9)} ${fmt(f.records).padStart(8)} ${String(f.requests).padStart(9)} ${String(minimum).padStart(8)} ${(f.requests / minimum).toFixed(2).padStart(6)}   ${f.detail ?? ""}`,
    );
  }
  const large = figures.filter((f) => minimumOf(f.records, pageLimit) > 1);
  const small = figures.filter((f) => minimumOf(f.records, pageLimit) === 1);
  const requests = large.reduce((n, f) => n + f.requests, 0);
  const minimum = large.reduce((n, f) => n + minimumOf(f.records, pageLimit), 0);
  const ratio = minimum > 0 ? requests / minimum : Number.NaN;
  let worst: BackfillFigures["worst"];
  for (const f of large) {
    const r = f.requests / minimumOf(f.records, pageLimit);
    if (!worst || r > worst.ratio) worst = { stream: f.stream, ratio: r };
  }
  const everyStream = worst !== undefined && worst.ratio <= target;
  const pass = large.length > 0 && ratio <= target;
  if (large.length > 0) {
    console.log(
      `  streams that need more than one response: ${large.length}, ${fmt(requests)} requests ÷ ${fmt(minimum)} minimum = ${ratio.toFixed(3)}×; worst stream ${worst?.ratio.toFixed(3)}× (${worst?.stream})`,
    );
    console.log(
      `  target ≤ ${target.toFixed(2)}× (${input.targetWhy}): all of them ${verdict(pass)}, every stream ${verdict(everyStream)}`,
    );
  } else console.log(`  no stream needs more than one response: the ${target}× target is not measured (FAIL)`);
  if (small.length > 0) {
    const n = small.reduce((s, f) => s + f.requests, 0);
    console.log(
      `  streams one response could carry (minimum 1): ${small.length}, ${n} requests (${spread(small)}; not judged by the ${target}× target)`,
    );
  }
  return {
    requests,
    minimum,
    ratio,
    worst,
    pass,
    small: { streams: small.length, requests: small.reduce((s, f) => s + f.requests, 0) },
  };
}

export interface IncrementalGroup {
  streams: number;
  requests: number;
  max: number;
  spread: string;
  pass: boolean | undefined;
}

export interface IncrementalFigures {
  withRecords: IncrementalGroup;
  /** Of those with records in the range read: those with records past the cursor, and those without. */
  withFresh: IncrementalGroup;
  onlyStored: IncrementalGroup;
  without: IncrementalGroup;
}

function group(figures: readonly StreamFigure[], most: number | undefined): IncrementalGroup {
  const max = figures.reduce((m, f) => Math.max(m, f.requests), 0);
  return {
    streams: figures.length,
    requests: figures.reduce((n, f) => n + f.requests, 0),
    max,
    spread: spread(figures),
    pass: most === undefined || figures.length === 0 ? undefined : max <= most,
  };
}

export function printIncremental(input: {
  figures: readonly StreamFigure[];
  pageLimit: number;
  unit: string;
  /** What "in the range read" is, in words: `the lookback and after`. */
  rangeWords: string;
  detailHeading: string;
  /** Most requests for a stream with records in the range (2) and for one without (1). */
  targets: { withRecords: number; without: number };
}): IncrementalFigures {
  const { figures, pageLimit, unit, targets } = input;
  const width = Math.max(8, ...figures.map((f) => f.stream.length));
  console.log(
    `  ${"stream".padEnd(width)}  ${"kind".padEnd(9)} ${`${unit} read`.padStart(11)} ${"new".padStart(6)} ${"requests".padStart(9)} ${"minimum".padStart(8)}   ${input.detailHeading}`,
  );
  for (const f of figures) {
    console.log(
      `  ${f.stream.padEnd(width)}  ${f.kind.padEnd(9)} ${fmt(f.records).padStart(11)} ${fmt(f.fresh ?? 0).padStart(6)} ${String(f.requests).padStart(9)} ${String(minimumOf(f.records, pageLimit)).padStart(8)}   ${f.detail ?? ""}`,
    );
  }
  const withRecords = figures.filter((f) => f.records > 0);
  const without = figures.filter((f) => f.records === 0);
  const result: IncrementalFigures = {
    withRecords: group(withRecords, targets.withRecords),
    withFresh: group(
      withRecords.filter((f) => (f.fresh ?? 0) > 0),
      undefined,
    ),
    onlyStored: group(
      withRecords.filter((f) => (f.fresh ?? 0) === 0),
      undefined,
    ),
    without: group(without, targets.without),
  };
  const line = (label: string, g: IncrementalGroup, target?: string) => {
    const judged = g.pass === undefined ? (target ? "not measured: no such stream in this run" : "") : verdict(g.pass);
    console.log(
      `  ${label.padEnd(52)}: ${g.streams} streams, ${g.requests} requests${g.streams > 0 ? ` (${g.spread}; max ${g.max})` : ""}${target ? `   target ${target}: ${judged}` : ""}`,
    );
  };
  line(`with ${unit} in ${input.rangeWords}`, result.withRecords, `≤ ${targets.withRecords}`);
  line(`  of which with ${unit} past the cursor`, result.withFresh);
  line(`  of which with only ${unit} already stored`, result.onlyStored);
  line(`without ${unit} in ${input.rangeWords}`, result.without, `${targets.without}`);
  const over = withRecords.filter((f) => f.requests > targets.withRecords);
  for (const f of over.slice(0, 5))
    console.log(
      `    over the target: ${f.stream}, ${f.requests} requests for ${fmt(f.records)} ${unit} (minimum ${minimumOf(f.records, pageLimit)}) ${f.detail ?? ""}`,
    );
  return result;
}

/** One mode's figures, for the closing table. */
export interface ModeFigures {
  mode: string;
  backfill: BackfillFigures;
  incremental: IncrementalFigures;
}

export function printRequestsSummary(
  unit: string,
  modes: readonly ModeFigures[],
  targets: { backfill: number; withRecords: number; without: number },
): void {
  const col = (text: string) => text.padEnd(40);
  console.log(
    `\n  requests, ${modes.map((m) => m.mode).join(" and ")} (targets: backfill ≤ ${targets.backfill}× the minimum; incremental ≤ ${targets.withRecords} per stream with ${unit} in range, ${targets.without} without)`,
  );
  console.log(`  ${"".padEnd(34)}${modes.map((m) => col(m.mode)).join("")}`);
  const row = (label: string, cell: (m: ModeFigures) => string) =>
    console.log(`  ${label.padEnd(34)}${modes.map((m) => col(cell(m))).join("")}`);
  row("backfill requests ÷ minimum", (m) => {
    const b = m.backfill;
    const worst = b.worst ? `; worst ${b.worst.ratio.toFixed(2)}× ${verdict(b.worst.ratio <= targets.backfill)}` : "";
    return `${b.ratio.toFixed(3)}× ${verdict(b.pass)}${worst}`;
  });
  const cell = (g: IncrementalGroup, target: number) =>
    g.streams === 0
      ? "no such stream"
      : `${g.spread} (max ${g.max}) ${g.pass === undefined ? "" : `${verdict(g.pass)} ≤ ${target}`}`;
  row(`incremental, ${unit} in range`, (m) => cell(m.incremental.withRecords, targets.withRecords));
  row(`  … past the cursor`, (m) => cell(m.incremental.withFresh, targets.withRecords));
  row(`  … only already stored`, (m) => cell(m.incremental.onlyStored, targets.withRecords));
  row(`incremental, none in range`, (m) => cell(m.incremental.without, targets.without));
}
