/**
 * Reads Kraken's order objects, as `QueryOrders`, `OpenOrders` and
 * `ClosedOrders` send them under each txid, into `ExchangeOrder`. Amounts
 * arrive as decimal text (`"vol_exec": "0.00400000"`), the fee as a number
 * in text in the quote currency, and `price` is the average fill price,
 * `"0.00000"` before the first fill.
 *
 * @module
 */
import { ExchangeFailure } from "../exchange/errors.ts";
import type { ExchangeOrder, ExchangeOrderStatus } from "./private-exchange.ts";

const STATUSES: readonly ExchangeOrderStatus[] = [
  "pending",
  "open",
  "closed",
  "canceled",
  "expired",
];

/**
 * Reads one order object. Throws `ExchangeFailure` (`invalid_response`) for
 * an object that lacks a field the bot relies on, naming the call and field.
 */
export function parseKrakenOrder(call: string, txid: string, raw: unknown): ExchangeOrder {
  const info = objectOf(call, txid, raw);
  const descr = objectOf(call, `${txid}.descr`, info.descr);
  const status = STATUSES.find((value) => value === info.status);
  if (status === undefined) throw invalid(call, `${txid}.status`, info.status);
  const side = descr.type;
  if (side !== "buy" && side !== "sell") throw invalid(call, `${txid}.descr.type`, side);
  const volumeExecuted = amount(call, `${txid}.vol_exec`, info.vol_exec);
  const price = amount(call, `${txid}.price`, info.price ?? "0");
  return {
    txid,
    status,
    side,
    volume: amount(call, `${txid}.vol`, info.vol),
    volumeExecuted,
    cost: amount(call, `${txid}.cost`, info.cost),
    fee: amount(call, `${txid}.fee`, info.fee),
    averagePrice: volumeExecuted > 0 && price > 0 ? price : null,
    userref: typeof info.userref === "number" ? info.userref : null,
    clientOrderId: typeof info.cl_ord_id === "string" ? info.cl_ord_id : null,
    reason: typeof info.reason === "string" ? info.reason : null,
  };
}

/** Returns the pair an order object names in `descr.pair`, e.g. `XBTUSD`; null when absent. */
export function orderPair(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null) return null;
  const descr = (raw as Record<string, unknown>).descr;
  if (typeof descr !== "object" || descr === null) return null;
  const pair = (descr as Record<string, unknown>).pair;
  return typeof pair === "string" ? pair : null;
}

function objectOf(call: string, field: string, value: unknown): Record<string, unknown> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw invalid(call, field, value);
}

function amount(call: string, field: string, value: unknown): number {
  const number = typeof value === "string" && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof number === "number" && Number.isFinite(number) && number >= 0) return number;
  throw invalid(call, field, value);
}

function invalid(call: string, field: string, value: unknown): ExchangeFailure {
  const shown = JSON.stringify(value)?.slice(0, 80) ?? String(value);
  return new ExchangeFailure(
    "invalid_response",
    call,
    `expected ${field} in the order reply, got ${shown}`,
  );
}
