/**
 * The LIVE venue: reconciliation before market data, balances from Kraken,
 * and write-ahead market orders. It shares everything else with PAPER:
 * the same sizing and `validateOrder` run on its free balances.
 *
 * @module
 */
import type { ExecutionVenue } from "../cycle/venue.ts";
import type { LiveDeps } from "./live-deps.ts";
import { placeLiveOrder } from "./place-order.ts";
import { reconcile } from "./reconcile.ts";

/** Builds the venue a LIVE cycle passes as `deps.venue`. */
export function createLiveVenue(live: LiveDeps): ExecutionVenue {
  return {
    mode: "LIVE",
    recover: (context) => reconcile(context, live),
    async readBalances(context, market) {
      const balances = await context.guard.call(
        "BalanceEx",
        (signal) => live.exchange.fetchBalances(market.symbol, signal),
      );
      const { base, quote } = market;
      context.log.info("BALANCES", {
        base,
        base_free: balances.free[base] ?? 0,
        base_total: balances.total[base] ?? 0,
        quote,
        quote_free: balances.free[quote] ?? 0,
        quote_total: balances.total[quote] ?? 0,
      });
      return balances;
    },
    execute: (context, order, market, _quote, balances) =>
      placeLiveOrder(context, live, order, market, balances),
  };
}
