/**
 * Order validation against a market's published rules and the free
 * balances. PAPER fills and LIVE orders both pass through `validateOrder`
 * before anything is recorded or sent, so a simulated fill is only ever one
 * that the exchange would have accepted.
 *
 * @module
 */

import type { Balances, Side } from "../journal/journal.ts";
import type { MarketInfo } from "../market/types.ts";
import { hasAtMostDecimals } from "./decimals.ts";

/** A market order as the bot requests it, before the exchange reports a fill. */
export interface OrderRequest {
  side: Side;
  /** Base amount, at most `amountDecimals` places. */
  amount: number;
  /** Reference price in the quote currency, at most `priceDecimals` places. */
  price: number;
  /** amount × price in the quote currency, before the fee. */
  cost: number;
  /** Expected taker fee in the quote currency. */
  fee: number;
}

/** The closed list of reasons an order is not placed, with what each means. */
export const ORDER_SKIP_REASONS = {
  INVALID_ORDER: "A number in the order is not finite, negative, or inconsistent.",
  ZERO_AMOUNT: "There is nothing to trade: the amount is zero after truncation.",
  PRICE_PRECISION: "The price has more decimals than the market allows.",
  AMOUNT_PRECISION: "The amount has more decimals than the market allows.",
  BELOW_MIN_COST: "The order cost is below the market's minimum cost.",
  BELOW_MIN_AMOUNT: "The amount is below the market's minimum order amount.",
  INSUFFICIENT_FUNDS: "The free balance does not cover the order and its fee.",
  DUST_POSITION: "The position left to sell is too small to trade and is kept.",
} as const;

export type OrderSkipReason = keyof typeof ORDER_SKIP_REASONS;

/** Reason, message and values of an order that is not placed; never contains a secret. */
export interface OrderSkip {
  reason: OrderSkipReason;
  message: string;
  details: Record<string, unknown>;
}

export type OrderCheck = { ok: true } | ({ ok: false } & OrderSkip);

/**
 * Relative tolerance for comparisons of products of doubles against limits:
 * 0.00010001 × 39995.8 must count as 4.0000 whatever its last bit.
 */
const RELATIVE_TOLERANCE = 1e-12;

/** Largest relative difference accepted between `cost` and amount × price. */
const COST_TOLERANCE = 1e-9;

/** Reads a balance by asset code; a missing asset is a zero balance. */
export function freeBalance(balances: Balances, asset: string): number {
  return balances[asset] ?? 0;
}

/** Compares a product of doubles with an exchange minimum, forgiving the last bits. */
export function isBelowMinimum(value: number, minimum: number): boolean {
  return value < minimum * (1 - RELATIVE_TOLERANCE);
}

function skip(reason: OrderSkipReason, message: string, details: Record<string, unknown>) {
  return { ok: false as const, reason, message, details };
}

function checkNumbers(order: OrderRequest, market: MarketInfo): OrderCheck | null {
  const { amount, price, cost, fee } = order;
  const finite = [amount, price, cost, fee].every(Number.isFinite);
  const expectedCost = amount * price;
  const consistent = Math.abs(cost - expectedCost) <= COST_TOLERANCE * expectedCost;
  if (!finite || amount < 0 || price <= 0 || fee < 0 || !consistent) {
    return skip(
      "INVALID_ORDER",
      `Invalid ${order.side} order on ${market.symbol}: amount ${amount}, price ${price}, ` +
        `cost ${cost} and fee ${fee} must be finite and non-negative with a positive price ` +
        `and cost = amount × price. Fix the code that built the order.`,
      { amount, price, cost, fee, expectedCost },
    );
  }
  if (amount === 0) {
    return skip(
      "ZERO_AMOUNT",
      `Skipped ${order.side} on ${market.symbol}: the amount is 0 ${market.base}.`,
      { amount },
    );
  }
  return null;
}

function checkPrecision(order: OrderRequest, market: MarketInfo): OrderCheck | null {
  if (!hasAtMostDecimals(order.price, market.priceDecimals)) {
    return skip(
      "PRICE_PRECISION",
      `Rejected ${order.side} on ${market.symbol}: price ${order.price} has more than ` +
        `${market.priceDecimals} decimals. Round the price to the market's precision.`,
      { price: order.price, priceDecimals: market.priceDecimals },
    );
  }
  if (!hasAtMostDecimals(order.amount, market.amountDecimals)) {
    return skip(
      "AMOUNT_PRECISION",
      `Rejected ${order.side} on ${market.symbol}: amount ${order.amount} has more than ` +
        `${market.amountDecimals} decimals. Truncate the amount to the market's precision.`,
      { amount: order.amount, amountDecimals: market.amountDecimals },
    );
  }
  return null;
}

/** Checks cost before amount, as Kraken does: a 0.40 EUR order fails on cost. */
function checkMinimums(order: OrderRequest, market: MarketInfo): OrderCheck | null {
  if (isBelowMinimum(order.cost, market.minCost)) {
    return skip(
      "BELOW_MIN_COST",
      `Skipped ${order.side} on ${market.symbol}: cost ${order.cost} ${market.quote} is below ` +
        `the minimum cost ${market.minCost} ${market.quote}.`,
      { cost: order.cost, minCost: market.minCost, amount: order.amount, price: order.price },
    );
  }
  if (isBelowMinimum(order.amount, market.minAmount)) {
    return skip(
      "BELOW_MIN_AMOUNT",
      `Skipped ${order.side} on ${market.symbol}: amount ${order.amount} ${market.base} is ` +
        `below the minimum order amount ${market.minAmount} ${market.base}.`,
      { amount: order.amount, minAmount: market.minAmount, cost: order.cost },
    );
  }
  return null;
}

function checkFunds(order: OrderRequest, market: MarketInfo, balances: Balances) {
  if (order.side === "buy") {
    const free = freeBalance(balances, market.quote);
    const required = order.cost + order.fee;
    if (required > free) {
      return skip(
        "INSUFFICIENT_FUNDS",
        `Skipped buy on ${market.symbol}: cost ${order.cost} plus fee ${order.fee} is ` +
          `${required} ${market.quote}, more than the free ${free} ${market.quote}.`,
        { asset: market.quote, required, free, cost: order.cost, fee: order.fee },
      );
    }
    return null;
  }
  const free = freeBalance(balances, market.base);
  if (order.amount > free) {
    return skip(
      "INSUFFICIENT_FUNDS",
      `Skipped sell on ${market.symbol}: amount ${order.amount} ${market.base} is more than ` +
        `the free ${free} ${market.base}.`,
      { asset: market.base, required: order.amount, free },
    );
  }
  return null;
}

/**
 * Validates an order against the market's precision and minimums and the
 * free balances, in this order: finite numbers, zero amount, price and
 * amount precision, minimum cost, minimum amount, funds. A buy needs
 * cost + fee of free quote currency, a sell needs `amount` of free base
 * currency. `balances` must hold only free funds: funds reserved by an open
 * order are not free. Returns the first failure, or `{ ok: true }`.
 */
export function validateOrder(
  order: OrderRequest,
  market: MarketInfo,
  balances: Balances,
): OrderCheck {
  return checkNumbers(order, market) ??
    checkPrecision(order, market) ??
    checkMinimums(order, market) ??
    checkFunds(order, market, balances) ??
    { ok: true };
}
