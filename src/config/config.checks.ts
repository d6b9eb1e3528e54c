/**
 * Checks across accounts, after each account is valid on its own. Each returns problems as
 * `path: what is wrong`, never quoting a token.
 *
 * One login, one place: a stream is (source, account, stream key), so the same client login read through
 * two accounts would be stored twice under two account names — every money sum an analyst takes over the
 * events table would double. The same holds for the token owner's stream of one token, and for an Altcraft
 * account listed twice with the same platform URL and token (each campaign stored twice).
 */
import { yandexDirectEndpointUrl } from "../vocabulary.js";
import { type Config, configuredLogins, discoversLogins } from "./config.schema.js";
import { loginFilter } from "./discovery.filter.js";

/** A URL reduced to what makes two spellings of one endpoint equal: lower-case host, no trailing slash. */
export function sameEndpointKey(endpoint: string): string {
  const named = yandexDirectEndpointUrl(endpoint);
  try {
    const url = new URL(named);
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return named.replace(/\/+$/, "").toLowerCase();
  }
}

/** A config that syncs nothing is a mistake (an empty file, a wrong key), not a quiet success. */
export function noAccountsProblems(config: Config): string[] {
  const count = (config.sources.altcraft?.accounts.length ?? 0) + (config.sources.yandex_direct?.accounts.length ?? 0);
  return count > 0
    ? []
    : [
        "sources: no accounts configured: add at least one account under sources.altcraft.accounts or sources.yandex_direct.accounts",
      ];
}

/** Account names are the `account` column: unique within a source. */
export function duplicateNameProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const source of ["altcraft", "yandex_direct"] as const) {
    const first = new Map<string, number>();
    for (const [i, account] of (config.sources[source]?.accounts ?? []).entries()) {
      const seen = first.get(account.name);
      if (seen !== undefined)
        problems.push(
          `sources.${source}.accounts[${i}].name: ${account.name} is used twice (also sources.${source}.accounts[${seen}].name)`,
        );
      else first.set(account.name, i);
    }
  }
  return problems;
}

/**
 * Yandex.Direct: one (endpoint, login) in one place, logins compared case-insensitively as Yandex does;
 * one token-owner stream per (endpoint, token).
 */
export function duplicateLoginProblems(config: Config): string[] {
  const problems: string[] = [];
  const logins = new Map<string, string>();
  const owners = new Map<string, string>();
  for (const [i, account] of (config.sources.yandex_direct?.accounts ?? []).entries()) {
    const endpoint = sameEndpointKey(account.endpoint);
    const path = `sources.yandex_direct.accounts[${i}]`;
    if (!account.logins || account.logins.length === 0) {
      const key = `${endpoint}\u0000${account.token}`;
      const other = owners.get(key);
      if (other)
        problems.push(
          `${path}: reads the token owner's log with the same token and endpoint as ${other}; its events would be stored twice`,
        );
      else owners.set(key, path);
      if (account.ownerLogin) {
        const loginKey = `${endpoint}\u0000${account.ownerLogin.toLowerCase()}`;
        const same = logins.get(loginKey);
        if (same)
          problems.push(
            `${path}.ownerLogin: login ${account.ownerLogin} at ${endpoint} is also ${same}; each login belongs to one account, or its events are stored twice`,
          );
        else logins.set(loginKey, `${path}.ownerLogin`);
      }
      continue;
    }
    if (account.ownerLogin)
      problems.push(
        `${path}.ownerLogin: names the token owner's stream, which is read only when logins is not set; remove ownerLogin or logins`,
      );
    for (const [j, login] of configuredLogins(account).entries()) {
      const key = `${endpoint}\u0000${login.toLowerCase()}`;
      const other = logins.get(key);
      if (other)
        problems.push(
          `${path}.logins[${j}]: login ${login} at ${endpoint} is also ${other}; each login belongs to one account, or its events are stored twice`,
        );
      else logins.set(key, `${path}.logins[${j}]`);
    }
  }
  return problems;
}

/**
 * Discovery (`logins: all`): its options only with it; one discovering account per (endpoint, token), since
 * two would store every client twice; and a login named by another account on the same token must be left
 * out of the discovery, or it is stored twice.
 */
export function discoveryProblems(config: Config): string[] {
  const problems: string[] = [];
  const accounts = config.sources.yandex_direct?.accounts ?? [];
  const discovering = new Map<string, { path: string; takes: (login: string) => boolean }>();
  for (const [i, account] of accounts.entries()) {
    const path = `sources.yandex_direct.accounts[${i}]`;
    if (!discoversLogins(account)) {
      if (account.discovery)
        problems.push(`${path}.discovery: applies only to logins: all (the agency's clients found on every run)`);
      if (account.currency === "client")
        problems.push(
          `${path}.currency: client takes each client's currency from the agency's listing, so it needs logins: all; name a currency (RUB, USD, …)`,
        );
      continue;
    }
    const key = `${sameEndpointKey(account.endpoint)}\u0000${account.token}`;
    const other = discovering.get(key);
    if (other)
      problems.push(
        `${path}: discovers the clients of the same token and endpoint as ${other.path}; every client would be stored twice`,
      );
    else discovering.set(key, { path, takes: loginFilter(account.discovery ?? {}) });
  }
  for (const [i, account] of accounts.entries()) {
    const key = `${sameEndpointKey(account.endpoint)}\u0000${account.token}`;
    const discovery = discovering.get(key);
    if (!discovery) continue;
    for (const [j, login] of configuredLogins(account).entries()) {
      if (discovery.takes(login))
        problems.push(
          `sources.yandex_direct.accounts[${i}].logins[${j}]: login ${login} is also discovered by ${discovery.path} (same token); add it to that account's discovery.exclude, or its events are stored twice`,
        );
    }
  }
  return problems;
}

/**
 * Altcraft: the same platform URL and token twice lists the same campaigns twice — unless both accounts
 * name their campaigns by id and no id is in both.
 */
export function duplicateAltcraftProblems(config: Config): string[] {
  const problems: string[] = [];
  const accounts = config.sources.altcraft?.accounts ?? [];
  for (const [i, account] of accounts.entries()) {
    for (const [j, other] of accounts.slice(0, i).entries()) {
      if (sameEndpointKey(account.url) !== sameEndpointKey(other.url) || account.token !== other.token) continue;
      const ids = account.campaigns.ids;
      const otherIds = other.campaigns.ids;
      const shared = ids && otherIds ? ids.filter((id) => otherIds.includes(id)) : undefined;
      if (shared?.length === 0) continue;
      const which = shared
        ? `campaigns ${shared.join(", ")} would be stored twice`
        : "every campaign both select would be stored twice (give each disjoint campaigns.ids, or merge them)";
      problems.push(
        `sources.altcraft.accounts[${i}]: the same url and token as sources.altcraft.accounts[${j}]; ${which}`,
      );
      break;
    }
  }
  return problems;
}

/** Every check across accounts, in the order they are reported. */
export function crossAccountProblems(config: Config): string[] {
  return [
    ...noAccountsProblems(config),
    ...duplicateNameProblems(config),
    ...duplicateLoginProblems(config),
    ...discoveryProblems(config),
    ...duplicateAltcraftProblems(config),
  ];
}
