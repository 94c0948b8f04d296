/**
 * Turns what the exchange reports for an order into what the orders table
 * records. Only the filled amount (`vol_exec`) moves a position: a
 * cancelled order that filled 0.004 of 0.01 adds 0.004, at its own average
 * price and fee.
 *
 * @module
 */
import type { AccountBalances, FillValues } from "../cycle/venue.ts";
import type { Balances } from "../journal/journal.ts";
import type { MarketInfo } from "../market/types.ts";
import type { OrderReport } from "./live-store.ts";
import type { ExchangeOrder } from "./private-exchange.ts";

/** Maps Kraken's order status and fills to the orders table's status. */
export function statusOf(order: ExchangeOrder): OrderReport["status"] {
  const filled = order.volumeExecuted > 0;
  if (order.status === "pending" || order.status === "open") {
    return filled ? "partially_filled" : "open";
  }
  if (order.status === "closed") return filled ? "filled" : "canceled";
  return "canceled";
}

/** Builds the report to record for `order` at time `at`. */
export function reportOf(order: ExchangeOrder, market: MarketInfo, at: number): OrderReport {
  const filled = order.volumeExecuted;
  return {
    status: statusOf(order),
    exchangeOrderId: order.txid,
    filledAmount: filled,
    cost: order.cost,
    fee: order.fee,
    averagePrice: order.averagePrice ?? (filled > 0 ? order.cost / filled : null),
    exchangeStatus: order.status,
    reason: order.reason,
    minAmount: market.minAmount,
    at,
  };
}

/** Returns the fill of a report, or null when nothing filled. */
export function fillOf(side: FillValues["side"], report: OrderReport): FillValues | null {
  if (report.filledAmount <= 0) return null;
  return {
    side,
    amount: report.filledAmount,
    price: report.averagePrice ?? report.cost / report.filledAmount,
    cost: report.cost,
    fee: report.fee,
  };
}

/**
 * Estimates the balances after a fill, for the audit of the cycle that
 * placed it. The next cycle reads the exchange's own balances again.
 */
export function balancesAfterFill(
  before: AccountBalances,
  market: MarketInfo,
  fill: FillValues | null,
): AccountBalances {
  if (fill === null) return before;
  const sign = fill.side === "buy" ? 1 : -1;
  const moveBy = (balances: Balances): Balances => ({
    ...balances,
    [market.base]: (balances[market.base] ?? 0) + sign * fill.amount,
    [market.quote]: (balances[market.quote] ?? 0) - sign * fill.cost - fill.fee,
  });
  return { free: moveBy(before.free), total: moveBy(before.total) };
}
