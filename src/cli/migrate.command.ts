/**
 * `eventlog-sync migrate`: applies pending migrations (as every command does first) and says which, or
 * reverts the last few; a reversal that would drop tables holding rows takes `--force`.
 */
import { revertMigrations } from "../warehouse/migrations.runner.js";
import { commandWarehouse } from "./warehouse.settings.js";
import type { CommandContext } from "./command.context.js";
import { withWarehouse } from "./warehouse.session.js";

export async function runMigrate(
  options: { down?: number; force?: boolean; config?: string },
  context: CommandContext,
): Promise<void> {
  await withWarehouse(
    { ...commandWarehouse(context, options.config), migrate: options.down === undefined },
    async ({ warehouse, lock, applied }) => {
      if (options.down === undefined) {
        for (const m of applied) console.log(`applied ${m.migrationName}`);
        console.log(
          applied.length === 0
            ? "warehouse is up to date: nothing to apply"
            : `warehouse migrated: ${applied.length} migration${applied.length === 1 ? "" : "s"} applied`,
        );
        return;
      }
      const { reverted, dropped, resetStreams } = await revertMigrations(warehouse.db, options.down, {
        ...lock,
        force: options.force === true,
      });
      for (const m of reverted) console.log(`reverted ${m.migrationName}`);
      if (reverted.length === 0) console.log("nothing to revert");
      for (const t of dropped) console.log(`dropped ${t.table} (${t.rows.toLocaleString("en")} rows)`);
      for (const [source, n] of Object.entries(resetStreams))
        console.log(
          `reset ${n} ${source} stream${n === 1 ? "" : "s"}: their events were dropped, the next sync reads them again from the configured start time`,
        );
    },
  );
}
