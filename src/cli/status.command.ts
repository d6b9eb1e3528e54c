/** `eventlog-sync status`: where every stream stands, as a table or as JSON (options and help: cli.program.ts). */
import {
  failedListings,
  streamStatuses,
  type AccountStatusRow,
  type StreamStatusRow,
} from "../warehouse/status.repository.js";
import { commandWarehouse } from "./warehouse.settings.js";
import type { CommandContext } from "./command.context.js";
import { markAbandonedRuns } from "../warehouse/run.lease.js";
import { withWarehouse } from "./warehouse.session.js";
import { warehouseVersion } from "./warehouse.version.js";

/** `3d 4h`, `12m`, `40s`: how far behind, for people. */
export function humanLag(seconds: number | null): string {
  if (seconds === null) return "-";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h ${Math.round((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.round((seconds % 86_400) / 3600)}h`;
}

const iso = (d: Date | null) => (d ? d.toISOString().replace(".000Z", "Z") : "-");

/**
 * A stream's open gaps for people: `12 from …` (every size known), `unknown from …` (none known), `≥ 12 (+1
 * gap of unknown size) from …` (some known); `-` when none. An unknown size is never shown as 0.
 */
export function describeUnread(
  row: Pick<StreamStatusRow, "open_gaps" | "unknown_gaps" | "unread_known" | "unread_at">,
): string {
  if (row.open_gaps === 0 || row.unread_at === null) return "-";
  const from = `from ${iso(row.unread_at)}`;
  const known = row.unread_known.toLocaleString("en");
  if (row.unknown_gaps === 0) return `${known} ${from}`;
  if (row.unknown_gaps === row.open_gaps) return `unknown ${from}`;
  const gaps = `${row.unknown_gaps} gap${row.unknown_gaps === 1 ? "" : "s"}`;
  return `≥ ${known} (+${gaps} of unknown size) ${from}`;
}

/**
 * An account whose latest listing failed, for people: when, why, and how old the streams shown for it are.
 * The error is shown whole: it is what the operator acts on.
 */
export function describeFailedListing(row: AccountStatusRow): string {
  const since =
    row.last_complete_listing_at === null
      ? "no complete listing yet"
      : `streams below are as of the last complete listing (${iso(row.last_complete_listing_at)})`;
  return `${row.source}/${row.account}  listing failed ${iso(row.last_run_finished_at)}: ${row.last_error ?? "unknown error"}; ${since}\n`;
}

/** The accounts whose listing failed, one line each, then the streams' table. */
export function statusText(rows: readonly StreamStatusRow[], accounts: readonly AccountStatusRow[]): string {
  return accounts.map(describeFailedListing).join("") + statusTable(rows);
}

export function statusTable(rows: readonly StreamStatusRow[]): string {
  if (rows.length === 0) return "no streams yet: run `eventlog-sync sync` first\n";
  const header = ["STREAM", "STATUS", "CURSOR", "LAST EVENT", "LAG", "ROWS", "LAST RUN", "GAP", "UNREAD", "LAST ERROR"];
  const lines = rows.map((r) => [
    `${r.source}/${r.account}/${r.stream}`,
    r.status,
    iso(r.cursor),
    iso(r.last_event_at),
    humanLag(r.lag_seconds),
    r.rows_held.toLocaleString("en"),
    r.last_run_id === null ? "-" : `#${r.last_run_id} ${r.last_run_status ?? ""} ${iso(r.last_run_finished_at)}`,
    r.completeness_gap === null ? "-" : String(r.completeness_gap),
    describeUnread(r),
    r.last_error ? (r.last_error.length > 80 ? `${r.last_error.slice(0, 79)}…` : r.last_error) : "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  return `${[header, ...lines]
    .map((l) =>
      l
        .map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

export async function runStatus(
  options: { json?: boolean; all?: boolean; config?: string },
  context: CommandContext,
): Promise<void> {
  // Status reads what is there: it never migrates (see warehouseVersion for what it says instead).
  await withWarehouse({ ...commandWarehouse(context, options.config), migrate: false }, async ({ warehouse }) => {
    const version = await warehouseVersion(warehouse.db);
    if (version.notice) process.stderr.write(`eventlog-sync: ${version.notice}\n`);
    if (version.empty) throw new Error(version.notice);
    let rows: StreamStatusRow[];
    let accounts: AccountStatusRow[];
    try {
      // A run whose process is gone shows as abandoned, not running.
      await markAbandonedRuns(warehouse.pool);
      rows = await streamStatuses(warehouse.db, { includeRetired: options.all === true });
      accounts = await failedListings(warehouse.db);
    } catch (err) {
      if (!version.notice) throw err;
      throw new Error(`status cannot be read from this warehouse: ${version.notice}`, { cause: err });
    }
    // JSON: one array, the stream rows (`kind: "stream"`) then the accounts' rows (`kind: "account"`); README,
    // "Status, freshness and retired streams".
    const json = () => [...rows.map((r) => ({ kind: "stream" as const, ...r })), ...accounts];
    process.stdout.write(options.json ? `${JSON.stringify(json(), null, 2)}\n` : statusText(rows, accounts));
  });
}
