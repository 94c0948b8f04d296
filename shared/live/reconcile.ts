/**
 * Reconciliation, the first exchange work of every LIVE cycle (after the
 * claim and the kill switch, before market data):
 *
 * 1. A halted market aborts `MARKET_HALTED` before any exchange call.
 * 2. Rows of the market still running past the cycle deadline belong to a
 *    process that died; they are marked `incomplete`.
 * 3. Every order of the market left `intent`, `sent`, `open`,
 *    `partially_filled` or `unknown` by a cycle that is no longer running is
 *    looked up (its txid, else its userref, pair and `cl_ord_id`) and
 *    recorded once with its status and fills.
 *
 * An order not found anywhere: an `intent` was never sent (it is marked
 * sent before AddOrder) and becomes `canceled`. One that had a txid, or was
 * `sent` or `unknown` longer than the grace period ago, is `orphaned`: its
 * market is halted and an alert raised. One still inside the grace period
 * stays `unknown`, and the cycle aborts `ORDER_UNKNOWN` without trading.
 *
 * @module
 */
import { CycleAbort } from "../cycle/reasons.ts";
import type { VenueContext } from "../cycle/venue.ts";
import type { MarketInfo } from "../market/types.ts";
import { isoTime } from "../time/slots.ts";
import type { LiveDeps } from "./live-deps.ts";
import type { LiveOrder } from "./live-store.ts";
import { lookUpOrder } from "./lookup.ts";
import { reportOf } from "./order-report.ts";

/** Actor recorded when the bot halts a market itself. */
const BOT_ACTOR = "titan-bot";
/** The market_halts reason of an order the exchange does not know. */
export const ORPHAN_HALT_REASON = "ORDER_ORPHANED";

type Resolution = "recorded" | "never_sent" | "unknown" | "orphaned";

/** Runs the steps of the module comment; throws a `CycleAbort` when the cycle must not trade. */
export async function reconcile(context: VenueContext, live: LiveDeps): Promise<void> {
  const { deps, state, log } = context;
  await checkHalt(context, live);
  const now = deps.clock.now();
  const cutoff = now - deps.config.cycle.deadlineMs;
  for (const stuck of await live.store.markIncomplete(state.market, cutoff, now)) {
    log.warning("CYCLE INCOMPLETE", {
      cycle_id: stuck.cycleId,
      attempt: stuck.attempt,
      started_at: isoTime(stuck.startedAt),
      invocation_id: stuck.invocationId,
    });
  }
  const orders = (await live.store.unresolvedOrders(state.market))
    .filter((order) => order.cycleStatus !== "running");
  if (orders.length === 0) return;

  const market = await context.guard.call("loadMarkets", () => deps.exchange.fetchMarket(state.market));
  const resolved: Array<{ order: LiveOrder; resolution: Resolution }> = [];
  for (const order of orders) {
    resolved.push({ order, resolution: await reconcileOrder(context, live, order, market) });
  }
  log.info("RECONCILED", {
    orders: orders.length,
    unknown: resolved.filter((r) => r.resolution === "unknown").length,
    orphaned: resolved.filter((r) => r.resolution === "orphaned").length,
  });
  abortIfUnresolved(context, resolved);
}

/** Aborts MARKET_HALTED while the market is halted, whatever halted it. */
async function checkHalt({ state }: VenueContext, live: LiveDeps): Promise<void> {
  const halt = await live.halts.readHalt(state.market);
  if (halt === null) return;
  throw new CycleAbort(
    "MARKET_HALTED",
    `Market ${state.market} is halted (${halt.reason}): ${halt.message} After review, re-arm ` +
      `it with: select * from titan_rearm_market('${state.market}', '<who>', '<why>').`,
    { halt_reason: halt.reason, halted_at: isoTime(halt.haltedAt), halt_cycle_id: halt.cycleId },
  );
}

/** Brings one order up to date; returns what became of it. */
async function reconcileOrder(
  context: VenueContext,
  live: LiveDeps,
  order: LiveOrder,
  market: MarketInfo,
): Promise<Resolution> {
  const { deps, guard, log } = context;
  const reference = { market: order.market, userref: order.userref, clientOrderId: order.clientOrderId };
  const target = { reference, txid: order.exchangeOrderId, sinceMs: order.createdAt };
  const lookup = await lookUpOrder(context, live.exchange, target);
  // Without a reply nothing can be decided about the order, so the cycle stops here.
  if (lookup.kind === "failed") throw guard.abortFor(lookup.failure, lookup.latencyMs, lookup.attempts);

  const now = deps.clock.now();
  if (lookup.kind === "found") {
    const report = reportOf(lookup.order, market, now);
    const recorded = await live.store.recordReport(order.id, report);
    log.info("ORDER RECONCILED", {
      order_id: order.id,
      cycle_id: order.cycleId,
      txid: report.exchangeOrderId,
      was: order.status,
      status: report.status,
      filled: report.filledAmount,
      counted_now: recorded.appliedAmount,
      position: recorded.positionAmount,
      dust: recorded.dust,
    });
    return "recorded";
  }
  return await resolveAbsent(context, live, order);
}

/** Decides what an order no lookup found is; see the module comment. */
async function resolveAbsent(
  context: VenueContext,
  live: LiveDeps,
  order: LiveOrder,
): Promise<Resolution> {
  const { deps, log } = context;
  const now = deps.clock.now();
  if (order.status === "intent") {
    const reason = "Never sent: the intent was written but the cycle stopped before AddOrder.";
    await live.store.markStatus(order.id, "canceled", reason, now);
    log.info("ORDER RECONCILED", { order_id: order.id, was: "intent", status: "canceled" });
    return "never_sent";
  }
  const ageMs = now - (order.sentAt ?? order.createdAt);
  const graceMs = deps.config.live.orderGraceMs;
  if (order.exchangeOrderId === null && ageMs <= graceMs) {
    const reason = `Not found on the exchange ${Math.round(ageMs / 1000)} s after it was sent; ` +
      `checked again until ${Math.round(graceMs / 1000)} s have passed.`;
    await live.store.markStatus(order.id, "unknown", reason, now);
    log.warning("ORDER UNKNOWN", { order_id: order.id, cycle_id: order.cycleId, age_ms: ageMs });
    return "unknown";
  }
  await orphan(context, live, order, ageMs);
  return "orphaned";
}

/** Marks the order orphaned, halts its market and queues an alert. */
async function orphan(
  context: VenueContext,
  live: LiveDeps,
  order: LiveOrder,
  ageMs: number,
): Promise<void> {
  const { deps, state, log } = context;
  const now = deps.clock.now();
  const known = order.exchangeOrderId === null
    ? `was ${order.status} for ${Math.round(ageMs / 1000)} s`
    : `had txid ${order.exchangeOrderId}`;
  const message = `Order ${order.id} (${order.side}, cycle ${order.cycleId}) ${known}, but no ` +
    `open or closed order on the exchange carries userref ${order.userref} and cl_ord_id ` +
    `${order.clientOrderId}.`;
  await live.store.markStatus(order.id, "orphaned", message, now);
  const details = {
    order_id: order.id,
    order_cycle_id: order.cycleId,
    userref: order.userref,
    client_order_id: order.clientOrderId,
    txid: order.exchangeOrderId,
  };
  const action = await live.halts.haltMarket({
    market: state.market,
    reason: ORPHAN_HALT_REASON,
    message,
    details,
    haltedBy: BOT_ACTOR,
    haltedAt: now,
    cycleId: state.cycleId,
  });
  log.error("ORDER ORPHANED", { ...details, halt: action });
  state.alerts.push({
    kind: "orphaned_order",
    market: state.market,
    cycle_id: state.cycleId,
    message: `${message} Trading on ${state.market} is halted until an operator checks the ` +
      "account and runs titan_rearm_market.",
    fields: { ...details, mode: state.mode },
  });
}

/** Aborts when an order is orphaned (the market is now halted) or still unknown. */
function abortIfUnresolved(
  context: VenueContext,
  resolved: Array<{ order: LiveOrder; resolution: Resolution }>,
): void {
  const { state } = context;
  const ids = (resolution: Resolution) =>
    resolved.filter((r) => r.resolution === resolution).map((r) => r.order.id);
  const orphaned = ids("orphaned");
  if (orphaned.length > 0) {
    throw new CycleAbort(
      "MARKET_HALTED",
      `Orders ${orphaned.join(", ")} of ${state.market} are not known to the exchange; the ` +
        "market is halted. Compare the account's trades with the orders table, then re-arm " +
        `with titan_rearm_market('${state.market}', '<who>', '<why>').`,
      { orphaned_order_ids: orphaned, halt_reason: ORPHAN_HALT_REASON },
    );
  }
  const unknown = ids("unknown");
  if (unknown.length > 0) {
    throw new CycleAbort(
      "ORDER_UNKNOWN",
      `Orders ${unknown.join(", ")} of ${state.market} were sent but are not on the exchange ` +
        "yet; no new order is placed until they are found or their grace period ends.",
      { unknown_order_ids: unknown },
    );
  }
}
