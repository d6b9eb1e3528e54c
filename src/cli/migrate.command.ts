/** `eventlog-sync migrate`: applies pending migrations (as every command does first), or reverts the last few. */
import { migrateDown } from "../warehouse/migrate.js";
import { commandWarehouse } from "./command-warehouse.js";
import type { CommandContext } from "./context.js";
import { withWarehouse } from "./warehouse-session.js";

export async function runMigrate(options: { down?: number; config?: string }, context: CommandContext): Promise<void> {
  await withWarehouse(
    { ...commandWarehouse(context, options.config), migrate: options.down === undefined },
    async ({ warehouse }) => {
      if (options.down !== undefined) {
        const reverted = await migrateDown(warehouse.db, options.down);
        for (const m of reverted) console.log(`reverted ${m.migrationName}`);
        if (reverted.length === 0) console.log("nothing to revert");
        return;
      }
      console.log("warehouse is up to date");
    },
  );
}
