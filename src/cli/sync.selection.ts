/**
 * `sync --source/--account/--stream` checked against the configuration before a run starts. A selection
 * that matches nothing used to sync nothing and exit 0 — a typo in a cron job then syncs nothing, forever,
 * silently. Here every value must name something that exists, and the error lists what does.
 *
 * Streams: a Yandex.Direct stream is a configured login (or `(owner)`), known from the config. An Altcraft
 * stream is a campaign id, and a stream of a Yandex.Direct account with `logins: all` a client login, both
 * known only once the account's listing is read; so a numeric `--stream` is accepted when a selected Altcraft
 * account could list it (its `campaigns.ids`, if given, include it), any login when a selected Yandex.Direct
 * account discovers its logins (and its discovery.include/exclude take it), and `unmatchedCampaigns` checks
 * after the run that such a stream was found (listed in this run, or already a stream in the warehouse, as
 * campaigns on the slow poll schedule are not read every run).
 */
import { type Config, configuredLogins, discoversLogins } from "../config/config.schema.js";
import { type LoginFilter, loginFilter } from "../config/discovery.filter.js";
import { SelectionError } from "../errors.js";
import type { SyncSelection } from "../sync/run-sync.engine.js";

export const SOURCE_NAMES = ["altcraft", "yandex_direct"] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Spellings accepted for `--source`, besides the names themselves. */
const SOURCE_ALIASES: Readonly<Record<string, SourceName>> = { "yandex-direct": "yandex_direct" };

export interface SelectionOptions {
  sources?: readonly string[] | undefined;
  accounts?: readonly string[] | undefined;
  streams?: readonly string[] | undefined;
}

export interface CheckedSelection {
  /** The selection for the run, values in the configured spelling. */
  selection: SyncSelection;
  /**
   * `--stream` values that only a listing can match (an Altcraft campaign, a discovered Yandex.Direct
   * client) of these accounts: checked after the run.
   */
  campaignKeys: ReadonlyArray<{ key: string; source: SourceName; accounts: readonly string[] }>;
}

interface Account {
  source: SourceName;
  name: string;
  /** Yandex.Direct: the stream keys (logins, or the owner key). */
  logins?: readonly string[];
  /** Altcraft: the configured campaign ids, if it names them. */
  campaignIds?: readonly number[] | undefined;
  /** Yandex.Direct with `logins: all`: which discovered logins it takes. */
  discovers?: LoginFilter;
}

function accountsOf(config: Config, ownerKey: string): Account[] {
  return [
    ...(config.sources.altcraft?.accounts ?? []).map((a): Account => ({
      source: "altcraft",
      name: a.name,
      campaignIds: a.campaigns.ids,
    })),
    ...(config.sources.yandex_direct?.accounts ?? []).map((a): Account =>
      discoversLogins(a)
        ? { source: "yandex_direct", name: a.name, logins: [], discovers: loginFilter(a.discovery ?? {}) }
        : {
            source: "yandex_direct",
            name: a.name,
            logins: configuredLogins(a).length > 0 ? configuredLogins(a) : [ownerKey],
          },
    ),
  ];
}

const list = (values: readonly string[]) => (values.length > 0 ? values.join(", ") : "(none)");

function describeStreams(accounts: readonly Account[]): string {
  const parts = accounts.map((a) =>
    a.source === "yandex_direct"
      ? `yandex_direct/${a.name}: ${a.discovers ? "client logins, discovered each run" : list(a.logins ?? [])}`
      : `altcraft/${a.name}: campaign ids, discovered each run${a.campaignIds ? ` (only ${a.campaignIds.join(", ")})` : ""}`,
  );
  return list(parts);
}

/**
 * Checks the selection against the config; throws a SelectionError naming every value that matches
 * nothing, with what exists. `ownerKey` is the stream key of a Yandex.Direct account without logins.
 */
export function checkSelection(config: Config, options: SelectionOptions, ownerKey: string): CheckedSelection {
  const problems: string[] = [];
  const all = accountsOf(config, ownerKey);
  const sources = options.sources?.length ? checkSources(options.sources, all, problems) : undefined;
  const inSources = all.filter((a) => !sources || sources.includes(a.source));
  const accounts = options.accounts?.length ? checkAccounts(options.accounts, inSources, sources, problems) : undefined;
  const selected = inSources.filter((a) => !accounts || accounts.includes(a.name));
  const { streams, campaignKeys } = options.streams?.length
    ? checkStreams(options.streams, selected, problems)
    : { streams: undefined, campaignKeys: [] };

  if (problems.length > 0) throw new SelectionError(problems);
  return {
    selection: { ...(sources ? { sources } : {}), ...(accounts ? { accounts } : {}), ...(streams ? { streams } : {}) },
    campaignKeys,
  };
}

/** The `--source` values as source names, each once; a value naming no configured source goes to `problems`. */
function checkSources(values: readonly string[], all: readonly Account[], problems: string[]): SourceName[] {
  const configuredSources = SOURCE_NAMES.filter((s) => all.some((a) => a.source === s));
  const sources: SourceName[] = [];
  for (const value of values) {
    const source = (SOURCE_NAMES as readonly string[]).includes(value) ? (value as SourceName) : SOURCE_ALIASES[value];
    if (!source) problems.push(`--source ${value}: expected one of ${SOURCE_NAMES.join(", ")}`);
    else if (!configuredSources.includes(source))
      problems.push(
        `--source ${value}: no ${source} accounts are configured; configured sources: ${list(configuredSources)}`,
      );
    else if (!sources.includes(source)) sources.push(source);
  }
  return sources;
}

/** The `--account` values, each once; a value naming no account of the selected sources goes to `problems`. */
function checkAccounts(
  values: readonly string[],
  inSources: readonly Account[],
  sources: readonly SourceName[] | undefined,
  problems: string[],
): string[] {
  const accounts: string[] = [];
  for (const value of values) {
    if (inSources.some((a) => a.name === value)) {
      if (!accounts.includes(value)) accounts.push(value);
    } else {
      const where = sources ? ` in ${sources.join(", ")}` : "";
      problems.push(
        `--account ${value}: no such account${where}; configured accounts: ${list(inSources.map((a) => `${a.source}/${a.name}`))}`,
      );
    }
  }
  return accounts;
}

/** What one `--stream` value can match among the selected accounts. */
interface StreamMatch {
  /** Configured logins equal to it, in the configured spelling. */
  logins: string[];
  /** Altcraft accounts that could list it as a campaign. */
  campaignAccounts: Account[];
  /** Yandex.Direct accounts that could discover it as a client login. */
  clientAccounts: Account[];
}

function matchStream(value: string, selected: readonly Account[]): StreamMatch {
  // Logins are case-insensitive at Yandex; the run matches the configured spelling.
  const logins = selected.flatMap((a) => (a.logins ?? []).filter((l) => l.toLowerCase() === value.toLowerCase()));
  const id = /^[1-9]\d*$/.test(value) ? Number(value) : undefined;
  const campaignAccounts =
    id === undefined
      ? []
      : selected.filter((a) => a.source === "altcraft" && (!a.campaignIds || a.campaignIds.includes(id)));
  // Discovered streams are keyed by the login in lower case.
  const clientAccounts = selected.filter((a) => a.discovers?.(value));
  return { logins, campaignAccounts, clientAccounts };
}

/**
 * The `--stream` values as stream keys, each once, and those only a listing can match (checked after the
 * run); a value that nothing of the selected accounts could match goes to `problems`.
 */
function checkStreams(
  values: readonly string[],
  selected: readonly Account[],
  problems: string[],
): { streams: string[]; campaignKeys: Array<{ key: string; source: SourceName; accounts: string[] }> } {
  const streams: string[] = [];
  const campaignKeys: Array<{ key: string; source: SourceName; accounts: string[] }> = [];
  for (const value of values) {
    const { logins, campaignAccounts, clientAccounts } = matchStream(value, selected);
    if (logins.length === 0 && campaignAccounts.length === 0 && clientAccounts.length === 0) {
      problems.push(
        `--stream ${value}: matches no configured login, no client a selected Yandex.Direct account could discover and no campaign a selected Altcraft account could list; streams: ${describeStreams(selected)}`,
      );
      continue;
    }
    const keys = [
      ...logins,
      ...(campaignAccounts.length > 0 ? [value] : []),
      ...(clientAccounts.length > 0 ? [value.toLowerCase()] : []),
    ];
    for (const key of keys) if (!streams.includes(key)) streams.push(key);
    if (logins.length > 0) continue;
    if (campaignAccounts.length > 0)
      campaignKeys.push({ key: value, source: "altcraft", accounts: campaignAccounts.map((a) => a.name) });
    if (clientAccounts.length > 0)
      campaignKeys.push({
        key: value.toLowerCase(),
        source: "yandex_direct",
        accounts: clientAccounts.map((a) => a.name),
      });
  }
  return { streams, campaignKeys };
}

/**
 * The `--stream` campaign ids that nothing matched: not a stream of this run, not a stream the warehouse
 * already holds for one of the accounts, and not explained by an account that could not list its
 * campaigns (that failure is reported on its own).
 */
export function unmatchedCampaigns(
  campaignKeys: CheckedSelection["campaignKeys"],
  found: {
    runStreams: ReadonlyArray<{ source: string; account: string; streamKey: string }>;
    knownStreams: ReadonlyArray<{ source: string; account: string; streamKey: string }>;
    failedAccounts: ReadonlyArray<{ source: string; account: string }>;
  },
): string[] {
  const problems: string[] = [];
  for (const { key, source, accounts } of campaignKeys) {
    const mine = (s: { source: string; account: string }) => s.source === source && accounts.includes(s.account);
    const matches = (s: { source: string; account: string; streamKey: string }) =>
      mine(s) && s.streamKey.toLowerCase() === key.toLowerCase();
    if (found.runStreams.some(matches) || found.knownStreams.some(matches) || found.failedAccounts.some(mine)) continue;
    const by = accounts.map((a) => `${source}/${a}`).join(", ");
    problems.push(
      source === "altcraft"
        ? `--stream ${key}: no campaign ${key} was listed by ${by} (check the id and the account's campaigns filter)`
        : `--stream ${key}: no client with login ${key} was listed by ${by} (check the login and the account's discovery filter)`,
    );
  }
  return problems;
}
