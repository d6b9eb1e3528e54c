/**
 * Discovery of an agency's clients (`logins: all`): each run lists them (API v5 AgencyClients.get, through the
 * account's request gate and retry policy) or reuses the listing a copy of the same round just took, records
 * the complete listing in yandex_direct.clients, and turns the clients the account takes (its
 * discovery.include/exclude, and archived ones only when asked) into streams. Only a complete listing changes
 * which streams there are: when the listing fails on the way, the clients of the last complete one are read as
 * before and nothing is added or retired — unless the failure says the token itself is refused, which fails
 * the account.
 */
import { type DiscoveryConfig, DISCOVERY_DEFAULTS, type YandexDirectAccountConfig } from "../config/config.schema.js";
import { loginFilter } from "../config/discovery.filter.js";
import { ApiError, toError } from "../errors.js";
import type { Redactor } from "../http/secrets.redactor.js";
import { classifyFailure } from "../http/retry.policy.js";
import type { RequestObserver, RequestTally } from "../http/request.retries.js";
import type { Logger } from "../log/pino.logger.js";
import {
  AgencyAccessError,
  type AgencyClientsListing,
  type AgencyClientsOptions,
  listAgencyClients,
} from "../sources/yandex-direct/agency-clients.client.js";
import {
  type ClientListingRecord,
  type KnownClient,
  listedClients,
  recordClientListing,
  recordClients,
  reusableListing,
  withListingTurn,
} from "../warehouse/clients.repository.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";

export interface DiscoveryDependencies {
  warehouse: Warehouse;
  log: Logger;
  signal: AbortSignal;
  /** The run the listing is recorded under (a plan made outside a run records none). */
  runId?: number | undefined;
  observer?: RequestObserver | undefined;
}

/** How the account reaches the API: the same connection, gate and retries as its GetEventsLog requests. */
export type DiscoveryConnection = AgencyClientsOptions & { redact: Redactor };

export interface DiscoveryOutcome {
  /** The clients to read, with their streams. */
  clients: KnownClient[];
  /**
   * Stream keys of the account that a complete listing proves: every other stream of the account is retired.
   * Undefined when the listing failed (the clients are then the last complete listing's).
   */
  listedKeys?: string[];
  /** Why the listing failed, when the last complete listing's clients are read instead. */
  failure?: Error;
  /** Requests the listing made. */
  requests: number;
}

/**
 * Whether a failed listing says the account itself is refused (a token that is invalid, not an agency's, or
 * without API access): its streams would be refused too, so the account fails. Any other failure (retries
 * spent, a quota, a malformed or inconsistent listing) leaves the last complete listing in force.
 */
function refusesAccount(err: unknown): boolean {
  return err instanceof AgencyAccessError || (err instanceof ApiError && classifyFailure(err) === "fatal");
}

/** The clients an account takes from a listing. */
function takenBy(discovery: DiscoveryConfig): (client: KnownClient) => boolean {
  const takes = loginFilter(discovery);
  return (client) => (discovery.archived || !client.archived) && takes(client.login);
}

/**
 * The account's clients for this run. Within a run, the listing is taken in the account's listing turn: a copy
 * that started the round together with another waits for that one's listing and reuses it when it is complete
 * (see `discovery.reuseWithin`), so the agency is listed once a round however many copies run.
 */
export async function discoverClients(
  account: YandexDirectAccountConfig,
  connection: DiscoveryConnection,
  deps: DiscoveryDependencies,
): Promise<DiscoveryOutcome> {
  const runId = deps.runId;
  if (runId === undefined) return listClients(account, connection, deps);
  const discovery = account.discovery ?? DISCOVERY_DEFAULTS;
  let inTurn = false;
  try {
    return await withListingTurn(deps.warehouse.pool, account.name, async () => {
      inTurn = true;
      const reused = await reusableListing(deps.warehouse.db, account.name, runId, discovery.reuseWithin);
      if (!reused) return listClients(account, connection, deps);
      const clients = (await listedClients(deps.warehouse.db, account.name)).filter(takenBy(discovery));
      deps.log.info(
        { source: "yandex_direct", account: account.name, listedBy: reused.runId, streams: clients.length },
        "the agency's clients were listed by another copy of this round: its listing is reused",
      );
      return { clients, listedKeys: clients.map((c) => c.streamKey), requests: 0 };
    });
  } catch (err) {
    if (inTurn) throw err;
    // The turn could not be had (its wait timed out, say): list without it, as every copy did before.
    deps.log.warn(
      { source: "yandex_direct", account: account.name, err: toError(err) },
      "the listing turn could not be taken: the agency's clients are listed by this copy too",
    );
    return listClients(account, connection, deps);
  }
}

/** One listing of an account's clients in progress: what recording its end needs. */
interface ListingRun {
  account: YandexDirectAccountConfig;
  deps: DiscoveryDependencies;
  log: Logger;
  tally: RequestTally;
  startedAt: Date;
  /** The clients the account takes from a listing. */
  taken: (client: KnownClient) => boolean;
}

/** Lists the agency's clients and records the listing. */
async function listClients(
  account: YandexDirectAccountConfig,
  connection: DiscoveryConnection,
  deps: DiscoveryDependencies,
): Promise<DiscoveryOutcome> {
  const discovery = account.discovery ?? DISCOVERY_DEFAULTS;
  const log = deps.log.child({ source: "yandex_direct", account: account.name });
  const run: ListingRun = {
    account,
    deps,
    log,
    tally: listingTally(log, deps.observer),
    taken: takenBy(discovery),
    startedAt: new Date(),
  };
  let listing: AgencyClientsListing;
  try {
    listing = await listAgencyClients(
      connection,
      // Archived clients are always listed: a client archived since the last run is then known as archived,
      // not as gone, and comes back by the same id when restored.
      { includeArchived: true, pageLimit: discovery.pageLimit },
      run.tally,
      deps.signal,
    );
  } catch (err) {
    return await failedListing(run, err);
  }
  return completeListing(run, listing);
}

/** The tally of the listing's requests, warning on each retry. */
function listingTally(log: Logger, observer: RequestObserver | undefined): RequestTally {
  return {
    requests: 0,
    retries: 0,
    onRetry: ({ attempt, code, delayMs, error }) =>
      log.warn({ attempt, code, delayMs, err: error }, "AgencyClients.get failed, retrying"),
    observer,
  };
}

/** Records how a listing went, under the run (a plan made outside a run records none). */
async function recordListing(deps: DiscoveryDependencies, listing: Omit<ClientListingRecord, "runId">): Promise<void> {
  if (deps.runId !== undefined) await recordClientListing(deps.warehouse.db, { ...listing, runId: deps.runId });
}

/**
 * A listing that failed: recorded as incomplete; the account fails when the failure refuses it, else the
 * clients of the last complete listing are read, none added or retired.
 */
async function failedListing(run: ListingRun, err: unknown): Promise<DiscoveryOutcome> {
  const { account, deps, log, tally } = run;
  const error = toError(err);
  await recordListing(deps, {
    account: account.name,
    startedAt: run.startedAt,
    complete: false,
    pages: tally.requests - tally.retries,
    requests: tally.requests,
    clients: null,
    units: null,
    error: error.message,
  });
  if (refusesAccount(err)) throw err;
  const known = (await listedClients(deps.warehouse.db, account.name)).filter(run.taken);
  log.warn(
    { err: error, streams: known.length },
    "the agency's clients could not be listed: the clients of the last complete listing are read, none added or retired",
  );
  return { clients: known, failure: error, requests: tally.requests };
}

/** A complete listing: its clients and the listing recorded, its units reported; the clients the account takes. */
async function completeListing(run: ListingRun, listing: AgencyClientsListing): Promise<DiscoveryOutcome> {
  const { account, deps, log, tally } = run;
  const clients = await recordClients(
    deps.warehouse.db,
    account.name,
    listing.clients.map((c) => ({
      clientId: c.clientId,
      login: c.login,
      name: c.name,
      currency: c.currency,
      archived: c.archived,
      raw: c.raw,
    })),
  );
  const units = listing.units;
  await recordListing(deps, {
    account: account.name,
    startedAt: run.startedAt,
    complete: true,
    pages: listing.pages,
    requests: tally.requests,
    clients: clients.length,
    units: units ? { spent: listing.unitsSpent, remaining: units.remaining, daily: units.daily } : null,
    error: null,
  });
  if (units) deps.observer?.units?.({ spent: listing.unitsSpent, remaining: units.remaining, daily: units.daily });
  const chosen = clients.filter(run.taken);
  log.info(
    { listed: clients.length, streams: chosen.length, pages: listing.pages, units: listing.unitsSpent },
    "the agency's clients were listed",
  );
  return { clients: chosen, listedKeys: chosen.map((c) => c.streamKey), requests: tally.requests };
}
