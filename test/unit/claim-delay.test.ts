// What a claim of the shared request budget stamps beyond the claim-to-send delays it measured: the longest of
// them with a margin, so a claim a little slower than every recent one does not lose its row's window.
import { describe, expect, it } from "vitest";
import { CLAIM_DELAY_MARGIN, CLAIM_DELAY_SLACK_MS, claimToSendMs } from "../../src/warehouse/request-budget.rate.js";
import type { RequestBudgetsState, RequestBudgetState } from "../../src/warehouse/request-budget.state.js";

const budgets = (roundTripMs: number) => ({ roundTripMs }) as RequestBudgetsState;
const token = (claimToSend: number[]) => ({ claimToSend }) as RequestBudgetState;

describe("the claim-to-send delay a claim stamps", () => {
  // Kills "a start stamped at the longest delay, without a margin": one claim in 21 is then slower than its stamp
  // by chance alone and wastes its row (about 5 % of the rate once it binds: `npm run bench:yandex -- --rate-only`).
  it("is the longest delay measured, a quarter more, and 5 ms", () => {
    expect(CLAIM_DELAY_MARGIN).toBeGreaterThan(1);
    expect(CLAIM_DELAY_SLACK_MS).toBeGreaterThan(0);
    expect(claimToSendMs(budgets(50), token([3, 2.5, 4, 1]))).toBe(10);
    // A database whose answers come 400 ms late: the stamp covers its jitter too.
    expect(claimToSendMs(budgets(50), token([400, 412, 405]))).toBe(520);
  });

  it("is the round trip that opened the budget's connection, with the same margin, before the first claim", () => {
    expect(claimToSendMs(budgets(12), token([]))).toBe(20);
  });
});
