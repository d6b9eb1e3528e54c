/**
 * The loader: one batch of a stream — its events, its rejects, the gaps it stepped past, the stream's new
 * cursor and the batch's counters — committed in a single transaction, so a crash replays at most the batch
 * in flight, a cursor never moves past rows that are not stored, and a gap is never lost with the batch that
 * stepped past it (docs/architecture.md, Promises).
 *
 * Bulk path: the rows are streamed with COPY into a temporary staging table, then moved with one
 * INSERT … SELECT … ON CONFLICT (event_key) DO NOTHING; the number of rows that statement inserts is the
 * number of new events, the rest were duplicates. No statement per row. The staging table lives as long as
 * its connection (emptied at each commit), so a batch adds nothing to the catalog: a table made and dropped
 * per batch would write and delete catalog rows thousands of times a round. Its name carries its columns' hash,
 * so a connection never copies into a table of another shape.
 */
import { hash } from "node:crypto";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { LoaderInputError } from "../errors.js";
import { encodeCopyChunks, NUL_FLAG_COLUMN } from "./copy.encoder.js";
import { jsonWithoutNul } from "./nul.replacement.js";
import {
  checkGapInput,
  closeSteppedGaps,
  type CoveredRange,
  coversTime,
  type GapRecord,
  recordGaps,
} from "./gaps.repository.js";
import type { ColumnKind, EventTable } from "./copy.columns.js";

const PG_TYPE: Record<ColumnKind, string> = {
  uuid: "uuid",
  text: "text",
  integer: "integer",
  bigint: "bigint",
  double: "double precision",
  numeric: "numeric",
  boolean: "boolean",
  timestamptz: "timestamptz",
  date: "date",
  jsonb: "jsonb",
};

export interface RejectedRecord {
  /** What is wrong with it: the field and what was expected. */
  reason: string;
  /** The record exactly as the API sent it. */
  payload: unknown;
}

export interface BatchToLoad<Row> {
  streamId: number;
  runId: number;
  events: readonly Row[];
  rejects?: readonly RejectedRecord[];
  /** The stream's cursor once this batch is stored; it only moves forward (omitted: it stays where it is). */
  cursor?: Date;
  /** Keys merged into the stream's paging state (sync.streams.state). */
  state?: Record<string, unknown>;
  /** Added to the stream-run counters. `eventsFetched` defaults to events + rejects. */
  counters?: { requests?: number; retries?: number; eventsFetched?: number };
  /**
   * The source-time range `[from, to)` this batch read completely except for its `gaps`: open gaps of the
   * stream placed in it that the batch did not meet again are closed (omitted: none is closed).
   */
  covered?: CoveredRange;
  /** Places the batch stepped past because the server would not give them: recorded with the batch (sync.gaps). */
  gaps?: readonly GapRecord[];
}

export interface BatchLoaded {
  inserted: number;
  duplicates: number;
  rejects: number;
}

type Queryable = Pick<pg.PoolClient, "query">;

function check<Row>(table: EventTable<Row>, batch: BatchToLoad<Row>): void {
  for (const [field, value] of [
    ["streamId", batch.streamId],
    ["runId", batch.runId],
  ] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new LoaderInputError(`${table.name}: ${field} must be a positive integer, got ${String(value)}`, field);
    }
  }
  if (!Array.isArray(batch.events)) throw new LoaderInputError(`${table.name}: events must be an array`, "events");
  if (batch.cursor !== undefined && !(batch.cursor instanceof Date && !Number.isNaN(batch.cursor.getTime()))) {
    throw new LoaderInputError(`${table.name}: cursor must be a valid Date, got ${String(batch.cursor)}`, "cursor");
  }
  for (const [i, reject] of (batch.rejects ?? []).entries()) {
    if (typeof reject?.reason !== "string" || reject.payload === undefined) {
      throw new LoaderInputError(`${table.name}: rejects[${i}] needs a reason string and a payload`, "rejects");
    }
  }
  checkGapInput(table.name, batch.covered, batch.gaps);
}

/** Loads one batch in one transaction on a connection from `pool`. */
export async function loadBatch<Row>(
  pool: pg.Pool,
  table: EventTable<Row>,
  batch: BatchToLoad<Row>,
): Promise<BatchLoaded> {
  check(table, batch);
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query("begin");
    const result = await loadInTransaction(client, table, batch);
    await client.query("commit");
    return result;
  } catch (err) {
    failed = true;
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    // After a failure the connection may be the reason (terminated, the server restarting): never reuse it.
    client.release(failed);
  }
}

const stagingTables = new WeakMap<EventTable<unknown>, { name: string; create: string }>();

/** The staging table of `table` on a connection: made once (in the transaction that first needs it), emptied at commit. */
function stagingTable(table: EventTable<unknown>): { name: string; create: string } {
  const known = stagingTables.get(table);
  if (known) return known;
  const staged = [...table.columns.map((c) => `${c.name} ${PG_TYPE[c.kind]}`), `${NUL_FLAG_COLUMN} boolean`].join(", ");
  const name = `stage_${hash("sha256", `${table.name} ${staged}`, "hex").slice(0, 16)}`;
  const stage = { name, create: `create temp table if not exists ${name} (${staged}) on commit delete rows` };
  stagingTables.set(table, stage);
  return stage;
}

/** The staging tables each connection has made: a table is made once per connection, not once per batch. */
const stagedOn = new WeakMap<pg.ClientBase, Set<string>>();

/**
 * Makes the staging table on this connection unless it made it already. Should the transaction that makes it
 * fail, the connection is dropped (`loadBatch`), so a table noted here always exists.
 */
async function ensureStagingTable(client: pg.PoolClient, stage: { name: string; create: string }): Promise<void> {
  const staged = stagedOn.get(client) ?? new Set<string>();
  if (staged.has(stage.name)) return;
  await client.query(stage.create);
  staged.add(stage.name);
  stagedOn.set(client, staged);
}

async function loadInTransaction<Row>(
  client: pg.PoolClient,
  table: EventTable<Row>,
  batch: BatchToLoad<Row>,
): Promise<BatchLoaded> {
  const names = [...table.columns.map((c) => c.name), NUL_FLAG_COLUMN].join(", ");
  let staged: string | undefined;
  if (batch.events.length > 0) {
    const stage = stagingTable(table as EventTable<unknown>);
    await ensureStagingTable(client, stage);
    // Encoded as COPY takes it: a value that cannot be stored fails the COPY, and the transaction with it.
    await pipeline(
      Readable.from(encodeCopyChunks(table, batch.events)),
      client.query(copyFrom(`copy ${stage.name} (${names}) from stdin`)),
    );
    staged = stage.name;
  }
  const rejects = batch.rejects ?? [];
  if (rejects.length > 0) await insertRejects(client, batch.streamId, batch.runId, rejects);
  // With the batch that stepped past them: a crash after this commit keeps them. A batch that met no gap
  // closes the ones it covered in the statement that moves it.
  const gaps = batch.gaps ?? [];
  if (gaps.length > 0) await recordGaps(client, batch.streamId, batch.runId, batch.covered, gaps);
  const closes = gaps.length === 0 && coversTime(batch.covered) ? batch.covered : undefined;
  const into = { table: table.name, names, staged };
  const inserted = await moveRowsAndCursor(client, into, batch, rejects.length, closes);
  return { inserted, duplicates: batch.events.length - inserted, rejects: rejects.length };
}

/**
 * One statement: the staged rows moved into the table (`on conflict (event_key) do nothing`: the number moved is
 * the number of new events), the stream's cursor and state moved, the batch added to its stream run's counters,
 * and the open stepped gaps in `closes` closed. Returns how many rows were new.
 */
async function moveRowsAndCursor<Row>(
  client: Queryable,
  into: { table: string; names: string; staged: string | undefined },
  batch: BatchToLoad<Row>,
  rejects: number,
  closes: CoveredRange | undefined,
): Promise<number> {
  const counters = batch.counters ?? {};
  const moved = into.staged
    ? `moved as (insert into ${into.table} (${into.names}, stream_id, run_id) select ${into.names}, $1, $2 from ${into.staged} on conflict (event_key) do nothing returning 1),
       n as (select count(*)::int as inserted from moved)`
    : "n as (select 0 as inserted)";
  const closed = closes ? `closed as (${closeSteppedGaps({ stream: "$1", run: "$2", from: "$10", to: "$11" })}),` : "";
  const { rows } = await client.query<{ inserted: number; streams: number }>(
    `with ${moved}, ${closed}
     cursor_moved as (
       update sync.streams
          set cursor = greatest(cursor, $3::timestamptz), state = state || $4::jsonb, updated_at = now()
        where stream_id = $1
       returning 1),
     counted as (
       insert into sync.stream_runs as sr
         (run_id, stream_id, requests, retries, batches, events_fetched, events_inserted, events_duplicate, rejects, cursor_after)
       select $2, $1, $5, $6, 1, $7, n.inserted, $8::int - n.inserted, $9, $3::timestamptz
         from n where exists (select 1 from cursor_moved)
       on conflict (run_id, stream_id) do update set
         requests = sr.requests + excluded.requests,
         retries = sr.retries + excluded.retries,
         batches = sr.batches + 1,
         events_fetched = sr.events_fetched + excluded.events_fetched,
         events_inserted = sr.events_inserted + excluded.events_inserted,
         events_duplicate = sr.events_duplicate + excluded.events_duplicate,
         rejects = sr.rejects + excluded.rejects,
         cursor_after = coalesce(excluded.cursor_after, sr.cursor_after))
     select n.inserted, (select count(*) from cursor_moved)::int as streams from n`,
    [
      batch.streamId,
      batch.runId,
      batch.cursor ?? null,
      JSON.stringify(batch.state ?? {}),
      counters.requests ?? 0,
      counters.retries ?? 0,
      counters.eventsFetched ?? batch.events.length + rejects,
      batch.events.length,
      rejects,
      ...(closes ? [closes.from.toISOString(), closes.to.toISOString()] : []),
    ],
  );
  const row = rows[0];
  if (row?.streams !== 1) throw new LoaderInputError(`no stream with stream_id ${batch.streamId}`, "streamId");
  return row.inserted;
}

/**
 * Stores rejects once each: a reject's identity is its stream, its record and its occurrence among
 * identical records of the batch (as for events), so a record re-read by a lookback, a crash replay or an
 * overlapping window is not stored again. Returns how many were new.
 */
async function insertRejects(
  client: Queryable,
  streamId: number,
  runId: number,
  rejects: readonly RejectedRecord[],
): Promise<number> {
  const seen = new Map<string, number>();
  const payloads: string[] = [];
  const occurrences: number[] = [];
  const nul: boolean[] = [];
  for (const reject of rejects) {
    const { json, replaced } = jsonWithoutNul(reject.payload);
    const occurrence = seen.get(json) ?? 0;
    seen.set(json, occurrence + 1);
    payloads.push(json);
    occurrences.push(occurrence);
    nul.push(replaced);
  }
  const stored = await client.query(
    `insert into sync.rejects (stream_id, run_id, reason, payload, occurrence, nul_replaced, reject_key)
     select $1::bigint, $2::bigint, r.reason, r.payload, r.occurrence, r.nul,
            md5($1::bigint::text || ':' || r.occurrence::text || ':' || r.payload::text)::uuid
       from unnest($3::text[], $4::jsonb[], $5::int[], $6::boolean[]) as r(reason, payload, occurrence, nul)
     on conflict (reject_key) do nothing`,
    [streamId, runId, rejects.map((r) => r.reason), payloads, occurrences, nul],
  );
  return stored.rowCount ?? 0;
}
