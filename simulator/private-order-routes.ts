/**
 * Kraken's private order endpoints: `AddOrder`, `QueryOrders`,
 * `OpenOrders`, `ClosedOrders`, `CancelOrder`, `CancelAll` and
 * `CancelAllOrdersAfter`, served from the simulated order book.
 *
 * @module
 */

import { PARTIAL_FILL_REASON } from "./faults.ts";
import { parseAddOrder } from "./private-add-order.ts";
import { describeOrder, krakenOrderInfo } from "./private-order-shape.ts";
import { type PartialFill, type SimOrder, USER_REQUESTED } from "./private-orders.ts";
import { readClientOrderId, readFlag, readUserref } from "./private-params.ts";
import {
  INVALID_ARGUMENTS,
  krakenError,
  krakenResult,
  type SimReply,
  type SimRequest,
  type SimulatorState,
} from "./routes.ts";

/**
 * Kraken's reply to a txid it has no order for in `QueryOrders`.
 * NOTE: taken from Kraken's error list ("order is invalid"), but no recording
 * of this reply was found.
 */
export const INVALID_ORDER = "EOrder:Invalid order";
/** Kraken's reply to cancelling an order that is not open, or not there. */
export const UNKNOWN_ORDER = "EOrder:Unknown order";

/** Most txids one `QueryOrders` call takes, as Kraken documents. */
const MAX_QUERY_IDS = 50;
/** Orders per `ClosedOrders` page, as Kraken documents. */
const CLOSED_PAGE_SIZE = 50;
/** Longest `CancelAllOrdersAfter` timeout Kraken accepts, in seconds. */
const MAX_CANCEL_AFTER_S = 86_400;

/**
 * Places an order, or validates it only with `validate=true`. Replies
 * `{ descr: { order: "buy 0.01000000 XBTUSD @ market" }, txid: [...] }`,
 * without `txid` for a validation. A `partial_fill` fault on the request
 * limits how much of the order fills.
 */
export function addOrderReply(
  state: SimulatorState,
  params: URLSearchParams,
  request: SimRequest,
): SimReply {
  const nowMs = state.clock.now();
  const command = parseAddOrder(state, params, nowMs);
  if (typeof command === "string") return krakenError([command]);

  const descr = { order: describeOrder(command.request) };
  if (command.validate) return krakenResult({ descr });
  const order = state.account.orders.place(command.request, nowMs, partialFillOf(request));
  return krakenResult({ descr, txid: [order.txid] });
}

function partialFillOf(request: SimRequest): PartialFill | undefined {
  const fault = request.faults.partialFill;
  if (fault === undefined) return undefined;
  return {
    fraction: fault.fraction,
    remainder: fault.remainder ?? "cancel",
    reason: fault.reason ?? PARTIAL_FILL_REASON,
  };
}

/** Replies to `QueryOrders`: orders by comma-separated `txid`, filtered by `userref`. */
export function queryOrdersReply(state: SimulatorState, params: URLSearchParams): SimReply {
  const ids = (params.get("txid") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (ids.length === 0 || ids.length > MAX_QUERY_IDS) return krakenError([INVALID_ARGUMENTS]);
  const userref = readUserref(params);
  if (!userref.ok) return krakenError([`${INVALID_ARGUMENTS}:userref`]);

  const withTrades = readFlag(params, "trades");
  const result: Record<string, unknown> = {};
  for (const id of ids) {
    const order = state.account.orders.find(id);
    if (order === undefined) return krakenError([INVALID_ORDER]);
    if (userref.value !== undefined && order.userref !== userref.value) continue;
    result[id] = krakenOrderInfo(order, "query", withTrades);
  }
  return krakenResult(result);
}

/** Replies to `OpenOrders`, newest first, filtered by `userref` and `cl_ord_id`. */
export function openOrdersReply(state: SimulatorState, params: URLSearchParams): SimReply {
  const select = referenceFilter(params);
  if (typeof select === "string") return krakenError([select]);

  const withTrades = readFlag(params, "trades");
  const open: Record<string, unknown> = {};
  for (const order of state.account.orders.open().filter(select)) {
    open[order.txid] = krakenOrderInfo(order, "open", withTrades);
  }
  return krakenResult({ open });
}

type TimeField = "open" | "close" | "both";

/**
 * Replies to `ClosedOrders`: closed, cancelled and expired orders, newest
 * first, 50 a page from offset `ofs`, with `count` of all that match.
 * `start` (exclusive) and `end` (inclusive) are unix seconds or a txid, and
 * `closetime` picks the time they compare with: open, close or both.
 */
export function closedOrdersReply(state: SimulatorState, params: URLSearchParams): SimReply {
  const select = referenceFilter(params);
  if (typeof select === "string") return krakenError([select]);
  const field = (params.get("closetime") || "both") as TimeField;
  if (!["open", "close", "both"].includes(field)) {
    return krakenError([`${INVALID_ARGUMENTS}:closetime`]);
  }
  const start = boundMs(state, params.get("start"), field);
  const end = boundMs(state, params.get("end"), field);
  const offset = Number(params.get("ofs") ?? "0");
  if (start === null || end === null || !Number.isInteger(offset) || offset < 0) {
    return krakenError([INVALID_ARGUMENTS]);
  }

  const inWindow = (ms: number | undefined) =>
    ms !== undefined && (start === undefined || ms > start) && (end === undefined || ms <= end);
  const matching = state.account.orders
    .all()
    .filter((order) => order.status !== "open" && order.status !== "pending" && select(order))
    .filter((order) => timesOf(order, field).some(inWindow))
    .reverse()
    .sort((a, b) => sortTime(b, field) - sortTime(a, field));

  const withTrades = readFlag(params, "trades");
  const closed: Record<string, unknown> = {};
  for (const order of matching.slice(offset, offset + CLOSED_PAGE_SIZE)) {
    closed[order.txid] = krakenOrderInfo(order, "closed", withTrades);
  }
  return krakenResult({ closed, count: matching.length });
}

function timesOf(order: SimOrder, field: TimeField): Array<number | undefined> {
  if (field === "open") return [order.openMs];
  if (field === "close") return [order.closeMs];
  return [order.openMs, order.closeMs];
}

function sortTime(order: SimOrder, field: TimeField): number {
  return field === "open" ? order.openMs : (order.closeMs ?? order.openMs);
}

/**
 * Reads a `start` or `end` bound in ms: unix seconds, or the time of the
 * order with that txid. Undefined when absent, null when invalid.
 */
function boundMs(
  state: SimulatorState,
  text: string | null,
  field: TimeField,
): number | undefined | null {
  if (text === null || text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const order = state.account.orders.find(text);
  if (order === undefined) return null;
  return field === "open" ? order.openMs : (order.closeMs ?? order.openMs);
}

/** Builds the `userref` and `cl_ord_id` filter of a listing, or a Kraken error text. */
function referenceFilter(params: URLSearchParams): ((order: SimOrder) => boolean) | string {
  const userref = readUserref(params);
  if (!userref.ok) return `${INVALID_ARGUMENTS}:userref`;
  const clOrdId = readClientOrderId(params);
  if (!clOrdId.ok) return `${INVALID_ARGUMENTS}:cl_ord_id`;
  return (order) =>
    (userref.value === undefined || order.userref === userref.value) &&
    (clOrdId.value === undefined || order.clOrdId === clOrdId.value);
}

/**
 * Replies to `CancelOrder` with `{ count }`. `txid` is an order id, or a
 * `userref` that cancels every open order carrying it. `cl_ord_id` cancels
 * by client order id instead.
 */
export function cancelOrderReply(state: SimulatorState, params: URLSearchParams): SimReply {
  const clOrdId = params.get("cl_ord_id");
  const txid = params.get("txid");
  let select: (order: SimOrder) => boolean;
  if (clOrdId !== null && clOrdId !== "") select = (order) => order.clOrdId === clOrdId;
  else if (txid !== null && /^-?\d+$/.test(txid)) {
    select = (order) => order.userref === Number(txid);
  } else if (txid !== null && txid !== "") select = (order) => order.txid === txid;
  else return krakenError([INVALID_ARGUMENTS]);

  const count = state.account.orders.cancelWhere(select, state.clock.now(), USER_REQUESTED);
  return count === 0 ? krakenError([UNKNOWN_ORDER]) : krakenResult({ count });
}

/** Replies to `CancelAll` with `{ count }` of the orders cancelled. */
export function cancelAllReply(state: SimulatorState): SimReply {
  const count = state.account.orders.cancelWhere(() => true, state.clock.now(), USER_REQUESTED);
  return krakenResult({ count });
}

/**
 * Replies to `CancelAllOrdersAfter`: arms the dead man's switch for
 * `timeout` seconds of simulated time, or disarms it for 0. Replies
 * `{ currentTime, triggerTime }` as ISO times to the second.
 *
 * NOTE: a disarmed switch reports `triggerTime` "0", a reply shape not seen
 * in a recording.
 */
export function cancelAllAfterReply(state: SimulatorState, params: URLSearchParams): SimReply {
  const text = params.get("timeout") ?? "";
  const timeoutS = Number(text);
  if (!/^\d+$/.test(text) || timeoutS > MAX_CANCEL_AFTER_S) {
    return krakenError([`${INVALID_ARGUMENTS}:timeout`]);
  }
  const nowMs = state.clock.now();
  const triggerMs = state.account.orders.cancelAllAfter(timeoutS, nowMs);
  return krakenResult({
    currentTime: isoSeconds(nowMs),
    triggerTime: triggerMs === undefined ? "0" : isoSeconds(triggerMs),
  });
}

/** Formats as Kraken does here: `2023-03-24T17:41:56Z`, without milliseconds. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
