/**
 * Order sizing: turns a BUY or SELL decision into an `OrderRequest` that
 * fits the market's precision and minimums and the free balances, or into a
 * skip with a reason from the closed list in `order-rules.ts`.
 *
 * @module
 */

import type { Balances, Side } from "../journal/journal.ts";
import type { MarketInfo, Quote } from "../market/types.ts";
import { roundDecimals, truncateDecimals } from "./decimals.ts";
import {
  freeBalance,
  isBelowMinimum,
  type OrderRequest,
  type OrderSkip,
  validateOrder,
} from "./order-rules.ts";
import type { RiskParams } from "./risk-params.ts";

export interface SizingInput {
  side: Side;
  market: MarketInfo;
  quote: Quote;
  /** Free balances by asset code; funds reserved by open orders excluded. */
  balances: Balances;
  risk: RiskParams;
  /**
   * Expected slippage as a fraction (0.001 is 0.1 %): a buy is priced at
   * ask × (1 + slippage), a sell at bid × (1 - slippage). Default 0.
   */
  slippage?: number;
}

export type SizingResult = { kind: "order"; order: OrderRequest } | ({ kind: "skip" } & OrderSkip);

/**
 * Returns the reference price of a market order: the ask for a buy and the
 * bid for a sell, worsened by `slippage` and rounded to `priceDecimals`.
 */
export function referencePrice(
  side: Side,
  quote: Quote,
  market: MarketInfo,
  slippage = 0,
): number {
  const raw = side === "buy" ? quote.ask * (1 + slippage) : quote.bid * (1 - slippage);
  return roundDecimals(raw, market.priceDecimals);
}

/** Builds an order with cost = amount × price and the taker fee on that cost. */
export function buildOrder(side: Side, amount: number, price: number, market: MarketInfo) {
  const cost = amount * price;
  return { side, amount, price, cost, fee: cost * market.takerFee };
}

/**
 * Returns the base amount that `cost` quote currency buys at `price`,
 * truncated to `amountDecimals`, with no fee added: 4.00 EUR at 39995.8 is
 * 0.00010001 BTC on a market with 8 amount decimals.
 */
export function quoteBudgetAmount(cost: number, price: number, market: MarketInfo): number {
  return truncateDecimals(cost / price, market.amountDecimals);
}

/**
 * Returns the largest amount whose cost plus taker fee fits in `budget`:
 * truncate(budget / (price × (1 + fee))). 100 EUR at 40000.0 with a 0.26 %
 * fee buys 0.00249351 BTC, not 0.0025.
 */
export function feeInclusiveAmount(budget: number, price: number, market: MarketInfo): number {
  const amount = truncateDecimals(budget / (price * (1 + market.takerFee)), market.amountDecimals);
  const order = buildOrder("buy", amount, price, market);
  if (order.cost + order.fee <= budget) return amount;
  // The float quotient can round up across a decimal boundary; one unit less always fits.
  const unit = 10 ** -market.amountDecimals;
  return truncateDecimals(Math.max(0, amount - unit), market.amountDecimals);
}

function sizeBuy(input: SizingInput, price: number): SizingResult {
  const { market, risk } = input;
  const budget = freeBalance(input.balances, market.quote) * risk.entryFraction;
  let amount = feeInclusiveAmount(budget, price, market);
  if (risk.maxOrderCost !== undefined) {
    amount = Math.min(amount, quoteBudgetAmount(risk.maxOrderCost, price, market));
  }
  return { kind: "order", order: buildOrder("buy", amount, price, market) };
}

function sizeSell(input: SizingInput, price: number): SizingResult {
  const { market } = input;
  const free = freeBalance(input.balances, market.base);
  const amount = truncateDecimals(free, market.amountDecimals);
  const order = buildOrder("sell", amount, price, market);
  if (amount === 0) return { kind: "order", order };

  const belowAmount = isBelowMinimum(amount, market.minAmount);
  const belowCost = isBelowMinimum(order.cost, market.minCost);
  if (belowAmount || belowCost) {
    const rule = belowAmount
      ? `below the minimum order amount ${market.minAmount} ${market.base}`
      : `worth ${order.cost} ${market.quote}, below the minimum cost ${market.minCost}`;
    return {
      kind: "skip",
      reason: "DUST_POSITION",
      message: `Kept ${free} ${market.base} on ${market.symbol} as dust: ${amount} is ${rule}.`,
      details: {
        free,
        amount,
        cost: order.cost,
        minAmount: market.minAmount,
        minCost: market.minCost,
      },
    };
  }
  return { kind: "order", order };
}

/**
 * Sizes a market order. A buy spends `risk.entryFraction` of the free quote
 * balance, fee included, capped at `risk.maxOrderCost` before the fee. A
 * sell offers the whole free base balance truncated to `amountDecimals`,
 * and keeps a position too small to sell as dust (`DUST_POSITION`). The
 * order then passes `validateOrder`, whose first failure becomes the skip.
 */
export function sizeOrder(input: SizingInput): SizingResult {
  const price = referencePrice(input.side, input.quote, input.market, input.slippage);
  if (!(price > 0)) {
    return {
      kind: "skip",
      reason: "INVALID_ORDER",
      message: `Skipped ${input.side} on ${input.market.symbol}: the quote gives price ${price}; ` +
        `expected a positive bid and ask. Check the ticker data.`,
      details: { bid: input.quote.bid, ask: input.quote.ask, price },
    };
  }

  const sized = input.side === "buy" ? sizeBuy(input, price) : sizeSell(input, price);
  if (sized.kind === "skip") return sized;

  const check = validateOrder(sized.order, input.market, input.balances);
  if (!check.ok) {
    return { kind: "skip", reason: check.reason, message: check.message, details: check.details };
  }
  return sized;
}
