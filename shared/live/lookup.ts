/**
 * Looks a LIVE order up on the exchange by what the database stores of it:
 * its txid when it has one (`QueryOrders`), else its reference in the open
 * orders and then the closed ones (`OpenOrders`, `ClosedOrders` filtered by
 * userref, matched on the pair and `cl_ord_id`). Every call goes through the
 * cycle's call guard, which retries what the error map allows.
 *
 * @module
 */
import type { VenueContext } from "../cycle/venue.ts";
import type { ExchangeFailure } from "../exchange/errors.ts";
import {
  type ExchangeOrder,
  findReferenced,
  type OrderReference,
  type PrivateExchange,
} from "./private-exchange.ts";

/** Result of a lookup: the order, no such order on the exchange, or a failed call. */
export type Lookup =
  | { kind: "found"; order: ExchangeOrder }
  | { kind: "absent" }
  | { kind: "failed"; failure: ExchangeFailure; latencyMs: number; attempts: number };

export interface LookupTarget {
  reference: OrderReference;
  /** The txid the database holds, or null when the order was never acknowledged. */
  txid: string | null;
  /** When the order was written, in ms: closed orders opened before it are not read. */
  sinceMs: number;
}

/**
 * Looks the order up. `absent` means every lookup replied and none listed
 * it. `failed` means a lookup failed, so nothing was learned.
 */
export async function lookUpOrder(
  context: VenueContext,
  exchange: PrivateExchange,
  target: LookupTarget,
): Promise<Lookup> {
  const { guard } = context;
  const { reference, txid, sinceMs } = target;
  if (txid !== null) {
    const queried = await guard.attempt("QueryOrders", (signal) =>
      exchange.queryOrder(txid, signal)
    );
    if (!queried.ok) return failed(queried);
    if (queried.value !== null) return { kind: "found", order: queried.value };
  }
  const open = await guard.attempt("OpenOrders", (signal) => exchange.openOrders(reference, signal));
  if (!open.ok) return failed(open);
  const inOpen = findReferenced(open.value, reference);
  if (inOpen !== undefined) return { kind: "found", order: inOpen };

  const closed = await guard.attempt("ClosedOrders", (signal) =>
    exchange.closedOrders(reference, sinceMs, signal)
  );
  if (!closed.ok) return failed(closed);
  const inClosed = findReferenced(closed.value, reference);
  return inClosed === undefined ? { kind: "absent" } : { kind: "found", order: inClosed };
}

function failed(outcome: { failure: ExchangeFailure; latencyMs: number; attempts: number }) {
  const { failure, latencyMs, attempts } = outcome;
  return { kind: "failed", failure, latencyMs, attempts } as const;
}
