/**
 * Parsing and validation of Kraken's `AddOrder` parameters, with Kraken's
 * error texts: `EGeneral:Invalid arguments:<field>` for a malformed field,
 * `EOrder:Order minimum not met` and `EOrder:Cost minimum not met` below the
 * pair's `ordermin` and `costmin`, `EOrder:Insufficient funds` when free
 * funds do not cover the order and its fee.
 *
 * @module
 */

import {
  decimalPlaces,
  type Fixed,
  fixedFromNumber,
  multiplyFixed,
  parseFixed,
} from "./fixed-point.ts";
import { findPair } from "./markets.ts";
import type { OrderBook, OrderRequest, OrderSide, OrderType } from "./private-orders.ts";
import { readClientOrderId, readFlag, readUserref } from "./private-params.ts";
import {
  INVALID_ARGUMENTS,
  SERVICE_UNAVAILABLE,
  type SimulatorState,
  UNKNOWN_PAIR,
} from "./routes.ts";

export const ORDER_MINIMUM_NOT_MET = "EOrder:Order minimum not met";
export const COST_MINIMUM_NOT_MET = "EOrder:Cost minimum not met";
export const INSUFFICIENT_FUNDS = "EOrder:Insufficient funds";
/**
 * Sent for a `cl_ord_id` that an open order already carries, because Kraken
 * enforces uniqueness among open orders (closed orders may share one).
 * NOTE: the error text is a guess. Kraken's documentation names the rule, not the text.
 */
export const DUPLICATE_CLIENT_ORDER_ID = "EOrder:Duplicate cl_ord_id";

/** Order flags Kraken accepts on a spot order. */
const KNOWN_FLAGS = new Set(["fcib", "fciq", "post", "nompp", "viqc"]);

/** A parsed `AddOrder`: the order, and whether `validate` asked for a dry run. */
export interface AddOrderCommand {
  request: OrderRequest;
  validate: boolean;
}

/**
 * Parses and validates `AddOrder` at `nowMs`. Returns the command or a Kraken error text.
 *
 * NOTE: `starttm`, `expiretm`, `timeinforce`, `leverage` and `close` are accepted
 * and ignored, so every order is good till cancelled and never expires.
 */
export function parseAddOrder(
  state: SimulatorState,
  params: URLSearchParams,
  nowMs: number,
): AddOrderCommand | string {
  const request = parseRequest(state, params);
  if (typeof request === "string") return request;

  const problem = checkOrder(state.account.orders, request, nowMs);
  if (problem !== undefined) return problem;
  return { request, validate: readFlag(params, "validate") };
}

/** Reads the fields of an order, or returns a Kraken error text for the first invalid one. */
function parseRequest(state: SimulatorState, params: URLSearchParams): OrderRequest | string {
  const pairName = params.get("pair");
  if (pairName === null || pairName === "") return INVALID_ARGUMENTS;
  const found = findPair(pairName, state.pairs);
  if (found === undefined) return UNKNOWN_PAIR;
  const { id: pairId, pair } = found;

  const side = params.get("type");
  if (side !== "buy" && side !== "sell") return `${INVALID_ARGUMENTS}:type`;
  // NOTE: stop-loss, take-profit, trailing-stop and their -limit forms are not simulated.
  const type = params.get("ordertype");
  if (type !== "market" && type !== "limit") return `${INVALID_ARGUMENTS}:ordertype`;

  const volume = readAmount(params.get("volume"), pair.lot_decimals);
  if (volume === undefined) return `${INVALID_ARGUMENTS}:volume`;
  const price = type === "limit" ? readAmount(params.get("price"), pair.pair_decimals) : undefined;
  if (type === "limit" && price === undefined) return `${INVALID_ARGUMENTS}:price`;

  const oflags = readFlags(params.get("oflags"), type);
  if (typeof oflags === "string") return oflags;
  const userref = readUserref(params);
  if (!userref.ok) return `${INVALID_ARGUMENTS}:userref`;
  const clOrdId = readClientOrderId(params);
  if (!clOrdId.ok) return `${INVALID_ARGUMENTS}:cl_ord_id`;

  const request: OrderRequest = { pairId, pair, side, type, volume, oflags };
  if (price !== undefined) request.limitPrice = price;
  if (userref.value !== undefined) request.userref = userref.value;
  if (clOrdId.value !== undefined) request.clOrdId = clOrdId.value;
  return request;
}

/** Reads a positive amount with at most `maxDecimals` decimals. */
function readAmount(text: string | null, maxDecimals: number): Fixed | undefined {
  if (text === null) return undefined;
  const amount = parseFixed(text);
  if (amount === undefined || amount <= 0n || decimalPlaces(text) > maxDecimals) return undefined;
  return amount;
}

/**
 * Reads `oflags`, adding `fciq` when no fee currency was chosen, as Kraken
 * reports it. `viqc` (volume in the quote currency) is rejected because the
 * simulator does not model it. `post` is for limit orders only.
 */
function readFlags(text: string | null, type: OrderType): string[] | string {
  const flags = text === null || text === "" ? [] : text.split(",").map((flag) => flag.trim());
  for (const flag of flags) {
    if (!KNOWN_FLAGS.has(flag)) return `${INVALID_ARGUMENTS}:oflags`;
  }
  if (flags.includes("viqc")) return `${INVALID_ARGUMENTS}:viqc`;
  if (flags.includes("post") && type === "market") return `${INVALID_ARGUMENTS}:oflags`;
  if (!flags.includes("fcib") && !flags.includes("fciq")) flags.push("fciq");
  return flags;
}

/** Checks minimums, market data, client order id and funds. Returns a Kraken error text. */
function checkOrder(orders: OrderBook, request: OrderRequest, nowMs: number): string | undefined {
  const { pair } = request;
  const ordermin = parseFixed(pair.ordermin) ?? 0n;
  if (request.volume < ordermin) return ORDER_MINIMUM_NOT_MET;

  const price = request.limitPrice ?? marketPrice(orders, request.side, request, nowMs);
  if (price === undefined) return SERVICE_UNAVAILABLE;
  const costmin = parseFixed(pair.costmin) ?? 0n;
  if (multiplyFixed(request.volume, price) < costmin) return COST_MINIMUM_NOT_MET;

  const clOrdId = request.clOrdId;
  if (clOrdId !== undefined && orders.open().some((order) => order.clOrdId === clOrdId)) {
    return DUPLICATE_CLIENT_ORDER_ID;
  }

  // Funds are checked at the taker fee, the higher of the two.
  const funds = orders.requiredFunds(request, request.volume, price, false);
  if (funds.amount > orders.free(funds.asset)) return INSUFFICIENT_FUNDS;
  return undefined;
}

/** Returns the price a market order fills at now: the ask for a buy, the bid for a sell. */
function marketPrice(
  orders: OrderBook,
  side: OrderSide,
  request: OrderRequest,
  nowMs: number,
): Fixed | undefined {
  const quote = orders.quote(request.pairId, request.pair, nowMs);
  if (quote === undefined) return undefined;
  return fixedFromNumber(side === "buy" ? quote.ask : quote.bid, 12);
}
