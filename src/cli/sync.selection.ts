/**
 * `sync --source/--account/--stream` checked against the configuration before a run starts. A selection
 * that matches nothing used to sync nothing and exit 0 — a typo in a cron job then syncs nothing, forever,
 * silently. Here every value must name something that exists, and the error lists what does.
 *
 * Streams: a Yandex.Direct stream is a configured login (or `(owner)`), known from the config. An Altcraft
 * stream is a campaign id, known only once the account's campaigns are listed; so a numeric `--stream` is
 * accepted when a selected Altcraft account could list it (its `campaigns.ids`, if given, include it), and
 * `unmatchedCampaigns` checks after the run that such a campaign was found (listed in this run, or already
 * a stream in the warehouse, as campaigns on the slow poll schedule are not read every run).
 */
import type { Config } from "../config/config.schema.js";
import { SelectionError } from "../errors.js";
import type { SyncSelection } from "../sync/run-sync.js";

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
  /** `--stream` values that only an Altcraft campaign of these accounts can match: checked after listing. */
  campaignKeys: ReadonlyArray<{ key: string; accounts: readonly string[] }>;
}

interface Account {
  source: SourceName;
  name: string;
  /** Yandex.Direct: the stream keys (logins, or the owner key). */
  logins?: readonly string[];
  /** Altcraft: the configured campaign ids, if it names them. */
  campaignIds?: readonly number[] | undefined;
}

function accountsOf(config: Config, ownerKey: string): Account[] {
  return [
    ...(config.sources.altcraft?.accounts ?? []).map((a): Account => ({
      source: "altcraft",
      name: a.name,
      campaignIds: a.campaigns.ids,
    })),
    ...(config.sources.yandex_direct?.accounts ?? []).map((a): Account => ({
      source: "yandex_direct",
      name: a.name,
      logins: a.logins?.length ? a.logins : [ownerKey],
    })),
  ];
}

const list = (values: readonly string[]) => (values.length > 0 ? values.join(", ") : "(none)");

function describeStreams(accounts: readonly Account[]): string {
  const parts = accounts.map((a) =>
    a.source === "yandex_direct"
      ? `yandex_direct/${a.name}: ${list(a.logins ?? [])}`
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
  const configuredSources = SOURCE_NAMES.filter((s) => all.some((a) => a.source === s));

  let sources: SourceName[] | undefined;
  if (options.sources?.length) {
    sources = [];
    for (const value of options.sources) {
      const source = (SOURCE_NAMES as readonly string[]).includes(value)
        ? (value as SourceName)
        : SOURCE_ALIASES[value];
      if (!source) problems.push(`--source ${value}: expected one of ${SOURCE_NAMES.join(", ")}`);
      else if (!configuredSources.includes(source))
        problems.push(
          `--source ${value}: no ${source} accounts are configured; configured sources: ${list(configuredSources)}`,
        );
      else if (!sources.includes(source)) sources.push(source);
    }
  }
  const inSources = all.filter((a) => !sources || sources.includes(a.source));

  let accounts: string[] | undefined;
  if (options.accounts?.length) {
    accounts = [];
    for (const value of options.accounts) {
      if (inSources.some((a) => a.name === value)) {
        if (!accounts.includes(value)) accounts.push(value);
      } else {
        const where = sources ? ` in ${sources.join(", ")}` : "";
        problems.push(
          `--account ${value}: no such account${where}; configured accounts: ${list(inSources.map((a) => `${a.source}/${a.name}`))}`,
        );
      }
    }
  }
  const selected = inSources.filter((a) => !accounts || accounts.includes(a.name));

  let streams: string[] | undefined;
  const campaignKeys: Array<{ key: string; accounts: string[] }> = [];
  if (options.streams?.length) {
    streams = [];
    for (const value of options.streams) {
      // Logins are case-insensitive at Yandex; the run matches the configured spelling.
      const logins = selected.flatMap((a) => (a.logins ?? []).filter((l) => l.toLowerCase() === value.toLowerCase()));
      const id = /^[1-9]\d*$/.test(value) ? Number(value) : undefined;
      const campaignAccounts =
        id === undefined
          ? []
          : selected.filter((a) => a.source === "altcraft" && (!a.campaignIds || a.campaignIds.includes(id)));
      if (logins.length === 0 && campaignAccounts.length === 0) {
        problems.push(
          `--stream ${value}: matches no configured login and no campaign a selected Altcraft account could list; streams: ${describeStreams(selected)}`,
        );
        continue;
      }
      for (const key of [...logins, ...(campaignAccounts.length > 0 ? [value] : [])])
        if (!streams.includes(key)) streams.push(key);
      if (logins.length === 0) campaignKeys.push({ key: value, accounts: campaignAccounts.map((a) => a.name) });
    }
  }

  if (problems.length > 0) throw new SelectionError(problems);
  return {
    selection: { ...(sources ? { sources } : {}), ...(accounts ? { accounts } : {}), ...(streams ? { streams } : {}) },
    campaignKeys,
  };
}

/**
 * The `--stream` campaign ids that nothing matched: not a stream of this run, not a stream the warehouse
 * already holds for one of the accounts, and not explained by an account that could not list its
 * campaigns (that failure is reported on its own).
 */
export function unmatchedCampaigns(
  campaignKeys: CheckedSelection["campaignKeys"],
  found: {
    runStreams: ReadonlyArray<{ account: string; streamKey: string }>;
    knownStreams: ReadonlyArray<{ account: string; streamKey: string }>;
    failedAccounts: readonly string[];
  },
): string[] {
  const problems: string[] = [];
  for (const { key, accounts } of campaignKeys) {
    const matches = (s: { account: string; streamKey: string }) => s.streamKey === key && accounts.includes(s.account);
    if (
      found.runStreams.some(matches) ||
      found.knownStreams.some(matches) ||
      accounts.some((a) => found.failedAccounts.includes(a))
    )
      continue;
    problems.push(
      `--stream ${key}: no campaign ${key} was listed by ${accounts.map((a) => `altcraft/${a}`).join(", ")} (check the id and the account's campaigns filter)`,
    );
  }
  return problems;
}
