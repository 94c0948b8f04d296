/**
 * Orders in the shape of Kraken's `QueryOrders`, `OpenOrders` and
 * `ClosedOrders` replies, and in a plain shape for tests.
 *
 * Formats follow Kraken's recorded replies: times in float seconds, volumes
 * with the pair's lot decimals, cost and fee with its cost decimals, the
 * average price with its price decimals once filled (`"40000.0"`) and
 * `"0.00000"` before, `refid` null, `misc` empty.
 *
 * @module
 */

import {
  divideFixed,
  type Fixed,
  fixedToNumber,
  formatFixed,
  multiplyFixed,
} from "./fixed-point.ts";
import { executedVolume, feeInBase, type OrderRequest, type SimOrder } from "./private-orders.ts";

/** Endpoint that shows an order, which decides the optional fields. */
export type OrderView = "open" | "closed" | "query";

/**
 * Returns `descr.order`, such as `buy 0.01000000 XBTUSD @ market` or
 * `sell 0.01000000 XBTEUR @ limit 11342.4`.
 */
export function describeOrder(order: OrderRequest): string {
  const volume = formatFixed(order.volume, order.pair.lot_decimals);
  const base = `${order.side} ${volume} ${order.pair.altname} @ `;
  if (order.type === "market" || order.limitPrice === undefined) return `${base}market`;
  return `${base}limit ${formatFixed(order.limitPrice, order.pair.pair_decimals)}`;
}

/**
 * Builds the order object Kraken sends under the order's txid. `reason` and
 * `closetm` appear for closed and cancelled orders, `reason` as null for an
 * open order in `QueryOrders`, and `trades` when requested and not empty.
 */
export function krakenOrderInfo(
  order: SimOrder,
  view: OrderView,
  withTrades: boolean,
): Record<string, unknown> {
  const { pair } = order;
  const closed = order.status !== "open" && order.status !== "pending";
  const zero = formatFixed(0n, pair.cost_decimals);
  const volumeExecuted = executedVolume(order);
  const feeDecimals = feeInBase(order) ? pair.lot_decimals : pair.cost_decimals;
  const info: Record<string, unknown> = { refid: null, userref: userrefOf(order) };
  if (order.clOrdId !== undefined) info.cl_ord_id = order.clOrdId;
  info.status = order.status;
  if (closed) info.reason = order.reason;
  else if (view === "query") info.reason = null;
  info.opentm = seconds(order.openMs);
  if (closed && order.closeMs !== undefined) info.closetm = seconds(order.closeMs);
  Object.assign(info, {
    starttm: 0,
    expiretm: 0,
    descr: descriptionOf(order),
    vol: formatFixed(order.volume, pair.lot_decimals),
    vol_exec: formatFixed(volumeExecuted, pair.lot_decimals),
    cost: formatFixed(totalCost(order), pair.cost_decimals),
    fee: formatFixed(totalFee(order), feeDecimals),
    price: volumeExecuted === 0n ? zero : formatFixed(averagePrice(order), pair.pair_decimals),
    stopprice: zero,
    limitprice: zero,
    misc: "",
    oflags: order.oflags.join(","),
  });
  if (withTrades && order.fills.length > 0) info.trades = order.fills.map((fill) => fill.tradeId);
  return info;
}

function descriptionOf(order: SimOrder): Record<string, string> {
  const { pair, limitPrice } = order;
  return {
    pair: pair.altname,
    type: order.side,
    ordertype: order.type,
    price: limitPrice === undefined ? "0" : formatFixed(limitPrice, pair.pair_decimals),
    price2: "0",
    leverage: "none",
    order: describeOrder(order),
    close: "",
  };
}

/**
 * Kraken sends `userref` 0 for an order placed without one, and null for
 * one placed with a `cl_ord_id` only (as in ccxt's 2024 recordings).
 */
function userrefOf(order: SimOrder): number | null {
  if (order.userref !== undefined) return order.userref;
  return order.clOrdId === undefined ? 0 : null;
}

/** Converts ms to Kraken's float seconds. */
function seconds(ms: number): number {
  return ms / 1000;
}

function totalCost(order: SimOrder): Fixed {
  return order.fills.reduce((sum, fill) => sum + fill.cost, 0n);
}

function totalFee(order: SimOrder): Fixed {
  return order.fills.reduce((sum, fill) => sum + fill.fee, 0n);
}

/** Returns the volume-weighted fill price, or 0 before the first fill. */
function averagePrice(order: SimOrder): Fixed {
  const volume = executedVolume(order);
  if (volume === 0n) return 0n;
  const notional = order.fills.reduce(
    (sum, fill) => sum + multiplyFixed(fill.price, fill.volume),
    0n,
  );
  return divideFixed(notional, volume);
}

/** One trade of an order, in plain numbers. */
export interface FillSnapshot {
  tradeId: string;
  /** Simulated time in ms since the epoch. */
  time: number;
  price: number;
  volume: number;
  cost: number;
  fee: number;
  maker: boolean;
}

/** An order as tests inspect it: plain numbers, times in ms. */
export interface OrderSnapshot {
  txid: string;
  /** Kraken pair id, such as `XXBTZUSD`. */
  pair: string;
  side: SimOrder["side"];
  type: SimOrder["type"];
  status: SimOrder["status"];
  volume: number;
  volumeExecuted: number;
  limitPrice?: number;
  userref?: number;
  clOrdId?: string;
  oflags: string[];
  openTime: number;
  closeTime?: number;
  reason: string | null;
  /** Sum of fill costs, in the quote currency. */
  cost: number;
  /** Sum of fees, in the quote currency, or the base currency with `fcib`. */
  fee: number;
  /** Volume-weighted fill price, undefined before the first fill. */
  averagePrice?: number;
  fills: FillSnapshot[];
}

/** Converts an order for `Simulator.orders()`. */
export function snapshotOrder(order: SimOrder): OrderSnapshot {
  const volumeExecuted = executedVolume(order);
  const snapshot: OrderSnapshot = {
    txid: order.txid,
    pair: order.pairId,
    side: order.side,
    type: order.type,
    status: order.status,
    volume: fixedToNumber(order.volume),
    volumeExecuted: fixedToNumber(volumeExecuted),
    oflags: [...order.oflags],
    openTime: order.openMs,
    reason: order.reason,
    cost: fixedToNumber(totalCost(order)),
    fee: fixedToNumber(totalFee(order)),
    fills: order.fills.map((fill) => ({
      tradeId: fill.tradeId,
      time: fill.timeMs,
      price: fixedToNumber(fill.price),
      volume: fixedToNumber(fill.volume),
      cost: fixedToNumber(fill.cost),
      fee: fixedToNumber(fill.fee),
      maker: fill.maker,
    })),
  };
  if (order.limitPrice !== undefined) snapshot.limitPrice = fixedToNumber(order.limitPrice);
  if (order.userref !== undefined) snapshot.userref = order.userref;
  if (order.clOrdId !== undefined) snapshot.clOrdId = order.clOrdId;
  if (order.closeMs !== undefined) snapshot.closeTime = order.closeMs;
  if (volumeExecuted > 0n) snapshot.averagePrice = fixedToNumber(averagePrice(order));
  return snapshot;
}
