/**
 * The bookkeeping around planning that keeps status true: streams retired or brought back, finished
 * campaigns confirmed by their listing, and the known streams of a failed account marked failed.
 */
import type { Config } from "../config/config.schema.js";
import type { Logger } from "../log/pino.logger.js";
import type { Warehouse } from "../warehouse/warehouse.database.js";
import { failAccountStreams } from "../warehouse/stream-runs.repository.js";
import { confirmReadThrough, settleRetirement, streamLabel } from "../warehouse/streams.repository.js";
import type { AccountFailure, AccountListing, SyncSelection } from "./run-sync.engine.js";
import { configuredStreams, listedStreams, retirementScope } from "./stream.retirement.js";
import { OWNER_LOGIN } from "./yandex-direct.jobs.js";

function logRetirement(log: Logger, change: Awaited<ReturnType<typeof settleRetirement>>): void {
  if (change.retired.length > 0)
    log.info({ streams: change.retired.map(streamLabel) }, "streams retired: no longer configured");
  if (change.restored.length > 0)
    log.info({ streams: change.restored.map(streamLabel) }, "retired streams configured again");
}

/**
 * Retirement judged against the configuration this run loaded, before anything is planned, so a stream
 * configured again runs in this very run (only when the run is not restricted to some streams).
 */
export async function settleConfiguredStreams(
  deps: { warehouse: Warehouse; log: Logger; config: Config },
  selection: SyncSelection,
): Promise<void> {
  const scope = retirementScope(selection);
  if (scope)
    logRetirement(
      deps.log,
      await settleRetirement(deps.warehouse.db, scope, configuredStreams(deps.config, OWNER_LOGIN)),
    );
}

/**
 * The bookkeeping around planning that keeps status true: streams retired or brought back (only when the
 * run is not restricted to some streams), finished campaigns confirmed by their listing, and the known
 * streams of a failed account marked failed.
 */
export async function settleAccounts(
  deps: { warehouse: Warehouse; log: Logger },
  runId: number,
  selection: SyncSelection,
  planned: { failures: readonly AccountFailure[]; listings: readonly AccountListing[] },
): Promise<void> {
  const db = deps.warehouse.db;
  const mayRetire = retirementScope(selection) !== undefined;
  for (const listing of planned.listings) {
    if (mayRetire) {
      const { scope, configured } = listedStreams(listing.source, listing.account, listing.listedKeys);
      logRetirement(deps.log, await settleRetirement(db, scope, configured));
    }
    await confirmReadThrough(db, {
      source: listing.source,
      account: listing.account,
      streamKeys: listing.slowPolledKeys,
    });
  }
  for (const failure of planned.failures) {
    if (failure.streamsRead) continue;
    const source = failure.source as "altcraft" | "yandex_direct";
    const marked = await failAccountStreams(db, runId, {
      source,
      account: failure.account,
      error: failure.error,
      streamKeys: selection.streams?.length ? selection.streams : undefined,
    });
    if (marked > 0)
      deps.log.warn(
        { source, account: failure.account, streams: marked },
        "streams of the failed account marked failed",
      );
  }
}
