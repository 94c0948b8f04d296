/**
 * The PAPER broker: simulates a market order against the current quote.
 * It fills at the ask (buy) or bid (sell), never at a candle close, and
 * worsens that price by the configured slippage. It charges the market's
 * taker fee in the quote currency and validates the final fill with the
 * same `validateOrder` that LIVE orders pass. It writes nothing, because
 * the caller records the fill and the new balances in the journal.
 *
 * @module
 */

import type { Balances, Side } from "../journal/journal.ts";
import type { MarketInfo, Quote } from "../market/types.ts";
import {
  freeBalance,
  type OrderRequest,
  type OrderSkip,
  validateOrder,
} from "../risk/order-rules.ts";
import { buildOrder, referencePrice } from "../risk/sizing.ts";

export interface PaperOptions {
  /** Slippage against the taker in basis points (10 is 0.1 %); 0 or more. */
  slippageBps: number;
}

/** A simulated execution; the fee is in the quote currency. */
export interface PaperFillValues {
  side: Side;
  amount: number;
  price: number;
  cost: number;
  fee: number;
}

export type PaperResult =
  | { kind: "filled"; fill: PaperFillValues; balancesAfter: Balances }
  | ({ kind: "rejected" } & OrderSkip);

function applyFill(fill: PaperFillValues, market: MarketInfo, balances: Balances): Balances {
  const after: Balances = { ...balances };
  const base = freeBalance(balances, market.base);
  const quote = freeBalance(balances, market.quote);
  if (fill.side === "buy") {
    // One subtraction of the validated total keeps the quote balance at 0 or above.
    after[market.quote] = quote - (fill.cost + fill.fee);
    after[market.base] = base + fill.amount;
  } else {
    after[market.base] = base - fill.amount;
    after[market.quote] = quote + (fill.cost - fill.fee);
  }
  return after;
}

/**
 * Fills `order.amount` at the quote's ask (buy) or bid (sell) worsened by
 * `slippageBps` and rounded to `priceDecimals`, with the taker fee charged
 * on the fill cost. The order's own price, cost and fee are the sizing
 * estimates and are replaced by the fill values. Returns the fill and the
 * balances after it, or the first rule the fill breaks. Throws a
 * `RangeError` for a negative or non-finite `slippageBps`.
 */
export function fillPaperOrder(
  order: OrderRequest,
  quote: Quote,
  market: MarketInfo,
  balances: Balances,
  options: PaperOptions,
): PaperResult {
  const { slippageBps } = options;
  if (!Number.isFinite(slippageBps) || slippageBps < 0) {
    throw new RangeError(
      `Invalid PAPER slippageBps ${slippageBps}: expected a finite number of 0 or more ` +
        `basis points. Fix the paper slippage setting.`,
    );
  }

  const price = referencePrice(order.side, quote, market, slippageBps / 10_000);
  const fill = buildOrder(order.side, order.amount, price, market);
  const check = validateOrder(fill, market, balances);
  if (!check.ok) {
    return {
      kind: "rejected",
      reason: check.reason,
      message: check.message,
      details: check.details,
    };
  }
  return { kind: "filled", fill, balancesAfter: applyFill(fill, market, balances) };
}
