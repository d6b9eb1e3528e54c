/**
 * The budget connection of a process (request-budget.factory.ts): its own pg.Client, not taken from the pool, that
 * holds the slots' session-level locks and LISTENs on CHANNEL. Statements on it run one after another, in
 * the order they were asked for. Losing it ends the budgets for good: the slots went with it.
 */
import pg from "pg";
import { toError } from "../errors.js";
import { isLostConnection } from "./connection.loss.js";
import { RequestBudgetLostError } from "./request-budget.types.js";
import { CHANNEL, dropEverything, failure, type RequestBudgetsState } from "./request-budget.state.js";

/** The budget connection `client` ended or failed: the budgets end with a RequestBudgetLostError. */
function onLost(shared: RequestBudgetsState, client: pg.Client, err: Error): void {
  if (client !== shared.live || shared.ended.signal.aborted) return;
  const reason = new RequestBudgetLostError(
    `the warehouse connection holding the request budget was lost (${err.message})`,
    { cause: err },
  );
  shared.log?.warn({ err }, "the warehouse connection holding the request budget was lost");
  shared.ended.abort(reason);
  dropEverything(shared);
}

/** A client with the pool's settings, named after the pool's application as its request budget. */
function newClient(shared: RequestBudgetsState): pg.Client {
  const settings = shared.pool.options;
  const client = new pg.Client({
    ...settings,
    password: settings.password,
    application_name: `${settings.application_name ?? "eventlog-sync"} (request budget)`,
  });
  client.on("error", (err) => onLost(shared, client, err));
  client.on("end", () => onLost(shared, client, new Error("Connection terminated")));
  client.on("notification", (message) => shared.onNotification(message));
  return client;
}

async function open(shared: RequestBudgetsState): Promise<pg.Client> {
  const client = newClient(shared);
  try {
    await client.connect();
    // A stamp lost in a server crash costs at most a few extra starts: no commit waits for a WAL flush.
    await client.query(`set synchronous_commit = off; listen ${CHANNEL}`);
    const asked = performance.now();
    const result = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    shared.roundTripMs = performance.now() - asked;
    shared.backendPid = Number(result.rows[0]?.pid);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new RequestBudgetLostError(
      `could not open the warehouse connection that holds the request budget (${toError(err).message})`,
      { cause: err },
    );
  }
  if (shared.closed) {
    await client.end().catch(() => undefined);
    throw failure(shared);
  }
  shared.live = client;
  return client;
}

/** The budget connection, opened on first use; rejects once the budgets ended. */
export function openConnection(shared: RequestBudgetsState): Promise<pg.Client> {
  const failed = failure(shared);
  if (failed) return Promise.reject(failed);
  if (shared.live) return Promise.resolve(shared.live);
  shared.connecting ??= open(shared).finally(() => (shared.connecting = undefined));
  return shared.connecting;
}

/**
 * Runs a statement on the budget connection after those asked for before it; `onSend` is told when it is sent
 * (performance.now), after its wait for those.
 */
export function query<R extends pg.QueryResultRow>(
  shared: RequestBudgetsState,
  text: string,
  values: unknown[],
  name?: string,
  onSend?: (at: number) => void,
): Promise<pg.QueryResult<R>> {
  const run = shared.statements.then(async () => {
    const client = shared.live ?? (await openConnection(shared));
    try {
      onSend?.(performance.now());
      return await client.query<R>(name ? { name, text, values } : { text, values });
    } catch (err) {
      if (isLostConnection(err)) onLost(shared, client, toError(err));
      throw failure(shared) ?? err;
    }
  });
  shared.statements = run.catch(() => undefined);
  return run;
}

/**
 * Ends the budget connection once the statements asked for have run; a connection still alive gives its
 * slots back first (a lost one took them with it).
 */
export async function endConnection(shared: RequestBudgetsState, wasLost: boolean): Promise<void> {
  const client = shared.live ?? (await shared.connecting?.catch(() => undefined));
  if (!client) return;
  await shared.statements;
  if (!wasLost) await client.query("select pg_advisory_unlock_all()").catch(() => undefined);
  await client.end().catch(() => undefined);
}
