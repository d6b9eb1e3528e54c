/**
 * Which streams a run may retire, and which ones the configuration still names. A stream is retired when
 * its account (either source) or its Yandex.Direct login is no longer configured, or when a complete
 * listing of its account no longer returns it (an Altcraft campaign; a client of an agency that discovers
 * its logins, or one now archived or left out by the discovery filter). Retirement is decided only inside what
 * the run was asked to sync: a run restricted with --stream decides nothing, since it sees one corner of
 * the configuration; --source and --account narrow what may be touched.
 */
import { type Config, configuredLogins, discoversLogins } from "../config/config.schema.js";
import type { ConfiguredStreams, RetirementScope } from "../warehouse/streams.repository.js";
import type { SourceName } from "../warehouse/warehouse.tables.js";

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
 * stream of each Altcraft account and of each Yandex.Direct account that discovers its logins (judged by the
 * account's listing, see `listedStreams`).
 */
export function configuredStreams(config: Config, ownerLogin: string): ConfiguredStreams[] {
  const yandex = (config.sources.yandex_direct?.accounts ?? []).map((a) =>
    discoversLogins(a)
      ? { source: "yandex_direct" as const, account: a.name }
      : {
          source: "yandex_direct" as const,
          account: a.name,
          streamKeys: configuredLogins(a).length > 0 ? [...configuredLogins(a)] : [ownerLogin],
        },
  );
  const altcraft = (config.sources.altcraft?.accounts ?? []).map((a) => ({
    source: "altcraft" as const,
    account: a.name,
  }));
  return [...altcraft, ...yandex];
}

/**
 * After a complete listing of an account (an Altcraft account's campaigns, a Yandex.Direct agency's clients):
 * its streams are the ones listed.
 */
export function listedStreams(
  source: SourceName,
  account: string,
  keys: readonly string[],
): { scope: RetirementScope; configured: ConfiguredStreams[] } {
  return {
    scope: { sources: [source], accounts: [account] },
    configured: [{ source, account, streamKeys: keys }],
  };
}
