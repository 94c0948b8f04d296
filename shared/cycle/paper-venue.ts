/**
 * The PAPER venue: balances from the database, fills from the PAPER broker
 * at the current quote, recorded together with the balance change.
 *
 * @module
 */
import { fillPaperOrder } from "../broker/paper.ts";
import { InsufficientPaperBalanceError } from "../journal/errors.ts";
import type { Balances } from "../journal/journal.ts";
import type { MarketInfo, Quote } from "../market/types.ts";
import type { OrderRequest } from "../risk/order-rules.ts";
import type { AccountBalances, ExecutionResult, ExecutionVenue, VenueContext } from "./venue.ts";

/**
 * Returns the client order id of a PAPER cycle's order: the cycle id, with the
 * attempt appended after a release (`BTCUSD-20240115T1215Z-A2`), so that a
 * re-run never reuses the id of the earlier attempt's order.
 */
export function clientOrderId(cycleId: string, attempt = 1): string {
  return attempt <= 1 ? cycleId : `${cycleId}-A${attempt}`;
}

/** PAPER balances have nothing held or staked, so free and total are the same. */
function bothReadings(balances: Balances): AccountBalances {
  return { free: balances, total: balances };
}

export const paperVenue: ExecutionVenue = {
  mode: "PAPER",

  // PAPER fills are recorded in the same transaction as their balances, so a
  // PAPER cycle leaves nothing half done to recover.
  recover: () => Promise.resolve(),

  async readBalances({ deps }: VenueContext): Promise<AccountBalances> {
    return bothReadings(await deps.journal.readPaperBalances(deps.config.paper.startBalances));
  },

  async execute(
    { deps, state }: VenueContext,
    order: OrderRequest,
    market: MarketInfo,
    quote: Quote,
    balances: AccountBalances,
  ): Promise<ExecutionResult> {
    const result = fillPaperOrder(order, quote, market, balances.free, {
      slippageBps: deps.config.paper.slippageBps,
    });
    if (result.kind === "rejected") {
      return { kind: "skipped", reason: result.reason, message: result.message };
    }
    const id = clientOrderId(state.cycleId, state.attempt);
    let after: Balances;
    try {
      after = await deps.journal.recordPaperFill({
        cycleId: state.cycleId,
        market: state.market,
        base: market.base,
        quote: market.quote,
        clientOrderId: id,
        filledAt: deps.clock.now(),
        ...result.fill,
      });
    } catch (error) {
      // Another market's fill in the same slot may have spent the balance read
      // earlier, or the exact decimal sum may exceed it by a rounding step.
      if (!(error instanceof InsufficientPaperBalanceError)) throw error;
      return { kind: "skipped", reason: "INSUFFICIENT_FUNDS", message: error.message };
    }
    return {
      kind: "executed",
      status: "filled",
      fill: result.fill,
      clientOrderId: id,
      balancesAfter: bothReadings(after),
    };
  },
};
