// Every migration, in the order they apply. Add a new file here when you add one to this folder
// (a test checks that this list and the folder agree).
import type { Migration } from "kysely";
import * as syncBookkeeping from "./2026-11-23T1500_sync-bookkeeping.js";
import * as eventTables from "./2026-11-23T1510_event-tables.js";
import * as analystViews from "./2026-11-23T1600_analyst-views.js";
import * as incompleteStreams from "./2026-11-28T1200_incomplete-streams.js";
import * as surviveTheWarehouse from "./2026-11-28T1300_survive-the-warehouse.js";
import * as statusTruth from "./2026-11-28T1400_status-truth.js";
import * as analystsWarehouse from "./2026-11-29T0100_analysts-warehouse.js";
import * as agencyClients from "./2026-11-29T0900_agency-clients.js";
import * as sharedRequestBudget from "./2026-11-29T1100_shared-request-budget.js";
import * as gaps from "./2026-12-03T0900_gaps.js";
import * as prunableRuns from "./2026-12-03T1200_prunable-runs.js";
import * as privateLocks from "./2026-12-03T1300_private-locks.js";
import * as loginSpelling from "./2026-12-03T1400_login-spelling.js";
import * as streamRunBatches from "./2026-12-03T1500_stream-run-batches.js";
import * as ownerFreshness from "./2026-12-03T1700_owner-freshness.js";
import * as freshnessPlan from "./2026-12-04T0900_freshness-plan.js";

export const migrations: Record<string, Migration> = {
  "2026-11-23T1500_sync-bookkeeping": syncBookkeeping,
  "2026-11-23T1510_event-tables": eventTables,
  "2026-11-23T1600_analyst-views": analystViews,
  "2026-11-28T1200_incomplete-streams": incompleteStreams,
  "2026-11-28T1300_survive-the-warehouse": surviveTheWarehouse,
  "2026-11-28T1400_status-truth": statusTruth,
  "2026-11-29T0100_analysts-warehouse": analystsWarehouse,
  "2026-11-29T0900_agency-clients": agencyClients,
  "2026-11-29T1100_shared-request-budget": sharedRequestBudget,
  "2026-12-03T0900_gaps": gaps,
  "2026-12-03T1200_prunable-runs": prunableRuns,
  "2026-12-03T1300_private-locks": privateLocks,
  "2026-12-03T1400_login-spelling": loginSpelling,
  "2026-12-03T1500_stream-run-batches": streamRunBatches,
  "2026-12-03T1700_owner-freshness": ownerFreshness,
  "2026-12-04T0900_freshness-plan": freshnessPlan,
};
