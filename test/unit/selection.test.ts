// `--source`, `--account` and `--stream` name something that exists, or the run does not start and says what does.
import { describe, expect, it } from "vitest";
import { resetRefusal } from "../../src/cli/maintenance.command.js";
import { checkSelection, unmatchedCampaigns } from "../../src/cli/sync.selection.js";
import { parseConfig } from "../../src/config/config.loader.js";
import { SelectionError } from "../../src/errors.js";

const OWNER = "(owner)";
const config = parseConfig(
  {
    sources: {
      altcraft: {
        accounts: [
          { name: "main", token: "${A}" },
          { name: "promo", token: "${B}", campaigns: { ids: [7, 8] } },
        ],
      },
      yandex_direct: {
        accounts: [
          { name: "agency", token: "${Y}", currency: "RUB", logins: ["client-1", "Client-2"] },
          { name: "own", token: "${Z}", currency: "EUR" },
        ],
      },
    },
  },
  { A: "a", B: "b", Y: "y", Z: "z" },
);
const yandexOnly = parseConfig(
  {
    sources: {
      yandex_direct: { accounts: [{ name: "agency", token: "${Y}", currency: "RUB", logins: ["client-1"] }] },
    },
  },
  { Y: "y" },
);

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof SelectionError) return err.problems;
    throw err;
  }
  throw new Error("expected a SelectionError");
}

describe("checkSelection", () => {
  it("passes an empty selection through", () => {
    expect(checkSelection(config, {}, OWNER)).toEqual({ selection: {}, campaignKeys: [] });
  });

  it("accepts the source names and the yandex-direct alias", () => {
    expect(
      checkSelection(config, { sources: ["yandex-direct", "altcraft", "yandex_direct"] }, OWNER).selection,
    ).toEqual({ sources: ["yandex_direct", "altcraft"] });
  });

  it("refuses an unknown source, and a source without accounts, listing what exists", () => {
    expect(problemsOf(() => checkSelection(config, { sources: ["yandex"] }, OWNER))).toEqual([
      "--source yandex: expected one of altcraft, yandex_direct",
    ]);
    expect(problemsOf(() => checkSelection(yandexOnly, { sources: ["altcraft"] }, OWNER))).toEqual([
      "--source altcraft: no altcraft accounts are configured; configured sources: yandex_direct",
    ]);
  });

  it("refuses an account that is not configured in the selected sources", () => {
    expect(problemsOf(() => checkSelection(config, { accounts: ["agnecy"] }, OWNER))).toEqual([
      "--account agnecy: no such account; configured accounts: altcraft/main, altcraft/promo, yandex_direct/agency, yandex_direct/own",
    ]);
    expect(problemsOf(() => checkSelection(config, { sources: ["altcraft"], accounts: ["agency"] }, OWNER))).toEqual([
      "--account agency: no such account in altcraft; configured accounts: altcraft/main, altcraft/promo",
    ]);
  });

  it("matches logins case-insensitively and hands the run the configured spelling", () => {
    expect(checkSelection(config, { streams: ["CLIENT-1", "client-2", OWNER] }, OWNER).selection).toEqual({
      streams: ["client-1", "Client-2", OWNER],
    });
  });

  it("takes a numeric stream as a campaign id of the selected Altcraft accounts that could list it", () => {
    expect(checkSelection(config, { streams: ["42"] }, OWNER)).toEqual({
      selection: { streams: ["42"] },
      campaignKeys: [{ key: "42", source: "altcraft", accounts: ["main"] }],
    });
    expect(checkSelection(config, { streams: ["7"] }, OWNER).campaignKeys).toEqual([
      { key: "7", source: "altcraft", accounts: ["main", "promo"] },
    ]);
    expect(problemsOf(() => checkSelection(config, { accounts: ["promo"], streams: ["42"] }, OWNER))).toEqual([
      "--stream 42: matches no configured login, no client a selected Yandex.Direct account could discover and no campaign a selected Altcraft account could list; streams: altcraft/promo: campaign ids, discovered each run (only 7, 8)",
    ]);
  });

  it("refuses a stream that matches nothing, listing the logins, and reports every problem at once", () => {
    const found = problemsOf(() =>
      checkSelection(config, { sources: ["yandex_direct", "bogus"], streams: ["no-such", "42"] }, OWNER),
    );
    expect(found).toEqual([
      "--source bogus: expected one of altcraft, yandex_direct",
      "--stream no-such: matches no configured login, no client a selected Yandex.Direct account could discover and no campaign a selected Altcraft account could list; streams: yandex_direct/agency: client-1, Client-2, yandex_direct/own: (owner)",
      "--stream 42: matches no configured login, no client a selected Yandex.Direct account could discover and no campaign a selected Altcraft account could list; streams: yandex_direct/agency: client-1, Client-2, yandex_direct/own: (owner)",
    ]);
  });
});

describe("unmatchedCampaigns", () => {
  const keys = [{ key: "42", source: "altcraft" as const, accounts: ["main"] }];
  it("is satisfied by a stream of the run, a stream the warehouse knows, or a failed account", () => {
    const none = { runStreams: [], knownStreams: [], failedAccounts: [] };
    expect(
      unmatchedCampaigns(keys, { ...none, runStreams: [{ source: "altcraft", account: "main", streamKey: "42" }] }),
    ).toEqual([]);
    expect(
      unmatchedCampaigns(keys, { ...none, knownStreams: [{ source: "altcraft", account: "main", streamKey: "42" }] }),
    ).toEqual([]);
    expect(unmatchedCampaigns(keys, { ...none, failedAccounts: [{ source: "altcraft", account: "main" }] })).toEqual(
      [],
    );
    expect(
      unmatchedCampaigns(keys, { ...none, failedAccounts: [{ source: "yandex_direct", account: "main" }] }),
    ).toEqual([
      "--stream 42: no campaign 42 was listed by altcraft/main (check the id and the account's campaigns filter)",
    ]);
    expect(
      unmatchedCampaigns(keys, { ...none, runStreams: [{ source: "altcraft", account: "other", streamKey: "42" }] }),
    ).toEqual([
      "--stream 42: no campaign 42 was listed by altcraft/main (check the id and the account's campaigns filter)",
    ]);
  });
});

describe("discovered Yandex.Direct clients", () => {
  const discovering = parseConfig(
    {
      sources: {
        yandex_direct: {
          accounts: [
            {
              name: "agency",
              token: "${Y}",
              currency: "client",
              logins: "all",
              discovery: { include: ["shop-*"], exclude: ["shop-test*"] },
            },
          ],
        },
      },
    },
    { Y: "y" },
  );

  it("takes a login the discovery filter takes, in lower case, and checks it after the run", () => {
    expect(checkSelection(discovering, { streams: ["Shop-Berlin"] }, OWNER)).toEqual({
      selection: { streams: ["shop-berlin"] },
      campaignKeys: [{ key: "shop-berlin", source: "yandex_direct", accounts: ["agency"] }],
    });
  });

  it("refuses a login the discovery filter leaves out", () => {
    expect(problemsOf(() => checkSelection(discovering, { streams: ["shop-test-1", "cafe"] }, OWNER))).toEqual([
      "--stream shop-test-1: matches no configured login, no client a selected Yandex.Direct account could discover and no campaign a selected Altcraft account could list; streams: yandex_direct/agency: client logins, discovered each run",
      "--stream cafe: matches no configured login, no client a selected Yandex.Direct account could discover and no campaign a selected Altcraft account could list; streams: yandex_direct/agency: client logins, discovered each run",
    ]);
  });

  it("says when no listed client had the login, matching it case-insensitively", () => {
    const keys = [{ key: "shop-berlin", source: "yandex_direct" as const, accounts: ["agency"] }];
    const none = { runStreams: [], knownStreams: [], failedAccounts: [] };
    expect(
      unmatchedCampaigns(keys, {
        ...none,
        knownStreams: [{ source: "yandex_direct", account: "agency", streamKey: "Shop-Berlin" }],
      }),
    ).toEqual([]);
    expect(unmatchedCampaigns(keys, none)).toEqual([
      "--stream shop-berlin: no client with login shop-berlin was listed by yandex_direct/agency (check the login and the account's discovery filter)",
    ]);
  });
});

describe("resetRefusal", () => {
  const now = new Date("2026-11-20T12:00:00Z");
  const cursor = new Date("2026-11-19T00:00:00Z");
  it("allows moving back, staying put, and going back to the start time", () => {
    expect(resetRefusal(cursor, new Date("2026-11-01T00:00:00Z"), now, false)).toBeUndefined();
    expect(resetRefusal(cursor, cursor, now, false)).toBeUndefined();
    expect(resetRefusal(cursor, null, now, false)).toBeUndefined();
    expect(resetRefusal(null, null, now, false)).toBeUndefined();
  });

  it("refuses moving forward, or setting a first cursor, without --force", () => {
    expect(resetRefusal(cursor, new Date("2026-11-20T00:00:00Z"), now, false)).toMatch(
      /is after the cursor 2026-11-19T00:00:00.000Z: moving forward skips every event in between; add --force/,
    );
    expect(resetRefusal(null, new Date("2026-11-01T00:00:00Z"), now, false)).toMatch(/no cursor yet.*add --force/);
    expect(resetRefusal(cursor, new Date("2026-11-20T00:00:00Z"), now, true)).toBeUndefined();
    expect(resetRefusal(null, new Date("2026-11-01T00:00:00Z"), now, true)).toBeUndefined();
  });

  it("refuses a time in the future even with --force", () => {
    for (const force of [false, true])
      expect(resetRefusal(cursor, new Date("2099-01-01T00:00:00Z"), now, force)).toMatch(
        /2099-01-01T00:00:00.000Z is in the future/,
      );
  });
});
