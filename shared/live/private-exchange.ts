/**
 * The exchange's private API as LIVE trading uses it, in the bot's units. `kraken-private.ts` implements it on ccxt's raw Kraken calls. Every
 * method takes the call guard's abort signal and may throw
 * `ExchangeFailure`; none retries by itself.
 *
 * @module
 */
import type { AccountBalances } from "../cycle/venue.ts";
import type { Side } from "../journal/journal.ts";

/** The reference that finds a LIVE order again on the exchange. */
export interface OrderReference {
  /** Unified symbol, e.g. `BTC/USD`. */
  market: string;
  userref: number;
  /** The UUID sent as `cl_ord_id`. */
  clientOrderId: string;
}

/** Order states as Kraken reports them. */
export type ExchangeOrderStatus = "pending" | "open" | "closed" | "canceled" | "expired";

/** An order as the exchange reports it, amounts in numbers. */
export interface ExchangeOrder {
  /** Kraken's order id (txid), e.g. `OUF4EM-FRGI2-MQMWZD`. */
  txid: string;
  status: ExchangeOrderStatus;
  side: Side;
  /** Base amount ordered. */
  volume: number;
  /** Base amount filled so far (`vol_exec`). */
  volumeExecuted: number;
  /** Quote amount of the fills, before the fee. */
  cost: number;
  /** Fee of the fills, in the quote currency (the bot never sends `fcib`). */
  fee: number;
  /** Average fill price; null before the first fill. */
  averagePrice: number | null;
  userref: number | null;
  clientOrderId: string | null;
  /** Why the exchange closed or cancelled it, when the reply gives a reason. */
  reason: string | null;
}

/** A market order to place with its reference. */
export interface PlaceOrder {
  reference: OrderReference;
  side: Side;
  /** Base amount, already truncated to the market's amount decimals. */
  amount: number;
  amountDecimals: number;
}

export interface PrivateExchange {
  /** Free and total balances by unified code, for the assets of `market`. */
  fetchBalances(market: string, signal: AbortSignal): Promise<AccountBalances>;
  /** Places a market order and returns its txid. Never retries. */
  placeOrder(order: PlaceOrder, signal: AbortSignal): Promise<string>;
  /** Returns the order with this txid, or null when the exchange does not know it. */
  queryOrder(txid: string, signal: AbortSignal): Promise<ExchangeOrder | null>;
  /** Open orders of `reference.market` carrying `reference.userref`. */
  openOrders(reference: OrderReference, signal: AbortSignal): Promise<ExchangeOrder[]>;
  /**
   * Closed, cancelled and expired orders of `reference.market` carrying
   * `reference.userref`, opened after `sinceMs`.
   */
  closedOrders(
    reference: OrderReference,
    sinceMs: number,
    signal: AbortSignal,
  ): Promise<ExchangeOrder[]>;
  /** Cancels every open order of the account and returns how many. */
  cancelAll(signal: AbortSignal): Promise<number>;
}

/**
 * Returns the order of `orders` that `reference` names: the same userref and
 * the same `cl_ord_id`. An order the exchange reports without a `cl_ord_id`
 * matches on userref alone when it is the only such order. Callers pass
 * orders of the reference's market only.
 */
export function findReferenced(
  orders: readonly ExchangeOrder[],
  reference: OrderReference,
): ExchangeOrder | undefined {
  const sameUserref = orders.filter((order) => order.userref === reference.userref);
  const exact = sameUserref.find((order) => order.clientOrderId === reference.clientOrderId);
  if (exact !== undefined) return exact;
  const bare = sameUserref.filter((order) => order.clientOrderId === null);
  return bare.length === 1 ? bare[0] : undefined;
}
