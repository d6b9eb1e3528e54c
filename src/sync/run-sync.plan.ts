/**
 * Planning a run: the jobs of every selected account. Altcraft lists its campaigns first; Yandex.Direct
 * discovers its clients; an account that cannot be planned is reported, and the others go on.
 */
import type { AltcraftAccountConfig, YandexDirectAccountConfig } from "../config/config.schema.js";
import type { HttpAgent } from "../http/http.post.js";
import { createRequestGate, type RequestGate, type RequestGateOptions } from "../http/request.gate.js";
import { toError } from "../errors.js";
import type { StreamJob } from "./run-stream.engine.js";
import type { AccountFailure, AccountListing, SyncDependencies, SyncSelection } from "./run-sync.engine.js";
import { planAltcraftJobs } from "./altcraft.jobs.js";
import { planYandexDirectJobs } from "./yandex-direct.jobs.js";

/** Makes the request gate of a token: its limits, shared however the run shares them. */
export type GateFactory = (source: string, token: string, limits: RequestGateOptions) => RequestGate;

/** Gates of this process alone. */
const localGates: GateFactory = (_source, _token, limits) => createRequestGate(limits);

const chosen = (wanted: readonly string[] | undefined, value: string) => !wanted?.length || wanted.includes(value);
const chosenStream = (wanted: readonly string[] | undefined, key: string) =>
  !wanted?.length || wanted.some((w) => w.toLowerCase() === key.toLowerCase());

type PlanDependencies = Pick<SyncDependencies, "config" | "warehouse" | "log" | "signal" | "requests"> & {
  agent: HttpAgent;
  /** The request gate of an account's token; default: one of this process alone. */
  gates?: GateFactory;
  /** The run the plan is for: listings are recorded under it. */
  runId?: number;
};

/** What planning yields: the jobs, the accounts that failed, and what each complete listing showed. */
interface Plan {
  jobs: StreamJob<unknown>[];
  failures: AccountFailure[];
  listings: AccountListing[];
}

/**
 * Plans the jobs of every selected account. Altcraft lists its campaigns first; an account that cannot be
 * planned is reported, and the others go on.
 */
export async function planJobs(deps: PlanDependencies, selection: SyncSelection, now: () => Date): Promise<Plan> {
  const plan: Plan = { jobs: [], failures: [], listings: [] };
  const wanted = (source: string, account: string) =>
    chosen(selection.sources, source) && chosen(selection.accounts, account);
  for (const account of deps.config.sources.altcraft?.accounts ?? []) {
    if (wanted("altcraft", account.name)) await planAltcraftAccount(deps, account, now, plan);
  }
  for (const account of deps.config.sources.yandex_direct?.accounts ?? []) {
    if (wanted("yandex_direct", account.name)) await planYandexDirectAccount(deps, { account, selection }, now, plan);
  }
  // Logins are case-insensitive; campaign ids are digits.
  const selected = plan.jobs.filter((job) => chosenStream(selection.streams, job.identity.streamKey));
  const observe = deps.requests;
  return { ...plan, jobs: observe ? selected.map((job) => observeRequests(job, observe)) : selected };
}

/** What planning one account needs: its gate, the run's connections, and the observer of its requests. */
function planning(
  deps: PlanDependencies,
  source: "altcraft" | "yandex_direct",
  account: { concurrency: number; requestsPerSecond: number; token: string; name: string },
  now: () => Date,
) {
  const gates = deps.gates ?? localGates;
  return {
    gate: gates(source, account.token, {
      concurrency: account.concurrency,
      requestsPerSecond: account.requestsPerSecond,
    }),
    warehouse: deps.warehouse,
    now,
    log: deps.log,
    signal: deps.signal,
    agent: deps.agent,
    observer: deps.requests?.(source, account.name),
  };
}

/** Lists an Altcraft account's campaigns into jobs, or records the account's failure. */
async function planAltcraftAccount(
  deps: PlanDependencies,
  account: AltcraftAccountConfig,
  now: () => Date,
  plan: Plan,
): Promise<void> {
  try {
    const planned = await planAltcraftJobs(account, planning(deps, "altcraft", account, now));
    plan.jobs.push(...(planned.jobs as StreamJob<unknown>[]));
    plan.listings.push({
      source: "altcraft",
      account: account.name,
      listedKeys: planned.listedKeys,
      slowPolledKeys: planned.slowPolledKeys,
    });
  } catch (err) {
    // A listing cut by the shutdown signal is not the account failing: the run is interrupted.
    if (deps.signal.aborted) return;
    const error = `${toError(err).message} (altcraft/${account.name}: campaigns/list)`;
    deps.log.error(
      { err: toError(err), source: "altcraft", account: account.name },
      "account failed: its campaigns could not be listed",
    );
    plan.failures.push({ source: "altcraft", account: account.name, error });
  }
}

/**
 * Plans a Yandex.Direct account's logins, or records the account's failure; a failed discovery of an agency's
 * clients is reported while the clients of its last complete listing are read.
 */
async function planYandexDirectAccount(
  deps: PlanDependencies,
  chosen: { account: YandexDirectAccountConfig; selection: SyncSelection },
  now: () => Date,
  plan: Plan,
): Promise<void> {
  const { account, selection } = chosen;
  try {
    const planned = await planYandexDirectJobs(account, {
      ...planning(deps, "yandex_direct", account, now),
      runId: deps.runId,
      parallelStreams: deps.config.sync.parallelStreams,
      chosen: (key) => chosenStream(selection.streams, key),
    });
    plan.jobs.push(...(planned.jobs as StreamJob<unknown>[]));
    const { discovery } = planned;
    if (discovery?.listedKeys)
      plan.listings.push({
        source: "yandex_direct",
        account: account.name,
        listedKeys: discovery.listedKeys,
        slowPolledKeys: [],
      });
    if (discovery?.failure && !deps.signal.aborted)
      plan.failures.push({
        source: "yandex_direct",
        account: account.name,
        error: `${discovery.failure.message} (yandex_direct/${account.name}: AgencyClients.get; the clients of the last complete listing were read)`,
        streamsRead: true,
      });
  } catch (err) {
    if (deps.signal.aborted) return;
    const error = `${toError(err).message} (yandex_direct/${account.name}: AgencyClients.get)`;
    deps.log.error(
      { err: toError(err), source: "yandex_direct", account: account.name },
      "account failed: its clients could not be listed",
    );
    plan.failures.push({ source: "yandex_direct", account: account.name, error });
  }
}

/**
 * The job with its requests told to the observer of its account: the engine's tally of the stream, which
 * the job hands to its client, carries the observer.
 */
function observeRequests<Row>(job: StreamJob<Row>, observe: NonNullable<SyncDependencies["requests"]>): StreamJob<Row> {
  const observer = observe(job.identity.source, job.identity.account);
  return { ...job, read: (start, tally, signal) => job.read(start, Object.assign(tally, { observer }), signal) };
}
