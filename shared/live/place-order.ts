/**
 * Write-ahead placement of a LIVE market order:
 *
 * 1. The order is written as `intent`, with its userref and `cl_ord_id`,
 *    and committed.
 * 2. It is marked `sent`, then `AddOrder` is called once.
 * 3. The txid is recorded (`open`), then `QueryOrders` reports the fill.
 *
 * `AddOrder` is never retried blindly. After a failure that may have reached
 * the exchange (no reply, an outage page, an unreadable reply) the order is
 * looked up by its reference. Found, it is recorded once. Not found, it
 * becomes `unknown` and the cycle aborts `ORDER_UNKNOWN` without resending,
 * so the next cycle reconciles it first. Only a failure the exchange gave
 * before taking the order (an invalid nonce, a rate limit) is retried. It is
 * retried once, and only after a lookup finds no such order.
 *
 * @module
 */
import type { AccountBalances, ExecutionResult, VenueContext } from "../cycle/venue.ts";
import { CycleAbort } from "../cycle/reasons.ts";
import { CONSEQUENCES, type ExchangeFailure } from "../exchange/errors.ts";
import type { MarketInfo } from "../market/types.ts";
import type { OrderRequest } from "../risk/order-rules.ts";
import type { LiveDeps } from "./live-deps.ts";
import { lookUpOrder } from "./lookup.ts";
import { clientOrderUuid, userrefForSlot } from "./order-reference.ts";
import { balancesAfterFill, fillOf, reportOf } from "./order-report.ts";
import type { ExchangeOrder, OrderReference, PlaceOrder } from "./private-exchange.ts";

/** A placed order: its txid, and the exchange's report when one was read. */
type Placed = { txid: string; order: ExchangeOrder | null };

/** Places `order` and returns what the exchange reports; see the module comment. */
export async function placeLiveOrder(
  context: VenueContext,
  live: LiveDeps,
  order: OrderRequest,
  market: MarketInfo,
  balances: AccountBalances,
): Promise<ExecutionResult> {
  checkTimeLeft(context);
  const { orderId, reference } = await writeIntent(context, live, order, market);
  const sentAt = context.deps.clock.now();
  await live.store.markSent(orderId, sentAt);

  const place = {
    reference,
    side: order.side,
    amount: order.amount,
    amountDecimals: market.amountDecimals,
  };
  const placed = await send(context, live, { orderId, place, sentAt });
  return await recordPlaced(context, live, { orderId, place, market, balances, placed });
}

/** Derives the order's reference and commits the order as `intent`. */
async function writeIntent(
  context: VenueContext,
  live: LiveDeps,
  order: OrderRequest,
  market: MarketInfo,
): Promise<{ orderId: number; reference: OrderReference }> {
  const { deps, state, log } = context;
  const reference: OrderReference = {
    market: state.market,
    userref: userrefForSlot(state.slot),
    clientOrderId: await clientOrderUuid(state.cycleId, state.attempt),
  };
  const orderId = await live.store.writeIntent({
    cycleId: state.cycleId,
    market: state.market,
    base: market.base,
    quote: market.quote,
    side: order.side,
    clientOrderId: reference.clientOrderId,
    userref: reference.userref,
    amount: order.amount,
    price: order.price,
    at: deps.clock.now(),
  });
  log.info("ORDER INTENT", {
    order_id: orderId,
    side: order.side,
    amount: order.amount,
    userref: reference.userref,
    client_order_id: reference.clientOrderId,
  });
  return { orderId, reference };
}

/**
 * Aborts DEADLINE_EXCEEDED with less than one exchange timeout left. A LIVE
 * order needs up to two calls (AddOrder and a lookup), so it is not started.
 */
function checkTimeLeft({ deps, guard }: VenueContext): void {
  const remaining = guard.remainingMs();
  const needed = deps.config.cycle.exchangeTimeoutMs;
  if (remaining >= needed) return;
  throw new CycleAbort(
    "DEADLINE_EXCEEDED",
    `The cycle has ${Math.round(remaining)} ms of its deadline left, less than the ` +
      `${needed} ms an order needs; no order was written or sent.`,
    { remaining_ms: Math.round(remaining), needed_ms: needed },
  );
}

interface Sending {
  orderId: number;
  place: PlaceOrder;
  sentAt: number;
}

/** Calls AddOrder, looking the order up after any failure; see the module comment. */
async function send(context: VenueContext, live: LiveDeps, sending: Sending): Promise<Placed> {
  const { guard, log } = context;
  const { place, orderId } = sending;
  for (let attempt = 0; ; attempt++) {
    const outcome = await guard.attempt(
      "AddOrder",
      (signal) => live.exchange.placeOrder(place, signal),
      { maxRetries: 0 },
    );
    if (outcome.ok) return { txid: outcome.value, order: null };

    const { failure } = outcome;
    const consequence = CONSEQUENCES[failure.kind];
    log.warning("ORDER FAILED", {
      order_id: orderId,
      kind: failure.kind,
      attempt: attempt + 1,
      message: log.scrubText(failure.message),
    });
    const retryable = !consequence.ambiguous && consequence.retries > 0;
    if (!consequence.ambiguous && !retryable) {
      await reject(context, live, sending, failure, outcome.latencyMs);
    }
    const target = { reference: place.reference, txid: null, sinceMs: sending.sentAt };
    const lookup = await lookUpOrder(context, live.exchange, target);
    if (lookup.kind === "found") return { txid: lookup.order.txid, order: lookup.order };
    if (lookup.kind === "failed" || consequence.ambiguous) {
      await markUnknown(context, live, sending, failure, lookup.kind);
    }
    if (attempt >= consequence.retries || !(await backOff(context, attempt))) {
      await reject(context, live, sending, failure, outcome.latencyMs);
    }
  }
}

/** Waits before the one resend when the deadline leaves room for it; false when it does not. */
async function backOff({ deps, guard }: VenueContext, attempt: number): Promise<boolean> {
  const backoff = deps.config.cycle.retryBackoffMs * 2 ** attempt;
  if (guard.remainingMs() < backoff + deps.config.cycle.exchangeTimeoutMs) return false;
  await deps.clock.sleep(backoff);
  return true;
}

/** Records a rejection the exchange gave before taking the order, and aborts with its reason. */
async function reject(
  context: VenueContext,
  live: LiveDeps,
  sending: Sending,
  failure: ExchangeFailure,
  latencyMs: number,
): Promise<never> {
  const { deps, guard, log } = context;
  const { orderId, place } = sending;
  const text = log.scrubText(failure.exchangeText);
  await live.store.markStatus(orderId, "rejected", text, deps.clock.now());
  setOutcome(context, "rejected", failure.kind, place.reference.clientOrderId);
  log.warning("ORDER REJECTED", { order_id: orderId, kind: failure.kind, text });
  throw guard.abortFor(failure, latencyMs, 1);
}

/** Records that the order's fate is unknown and aborts: nothing is resent in this cycle. */
async function markUnknown(
  context: VenueContext,
  live: LiveDeps,
  sending: Sending,
  failure: ExchangeFailure,
  lookup: "absent" | "failed",
): Promise<never> {
  const { deps, state, log } = context;
  const { orderId, place } = sending;
  const found = lookup === "absent" ? "no open or closed order carries its reference" :
    "the lookup failed too";
  const reason = `AddOrder failed (${failure.kind}) and ${found}; the next cycle reconciles it.`;
  await live.store.markStatus(orderId, "unknown", reason, deps.clock.now());
  setOutcome(context, "unknown", failure.kind, place.reference.clientOrderId);
  log.warning("ORDER UNKNOWN", { order_id: orderId, reason });
  throw new CycleAbort("ORDER_UNKNOWN", `Order ${orderId} of ${state.market}: ${reason}`, {
    order_id: orderId,
    call: failure.call,
    kind: failure.kind,
    lookup,
    exchange_text: log.scrubText(failure.exchangeText),
    http_status: failure.httpStatus,
    body_start: failure.bodyStart,
  });
}

interface PlacedRecord {
  orderId: number;
  place: PlaceOrder;
  market: MarketInfo;
  balances: AccountBalances;
  placed: Placed;
}

/**
 * Records the txid at once, so a crash afterwards still leaves it, then the
 * exchange's report of the fill. Without a report the order stays `open`
 * and the next cycle reconciles it.
 */
async function recordPlaced(
  context: VenueContext,
  live: LiveDeps,
  record: PlacedRecord,
): Promise<ExecutionResult> {
  const { deps, guard, log } = context;
  const { orderId, place, market, placed } = record;
  const acknowledged = acknowledgement(placed.txid, market, deps.clock.now());
  let recorded = await live.store.recordReport(orderId, acknowledged);
  log.info("ORDER SENT", { order_id: orderId, txid: placed.txid });

  let order = placed.order;
  if (order === null) {
    const queried = await guard.attempt("QueryOrders", (signal) =>
      live.exchange.queryOrder(placed.txid, signal)
    );
    if (queried.ok) order = queried.value;
    else log.warning("ORDER QUERY FAILED", { order_id: orderId, kind: queried.failure.kind });
  }
  const report = order === null ? acknowledged : reportOf(order, market, deps.clock.now());
  if (order !== null) recorded = await live.store.recordReport(orderId, report);
  const fill = fillOf(place.side, report);
  log.info("ORDER UPDATE", {
    order_id: orderId,
    status: report.status,
    filled: report.filledAmount,
    fee: report.fee,
    position: recorded.positionAmount,
    dust: recorded.dust,
  });
  return {
    kind: "executed",
    status: report.status,
    fill,
    clientOrderId: place.reference.clientOrderId,
    balancesAfter: balancesAfterFill(record.balances, market, fill),
  };
}

/** Builds the report of an order the exchange acknowledged with a txid and nothing more. */
function acknowledgement(txid: string, market: MarketInfo, at: number) {
  return {
    status: "open" as const,
    exchangeOrderId: txid,
    filledAmount: 0,
    cost: 0,
    fee: 0,
    averagePrice: null,
    exchangeStatus: "acknowledged",
    reason: null,
    minAmount: market.minAmount,
    at,
  };
}

function setOutcome(
  context: VenueContext,
  status: "rejected" | "unknown",
  reason: string,
  clientOrderId: string,
): void {
  const verdict = context.state.verdict;
  if (verdict === null) return;
  verdict.order_outcome = { status, reason, fill: null, client_order_id: clientOrderId };
}
