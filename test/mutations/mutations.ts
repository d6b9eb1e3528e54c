/**
 * Named one-line mutations of the product, each breaking one promise (test/mutations/run.ts applies them one
 * at a time). `find` must occur exactly once in `file`; `tests` are the files that should notice.
 */
export interface Mutation {
  name: string;
  /** The promise the mutation breaks. */
  why: string;
  file: string;
  find: string;
  replace: string;
  tests: readonly string[];
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: "occurrence always 0",
    why: "identical records of one snapshot get one event key, so all but one are lost",
    file: "src/sync/event.identity.ts",
    find: "    return occurrence;\n",
    replace: "    return 0;\n",
    tests: ["test/sync/event-identity.test.ts", "test/sync/event-keys.pinned.test.ts"],
  },
  {
    name: "Altcraft follow-up from the last row",
    why: "a follow-up from the last millisecond read (not the one before) misses rows of that millisecond",
    file: "src/sources/altcraft/campaign-log.evidence.ts",
    find: "export const followUpFrom = (latest: number): number => latest - 1;",
    replace: "export const followUpFrom = (latest: number): number => latest;",
    tests: ["test/unit/read-decisions.test.ts", "test/altcraft/page-caps.test.ts"],
  },
  {
    name: "Yandex.Direct read ended by a short page",
    why: "a page smaller than the limit is taken as the end of a window: a size, not the server, ends the read",
    file: "src/sources/yandex-direct/events.window.ts",
    find: "    pages.push(page);\n",
    replace: '    pages.push(page);\n    if (items.length < r.pageLimit) return { pages, end: "empty" };\n',
    tests: ["test/yandex-direct/reader.test.ts", "test/yandex-direct/page-caps.test.ts"],
  },
  {
    name: "MIN_PIECE 6",
    why: "pieces of a secret shorter than 8 characters are masked, and short secrets are redacted differently",
    file: "src/http/secrets.redactor.ts",
    find: "export const MIN_PIECE = 8;",
    replace: "export const MIN_PIECE = 6;",
    tests: ["test/http/redact.test.ts"],
  },
  {
    name: "no ASCII-escaped JSON form",
    why: "a secret with a non-ASCII character, echoed as \\uXXXX in a JSON body, leaks",
    file: "src/http/secrets.redactor.ts",
    find: 'json.replace(/\\//g, "\\\\/"), asciiJson, xml]',
    replace: 'json.replace(/\\//g, "\\\\/"), xml]',
    tests: ["test/http/redact.test.ts"],
  },
  {
    name: "unknown gap counted as 0",
    why: "a run's unread events summed over gaps of unknown size say a number instead of unknown",
    file: "src/warehouse/gaps.repository.ts",
    find: "unread: row.unknown > 0 ? null : Number(row.unread)",
    replace: "unread: Number(row.unread)",
    tests: ["test/warehouse/gaps.test.ts"],
  },
  {
    name: "stream lock not taken",
    why: "two processes sync one stream at once",
    file: "src/warehouse/stream.lock.ts",
    find: "if (!result.rows[0]?.locked) {",
    replace: "if (false) {",
    tests: ["test/sync/lock-holders.test.ts"],
  },
  {
    name: "cursor committed before the rows",
    why: "a load that fails after the cursor moved loses its rows for good",
    file: "src/warehouse/batch.loader.ts",
    find: "    const result = await loadInTransaction(client, table, batch, copyText);\n",
    replace:
      "    await moveCursor(pool, batch);\n    const result = await loadInTransaction(client, table, batch, copyText);\n",
    tests: ["test/warehouse/load-page.test.ts"],
  },
  {
    name: "no ON CONFLICT",
    why: "a re-read event fails the batch instead of being skipped as a duplicate",
    file: "src/warehouse/batch.loader.ts",
    find: " from stage on conflict (event_key) do nothing`",
    replace: " from stage`",
    tests: ["test/warehouse/load-page.test.ts"],
  },
  {
    name: "a quota retried",
    why: "a spent daily quota is retried for hours instead of ending the stream partial",
    file: "src/http/retry.policy.ts",
    find: 'if (codes.quota.has(err.code)) return "quota";',
    replace: 'if (codes.quota.has(err.code)) return "retryable";',
    tests: ["test/http/retry-policy.test.ts"],
  },
  {
    name: "NUL kept",
    why: "a U+0000 in a record fails the whole batch (PostgreSQL cannot store it)",
    file: "src/warehouse/nul.replacement.ts",
    find: '? { text: text.replaceAll("\\u0000", NUL_REPLACEMENT), replaced: true }',
    replace: "? { text, replaced: true }",
    tests: ["test/warehouse/nul-and-rejects.test.ts"],
  },
  {
    name: "retention prunes a running run",
    why: "a run still in progress loses its bookkeeping under it",
    file: "src/warehouse/bookkeeping.retention.ts",
    find: "   where r.started_at < ${cutoff} and r.status <> 'running')`;",
    replace: "   where r.started_at < ${cutoff})`;",
    tests: ["test/warehouse/retention.test.ts"],
  },
  {
    name: "lock keys without the secret",
    why: "another role can compute the job's lock keys and hold its streams",
    file: "src/warehouse/lock.keys.ts",
    find: 'createHmac("sha256", secret)',
    replace: 'createHmac("sha256", "")',
    tests: ["test/warehouse/lock-keys.test.ts"],
  },
  {
    name: "Yandex.Direct lookback ignored",
    why: "events the source registers late, behind the cursor, are never read",
    file: "src/sources/yandex-direct/events.evidence.ts",
    find: "  const from = secondOf(input.cursor - input.lookbackMs);",
    replace: "  const from = secondOf(input.cursor);",
    tests: ["test/unit/read-decisions.test.ts", "test/yandex-direct/sync.test.ts"],
  },
  {
    name: "Altcraft lookback ignored",
    why: "rows the platform adds late, behind the cursor, are never read",
    file: "src/sources/altcraft/campaign-log.stream.ts",
    find: "cursor.getTime() - Math.max(1, settings.lookbackMs)",
    replace: "cursor.getTime() - 1",
    tests: ["test/altcraft/sync.test.ts", "test/altcraft/lifecycle.test.ts"],
  },
  {
    name: "Altcraft step counted from a racy pair",
    why: "a late row registered between the two requests of a step makes the count one too low: a row passed over",
    file: "src/sources/altcraft/campaign-log.answer.ts",
    find: "    before: totals ? totals.before : stepping.totalCount,",
    replace: "    before: stepping.totalCount,",
    tests: ["test/unit/altcraft-step-count.test.ts"],
  },
  {
    name: "stream lag metric renamed",
    why: "the dashboard's lag panel (and any alert on lag) names a series the daemon no longer serves",
    file: "src/daemon/warehouse.gauges.ts",
    find: 'name: "eventlog_sync_stream_lag_seconds",',
    replace: 'name: "eventlog_sync_stream_lag_secs",',
    tests: ["test/deploy/grafana-dashboard.test.ts", "test/deploy/metrics-served.test.ts"],
  },
  {
    name: "owner's rows under (owner)",
    why: "without ownerLogin the token owner's rows are stored under the literal (owner), not the login Clients.get gives",
    file: "src/sync/yandex-direct.jobs.ts",
    find: "      storedLogin: account.ownerLogin ?? lookup,",
    replace: "      storedLogin: account.ownerLogin ?? OWNER_LOGIN,",
    tests: ["test/yandex-direct/owner-login.test.ts"],
  },
  {
    name: "owner's login looked up though configured",
    why: "a configured ownerLogin still costs a Clients.get request, and a failing lookup would fail the stream",
    file: "src/sync/yandex-direct.jobs.ts",
    find: "      storedLogin: account.ownerLogin ?? lookup,",
    replace: "      storedLogin: lookup,",
    tests: ["test/yandex-direct/owner-login.test.ts"],
  },
  {
    name: "owner's login not kept for freshness",
    why: "sync.stream_freshness shows no newest event for the owner's stream, whose rows carry a login unlike its key",
    file: "src/sync/yandex-direct.login-job.ts",
    find: "{ ...batch, state: { ...batch.state, ownerLogin: plan.storedLogin } }",
    replace: "batch",
    tests: ["test/yandex-direct/owner-login.test.ts"],
  },
  {
    name: "owner's login failure hides the lookup",
    why: "a failed Clients.get reads as the API's bare error, without saying that ownerLogin avoids the lookup",
    file: "src/sources/yandex-direct/owner-login.client.ts",
    find: "    if (signal?.aborted) throw err;",
    replace: "    throw err;",
    tests: ["test/yandex-direct/owner-login.test.ts"],
  },
  {
    name: "Yandex.Direct window read ahead stored before an earlier one",
    why: "a later window's answer is handed on, and committed, before the window before it",
    file: "src/sources/yandex-direct/events.pipeline.ts",
    find: "      return queue.shift();\n",
    replace: "      return queue.length > 1 ? queue.splice(1, 1)[0] : queue.shift();\n",
    tests: ["test/yandex-direct/requests-ahead.test.ts"],
  },
  {
    name: "Yandex.Direct reads past a failed window",
    why: "a window whose read failed is passed over and the windows after it are committed: its events are lost",
    file: "src/sources/yandex-direct/events.pipeline.ts",
    find: "      const part = plan.read(next, to);\n",
    replace: "      const part = plan.read(next, to).catch(() => ({ snapshots: [], gaps: [], events: 0 }));\n",
    tests: ["test/yandex-direct/requests-ahead.test.ts"],
  },
  {
    name: "Yandex.Direct economy reads windows ahead",
    why: "economy's trust and audits follow the order of the windows: read at once, a recheck cannot go back",
    file: "src/sources/yandex-direct/events.stream.ts",
    find: 'settings.completeness === "economy" ? 1 : Math.max',
    replace: "Math.max",
    tests: ["test/yandex-direct/requests-ahead.test.ts"],
  },
];
