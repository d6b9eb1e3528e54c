/**
 * Which streams a run may retire, and which ones the configuration still names. A stream is retired when
 * its account (either source) or its Yandex.Direct login is no longer configured, or when a complete
 * listing of its Altcraft account no longer returns its campaign. Retirement is decided only inside what
 * the run was asked to sync: a run restricted with --stream decides nothing, since it sees one corner of
 * the configuration; --source and --account narrow what may be touched.
 */
import type { Config } from "../config/config.schema.js";
import type { ConfiguredStreams, RetirementScope } from "../warehouse/streams.repository.js";
import type { SourceName } from "../warehouse/tables.js";

export interface RetirementSelection {
  sources?: readonly string[] | undefined;
  accounts?: readonly string[] | undefined;
  streams?: readonly string[] | undefined;
}

const SOURCES: readonly SourceName[] = ["altcraft", "yandex_direct"];

/** The streams a run over `selection` may retire or bring back; undefined: none. */
export function retirementScope(selection: RetirementSelection): RetirementScope | undefined {
  if (selection.streams?.length) return undefined;
  const sources = selection.sources?.length ? SOURCES.filter((s) => selection.sources?.includes(s)) : SOURCES;
  return { sources, ...(selection.accounts?.length ? { accounts: [...selection.accounts] } : {}) };
}

/**
 * The streams the configuration names: each Yandex.Direct account's logins (or its token owner), and every
 * stream of each Altcraft account (its campaigns are judged by its listing, see `listedCampaigns`).
 */
export function configuredStreams(config: Config, ownerLogin: string): ConfiguredStreams[] {
  const yandex = (config.sources.yandex_direct?.accounts ?? []).map((a) => ({
    source: "yandex_direct" as const,
    account: a.name,
    streamKeys: a.logins && a.logins.length > 0 ? [...a.logins] : [ownerLogin],
  }));
  const altcraft = (config.sources.altcraft?.accounts ?? []).map((a) => ({
    source: "altcraft" as const,
    account: a.name,
  }));
  return [...altcraft, ...yandex];
}

/** After a complete listing of an Altcraft account: its streams are the campaigns listed. */
export function listedCampaigns(
  account: string,
  keys: readonly string[],
): { scope: RetirementScope; configured: ConfiguredStreams[] } {
  return {
    scope: { sources: ["altcraft"], accounts: [account] },
    configured: [{ source: "altcraft", account, streamKeys: keys }],
  };
}
