/*
 * The simulator handle's part for AgencyClients.get: ground truth of the listing and points, and the controls
 * that make clients come and go and calls fail.
 */

import { AgencyClients, type AgencyClient } from "./yandex-direct.agency-clients.js";
import type { SimulatedAccount } from "./yandex-direct.data.js";
import type { SimulatorState } from "./yandex-direct.handler.js";
import {
  AGENCY_CLIENTS_FAULTS,
  type AgencyClientsFault,
  type Currency,
  type ResolvedDataOptions,
} from "./yandex-direct.options.js";
import { dayQuota } from "./yandex-direct.points.js";

/** One agency client as the simulator holds it: ground truth for the AgencyClients.get listing. */
export interface AgencyClientTruth {
  /** Lower-case chief representative's login: what GetEventsLog `Logins` takes (in any case). */
  login: string;
  /** How the listing spells it (`Login`): the login unless setAgencyClientListing set another case. */
  spelling: string;
  clientId: number;
  /** `ClientInfo`. */
  name: string;
  currency: Currency;
  /** `YYYY-MM-DD`. */
  createdAt: string;
  /** Listed by AgencyClients.get (active or archived). */
  listed: boolean;
  archived: boolean;
  /** `pending` (not the agency's client yet), `active`, `archived` or `removed`; see yandex-direct.agency-clients.ts. */
  status: AgencyClient["status"];
}

/** A token's points on the clock's current UTC day. */
export interface PointsTruth {
  /** Points spent today. */
  spent: number;
  remaining: number;
  daily: number;
}

export interface AgencyControls {
  /** The agency's clients in ClientId order: the listed ones (what AgencyClients.get serves), or all with `all`. */
  agencyClients(options?: { all?: boolean }): AgencyClientTruth[];
  /**
   * Makes a client listed and active: a pending or removed login (back) as it was, or a new login with a token
   * (`<login>-token`) and a generated log; without a login, the first pending client or a new `client-<n>`.
   */
  addAgencyClient(login?: string): AgencyClientTruth;
  /** Archives a listed client: still listed (Archived YES) and its log still readable by the agency. */
  archiveAgencyClient(login: string): AgencyClientTruth;
  /** Brings an archived client back to active. */
  restoreAgencyClient(login: string): AgencyClientTruth;
  /** Takes a client out of the agency: no longer listed, and GetEventsLog answers 54 for its login. */
  removeAgencyClient(login: string): AgencyClientTruth;
  /** Switches a client's currency, as an advertiser may: the listing says the new one from then on. */
  setAgencyClientCurrency(login: string, currency: Currency): AgencyClientTruth;
  /**
   * Changes what the listing says of a client: its `ClientInfo` (`name`, any text) and how `Login` is spelled
   * (`spelling`: the same login in another case, as the real listing may give it).
   */
  setAgencyClientListing(login: string, listing: { name?: string; spelling?: string }): AgencyClientTruth;
  /** The next `count` AgencyClients calls carrying `token` answer `fault` (a v5 code, or `http500`). */
  failAgencyClientsNext(token: string, fault: AgencyClientsFault, count?: number): void;
  /** A token's points today (shared by GetEventsLog and AgencyClients.get). */
  points(token: string): PointsTruth;
  /** Sets what a token has left today (the daily allowance is the `pointsPerDay` option). */
  setPoints(token: string, remaining: number): void;
  /** Gives a token (or every token) its full daily allowance again. */
  resetPoints(token?: string): void;
}

/**
 * The agency's clients at start: the first `listedClients` generated logins listed, the last `archivedClients`
 * of those archived, the rest pending.
 */
export function createAgencyClients(data: ResolvedDataOptions, accounts: SimulatedAccount[]): AgencyClients {
  const generated = accounts.filter((a) => a.role === "client").map((a) => a.login);
  const clients = new AgencyClients(data, generated, data.listedClients, data.clock());
  for (const login of generated.slice(data.listedClients - data.archivedClients, data.listedClients)) {
    clients.setStatus(login, "archived");
  }
  syncAgencyLogins(clients, accounts);
  return clients;
}

/** The agency account's `clients` follows the listing, so tools that read it see whom the agency lists now. */
function syncAgencyLogins(clients: AgencyClients, accounts: readonly SimulatedAccount[]): void {
  const agency = accounts.find((a) => a.role === "agency");
  if (agency) agency.clients = clients.listed().map((c) => c.login);
}

function truth(c: AgencyClient): AgencyClientTruth {
  return {
    login: c.login,
    spelling: c.spelling,
    clientId: c.clientId,
    name: c.name,
    currency: c.currency,
    createdAt: c.createdAt,
    listed: c.status === "active" || c.status === "archived",
    archived: c.status === "archived",
    status: c.status,
  };
}

/**
 * Adds a client to the agency's listing (active): a new login gets its own token and log; a pending or removed
 * one comes back. Agency and advertiser logins are refused.
 */
function addAgencyClient(
  state: SimulatorState,
  accounts: SimulatedAccount[],
  login: string | undefined,
): AgencyClientTruth {
  const { clients, data } = state;
  const name = login?.toLowerCase();
  if (name !== undefined && clients.get(name) === undefined && state.store.hasLogin(name)) {
    throw new TypeError(`Expected \`login\` to be a client login, got \`${login}\` (an agency or advertiser)`);
  }
  const { client, created } = clients.add(name, data.clock());
  if (created) {
    state.store.addLogin(client.login);
    const account: SimulatedAccount = {
      token: `${client.login}-token`,
      login: client.login,
      role: "client",
      clients: [],
    };
    accounts.push(account);
    state.accounts.set(account.token, account);
  }
  syncAgencyLogins(clients, accounts);
  return truth(client);
}

/** Queues `count` faults for the next AgencyClients calls carrying `token`. */
function failAgencyClientsNext(state: SimulatorState, token: string, fault: AgencyClientsFault, count: number): void {
  if (!AGENCY_CLIENTS_FAULTS.includes(fault)) {
    throw new TypeError(
      `Expected \`fault\` to be one of ${AGENCY_CLIENTS_FAULTS.join(", ")}, got \`${String(fault)}\``,
    );
  }
  if (!Number.isInteger(count) || count < 0)
    throw new TypeError(`Expected \`count\` to be an integer ≥ 0, got \`${count}\``);
  const queue = state.agencyFailQueue.get(token) ?? [];
  for (let i = 0; i < count; i++) queue.push(fault);
  if (queue.length > 0) state.agencyFailQueue.set(token, queue);
}

/** The AgencyControls of a running simulator; `accounts` grows when a new login is added. */
export function agencyControls(state: SimulatorState, accounts: SimulatedAccount[]): AgencyControls {
  const { clients, data } = state;
  const changeStatus = (login: string, status: "active" | "archived" | "removed"): AgencyClientTruth => {
    const client = truth(clients.setStatus(login, status));
    syncAgencyLogins(clients, accounts);
    return client;
  };
  return {
    agencyClients: (options = {}) => (options.all ? clients.all() : clients.listed()).map(truth),
    addAgencyClient: (login) => addAgencyClient(state, accounts, login),
    archiveAgencyClient: (login) => changeStatus(login, "archived"),
    restoreAgencyClient: (login) => changeStatus(login, "active"),
    removeAgencyClient: (login) => changeStatus(login, "removed"),
    setAgencyClientCurrency: (login, currency) => truth(clients.setCurrency(login, currency)),
    setAgencyClientListing: (login, listing) => truth(clients.setListing(login, listing)),
    failAgencyClientsNext: (token, fault, count = 1) => failAgencyClientsNext(state, token, fault, count),
    points(token) {
      const quota = dayQuota(state.quotas, token, data.clock());
      const daily = state.behaviour.pointsPerDay;
      return { spent: quota.points, remaining: Math.max(0, daily - quota.points), daily };
    },
    setPoints(token, remaining) {
      if (typeof remaining !== "number" || !Number.isInteger(remaining) || remaining < 0) {
        throw new TypeError(`Expected \`remaining\` to be an integer ≥ 0, got \`${String(remaining)}\``);
      }
      dayQuota(state.quotas, token, data.clock()).points = state.behaviour.pointsPerDay - remaining;
    },
    resetPoints(token) {
      const tokens = token === undefined ? [...state.quotas.keys()] : [token];
      for (const t of tokens) dayQuota(state.quotas, t, data.clock()).points = 0;
    },
  };
}
