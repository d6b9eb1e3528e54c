import { createRandom, deriveSeed } from "../common/seeded.random.js";
import { CURRENCIES, type Currency, type ResolvedDataOptions } from "./yandex-direct.options.js";
import { DAY_MS } from "./yandex-direct.time.js";

/**
 * Terminology: an *agency client* is an advertiser the agency serves; its *status* says whether the agency
 * lists it (AgencyClients.get) and may read its log (GetEventsLog with `Logins`):
 *   - `pending`: its log exists (the advertiser has history) but it is not the agency's client yet;
 *   - `active` / `archived`: listed (with `Archived` NO / YES); the agency reads its log either way;
 *   - `removed`: taken out of the agency; no longer listed and GetEventsLog answers 54 for its login, as the
 *     real API does for a login that is not a client of the calling agency.
 * A client keeps its ClientId, name, currency and CreatedAt through every change of status; its currency
 * changes only when a test switches it.
 */
export type AgencyClientStatus = "pending" | "active" | "archived" | "removed";

export interface AgencyClient {
  /** Lower-case login of the chief representative (`client-N` for generated ones). */
  readonly login: string;
  /**
   * How the listing spells the login (`Login`, the representatives' `Login`): the login itself unless a test
   * sets another case. Logins are case-insensitive: GetEventsLog takes either spelling.
   */
  spelling: string;
  /** Stable advertiser id; the listing is ordered by it. */
  readonly clientId: number;
  /** `ClientInfo`: the advertiser may rename it. */
  name: string;
  /** The client's account currency: what the listing says; an advertiser may switch it. */
  currency: Currency;
  /** `YYYY-MM-DD`. */
  readonly createdAt: string;
  status: AgencyClientStatus;
}

/** What `clientCurrencies` may say: one currency for all, a seeded mix, or a map by login (others RUB). */
export type ClientCurrencies = Currency | "mixed" | Readonly<Record<string, Currency>>;

const FIRST_CLIENT_ID = 23_000_000;
const NAME_WORDS = ["Alpha", "Borealis", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper"];
const NAME_KINDS = ["LLC", "Trading", "Group", "Studio", "Market", "Foods", "Travel", "Motors"];

function dateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function currencyOf(setting: ClientCurrencies, login: string, seed: number): Currency {
  if (setting === "mixed") return createRandom(deriveSeed(seed, "currency", login)).pick(CURRENCIES);
  if (typeof setting === "string") return setting;
  return setting[login] ?? "RUB";
}

/** The agency's clients, keyed by lower-case login, in ClientId order. */
export class AgencyClients {
  private readonly byLogin = new Map<string, AgencyClient>();
  private readonly data: ResolvedDataOptions;

  constructor(data: ResolvedDataOptions, logins: readonly string[], listed: number, startMs: number) {
    this.data = data;
    logins.forEach((login, i) => {
      // Generated clients were created before the history starts, on a seeded day of the preceding ~3 years.
      const random = createRandom(deriveSeed(data.seed, "client", login));
      const createdMs = startMs - data.historyDays * DAY_MS - random.int(1, 1000) * DAY_MS;
      this.create(login, i + 1, i < listed ? "active" : "pending", createdMs);
    });
  }

  /** Every client the agency lists now (active and archived), in ClientId order. */
  listed(): AgencyClient[] {
    return this.all().filter((c) => c.status === "active" || c.status === "archived");
  }

  /** Every known client, whatever its status, in ClientId order. */
  all(): AgencyClient[] {
    return [...this.byLogin.values()].sort((a, b) => a.clientId - b.clientId);
  }

  get(login: string): AgencyClient | undefined {
    return this.byLogin.get(login.toLowerCase());
  }

  /** Whether the agency may read this login's log: listed, archived or not. */
  isReadable(login: string): boolean {
    const status = this.get(login)?.status;
    return status === "active" || status === "archived";
  }

  /**
   * Makes a client listed and active. A known pending or removed login comes (back) as it was; an unknown one
   * is created, dated at `nowMs`; without a login the first pending client is taken, or `client-<next>` created.
   * Returns the client and whether its login is new (its log and token must then be created by the caller).
   */
  add(login: string | undefined, nowMs: number): { client: AgencyClient; created: boolean } {
    const name = login?.toLowerCase() ?? this.all().find((c) => c.status === "pending")?.login;
    const known = name === undefined ? undefined : this.byLogin.get(name);
    if (known) {
      if (known.status === "active" || known.status === "archived") {
        throw new TypeError(`Expected \`login\` not to be listed already, got \`${known.login}\``);
      }
      known.status = "active";
      return { client: known, created: false };
    }
    const number = this.byLogin.size + 1;
    const fresh = name ?? this.nextLogin();
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(fresh)) {
      throw new TypeError(`Expected \`login\` to be letters, digits, dots, dashes or underscores, got \`${fresh}\``);
    }
    return { client: this.create(fresh, number, "active", nowMs), created: true };
  }

  /** Switches a known client's currency; throws naming the login when unknown. */
  setCurrency(login: string, currency: Currency): AgencyClient {
    const client = this.get(login);
    if (!client) throw new TypeError(`Unknown agency client \`${login}\``);
    if (!CURRENCIES.includes(currency)) {
      throw new TypeError(`Expected \`currency\` to be one of ${CURRENCIES.join(", ")}, got \`${String(currency)}\``);
    }
    client.currency = currency;
    return client;
  }

  /**
   * Changes what the listing says of a known client: its `ClientInfo` (any text, a U+0000 included) and how it
   * spells the login (the same login in another case). Throws naming the login when unknown or not the same.
   */
  setListing(login: string, listing: { name?: string; spelling?: string }): AgencyClient {
    const client = this.get(login);
    if (!client) throw new TypeError(`Unknown agency client \`${login}\``);
    if (listing.name !== undefined && typeof listing.name !== "string")
      throw new TypeError(`Expected \`name\` to be a string, got \`${String(listing.name)}\``);
    if (listing.spelling !== undefined && String(listing.spelling).toLowerCase() !== client.login) {
      throw new TypeError(
        `Expected \`spelling\` to be ${client.login} in any case, got \`${String(listing.spelling)}\``,
      );
    }
    if (listing.name !== undefined) client.name = listing.name;
    if (listing.spelling !== undefined) client.spelling = listing.spelling;
    return client;
  }

  /** Sets the status of a known client; throws naming the login when unknown or not in a fitting status. */
  setStatus(login: string, status: "active" | "archived" | "removed"): AgencyClient {
    const client = this.get(login);
    if (!client) throw new TypeError(`Unknown agency client \`${login}\``);
    const allowedFrom: Record<typeof status, AgencyClientStatus[]> = {
      archived: ["active", "archived"],
      active: ["archived", "active"],
      removed: ["active", "archived", "removed", "pending"],
    };
    if (!allowedFrom[status].includes(client.status)) {
      throw new TypeError(`Expected \`${login}\` to be listed to make it ${status}, it is ${client.status}`);
    }
    client.status = status;
    return client;
  }

  private nextLogin(): string {
    let n = this.byLogin.size + 1;
    while (this.byLogin.has(`client-${n}`)) n++;
    return `client-${n}`;
  }

  private create(login: string, number: number, status: AgencyClientStatus, createdMs: number): AgencyClient {
    const random = createRandom(deriveSeed(this.data.seed, "client-name", login));
    const client: AgencyClient = {
      login,
      spelling: login,
      clientId: FIRST_CLIENT_ID + number,
      name: `${random.pick(NAME_WORDS)} ${random.pick(NAME_KINDS)} ${number}`,
      currency: currencyOf(this.data.clientCurrencies, login, this.data.seed),
      createdAt: dateOf(createdMs),
      status,
    };
    this.byLogin.set(login, client);
    return client;
  }
}
