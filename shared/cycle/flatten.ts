/**
 * Flattening for the kill switch: sells the whole free position of one
 * market now, through the same sizing and the same venue as a cycle: the
 * PAPER broker at the bid in PAPER, a write-ahead market order on Kraken in
 * LIVE. The sale is recorded as a cycle of its own, with an
 * `execution_logs` row, an order, an audit payload and a blackbox log, so
 * it shows in every place an operator looks for trades.
 *
 * @module
 */

import { blackboxPath, BlackboxRecorder } from "../blackbox/recorder.ts";
import { CallGuard } from "../exchange/call-guard.ts";
import type { MarketInfo, Quote } from "../market/types.ts";
import { freeBalance, type OrderRequest } from "../risk/order-rules.ts";
import { sizeOrder } from "../risk/sizing.ts";
import { cycleId, marketKey, slotStart } from "../time/slots.ts";
import type { CycleDeps } from "./context.ts";
import { CycleAbort } from "./reasons.ts";
import { CycleState } from "./state.ts";
import {
  type AccountBalances,
  type FillValues,
  venueFor,
  type VenueContext,
} from "./venue.ts";

/** The values of a flatten's sale; the fee is in the quote currency. */
export type PaperFillValues = FillValues;

/** Outcome of flattening one market. */
export type FlattenOutcome =
  | {
    market: string;
    status: "sold";
    cycleId: string;
    fill: PaperFillValues;
    blackboxError: string | null;
  }
  | { market: string; status: "no_position" }
  | { market: string; status: "skipped"; cycleId: string | null; reason: string; message: string }
  | { market: string; status: "crashed"; cycleId: string; message: string };

/**
 * Returns the cycle id of a flatten: the slot's cycle id plus `-FLATTEN-` and
 * the first 8 letters and digits of the invocation id, so it never takes the
 * id of the slot's regular cycle.
 */
export function flattenCycleId(market: string, slot: number, invocationId: string): string {
  const suffix = invocationId.replace(/[^A-Za-z0-9]/g, "").slice(0, 8) || "manual";
  return `${cycleId(market, slot)}-FLATTEN-${suffix}`;
}

/**
 * Sells the free base balance of `market`: at the bid worsened by the PAPER
 * slippage in PAPER, with a market order in LIVE. Returns `no_position` when
 * there is nothing to sell, `skipped` when a rule stops the sale (a dust
 * position), `crashed` when the sale failed after its row was claimed (the
 * row is finished as crashed). Throws when the exchange or the journal fails
 * before the claim, leaving nothing written.
 *
 * NOTE: a cycle that passed its kill switch check before the halt can still
 * buy after this sale; the next call finds that position and sells it.
 */
export async function flattenPosition(
  deps: CycleDeps,
  market: string,
  reason: string,
): Promise<FlattenOutcome> {
  const context = flattenContext(deps, market);
  const { config, exchange } = deps;
  const venue = venueFor(deps, config.mode);
  const info = await context.guard.call("loadMarkets", () => exchange.fetchMarket(market));
  const quote = await context.guard.call("fetchTicker", () => exchange.fetchQuote(market));
  const balances = await venue.readBalances(context, info);
  if (freeBalance(balances.free, info.base) <= 0) return { market, status: "no_position" };

  const slippage = config.paper.slippageBps / 10_000;
  const sizing = sizeOrder({
    side: "sell",
    market: info,
    quote,
    balances: balances.free,
    risk: config.risk,
    slippage,
  });
  if (sizing.kind === "skip") {
    return {
      market,
      status: "skipped",
      cycleId: null,
      reason: sizing.reason,
      message: sizing.message,
    };
  }

  const claimed = await claimFlatten(context);
  if (claimed !== null) return claimed;
  return await runSale(context, reason, { info, quote, balances, order: sizing.order });
}

/** The PAPER name of `flattenPosition`, kept for existing callers. */
export const flattenPaperPosition = flattenPosition;

/** Builds the state, log and call guard of a flatten's own cycle. */
function flattenContext(deps: CycleDeps, market: string): VenueContext {
  const { config, clock } = deps;
  const now = clock.now();
  const slot = slotStart(now, config.cycle.intervalMs);
  const id = flattenCycleId(market, slot, deps.invocationId);
  const { intervalMs } = config.cycle;
  const state = new CycleState(id, market, slot, config.mode, deps.invocationId, now, intervalMs);
  const guard = new CallGuard({
    clock,
    latencyBudgetMs: config.cycle.latencyBudgetMs,
    timeoutMs: config.cycle.exchangeTimeoutMs,
    deadlineAt: clock.monotonic() + config.cycle.deadlineMs,
    retryBackoffMs: config.cycle.retryBackoffMs,
  });
  const log = new BlackboxRecorder(() => clock.now(), deps.secrets ?? []);
  return { deps, guard, state, log };
}

/** Claims the flatten's row; returns null when claimed, or `skipped` when the id was used. */
async function claimFlatten({ deps, state }: VenueContext): Promise<FlattenOutcome | null> {
  const claim = await deps.journal.claimCycle({
    cycleId: state.cycleId,
    market: state.market,
    slot: state.slot,
    mode: state.mode,
    invocationId: deps.invocationId,
    invokedBy: deps.invokedBy,
    startedAt: deps.clock.now(),
  });
  if (claim.claimed) return null;
  const message = `Flatten ${state.cycleId} already ran ` +
    `(status ${claim.existingStatus ?? "unknown"}).`;
  return {
    market: state.market,
    status: "skipped",
    cycleId: state.cycleId,
    reason: "ALREADY_RAN",
    message,
  };
}

/** Sells on a claimed row, then finishes the row and uploads the blackbox whatever happened. */
async function runSale(
  context: VenueContext,
  reason: string,
  input: SaleInput,
): Promise<FlattenOutcome> {
  const { deps, state, log } = context;
  const { market, cycleId: id } = state;
  const started = deps.clock.monotonic();
  log.warning("FLATTEN START", {
    cycle_id: id,
    market,
    mode: state.mode,
    reason: log.scrubText(reason),
  });
  state.verdict = {
    decision: "SELL",
    reason: `Kill switch flatten: ${log.scrubText(reason)}`,
    signals: {},
    order_request: input.order,
    order_outcome: { status: "none", reason: null, fill: null, client_order_id: null },
  };

  let sale: FillValues | SaleSkip | null = null;
  try {
    sale = await sell(context, input);
  } catch (error) {
    recordSaleFailure(state, log, error);
  }
  const blackboxError = await finishFlatten(context, started);

  if (sale === null) {
    const message = state.abort?.message ?? state.crash?.message ?? "";
    return { market, status: "crashed", cycleId: id, message };
  }
  if ("reason" in sale) {
    return { market, status: "skipped", cycleId: id, reason: sale.reason, message: sale.message };
  }
  return { market, status: "sold", cycleId: id, fill: sale, blackboxError };
}

/** Records why a sale failed: an abort (a LIVE order the exchange rejected) or a crash. */
function recordSaleFailure(state: CycleState, log: BlackboxRecorder, error: unknown): void {
  if (error instanceof CycleAbort) {
    state.abort = error;
    log.warning("ABORT", { reason: error.reason, message: log.scrubText(error.message) });
    return;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const stack = err.stack ? log.scrubText(err.stack) : null;
  state.crash = { message: log.scrubText(err.message), stack };
  log.error("CRASH", { error: state.crash.message, stack });
}

/** Why a claimed sale did not fill: an order rule, or a LIVE order still unfilled. */
interface SaleSkip {
  reason: string;
  message: string;
}

interface SaleInput {
  info: MarketInfo;
  quote: Quote;
  balances: AccountBalances;
  order: OrderRequest;
}

/**
 * Executes the sale through the venue, which records it. Returns what
 * filled, or the rule that stopped it. A LIVE order that filled nothing yet
 * counts as a skip with reason `NOT_FILLED`.
 */
async function sell(context: VenueContext, input: SaleInput): Promise<FillValues | SaleSkip> {
  const { deps, state, log } = context;
  const { info, quote, balances, order } = input;
  const venue = venueFor(deps, state.mode);
  const result = await venue.execute(context, order, info, quote, balances);
  if (result.kind === "skipped" || result.fill === null) {
    const skip = result.kind === "skipped"
      ? { reason: result.reason, message: result.message }
      : { reason: "NOT_FILLED", message: `Order ${result.clientOrderId} is ${result.status}.` };
    state.skipped = true;
    setOutcome(state, {
      status: result.kind === "skipped" ? "skipped" : result.status,
      reason: skip.reason,
      fill: null,
      client_order_id: result.kind === "skipped" ? null : result.clientOrderId,
    });
    log.warning("ORDER SKIPPED", skip);
    return skip;
  }
  setOutcome(state, {
    status: result.status,
    reason: null,
    fill: result.fill,
    client_order_id: result.clientOrderId,
  });
  state.financials = financialsAfter(info, quote, result.balancesAfter, result.fill.fee);
  log.info("SELL", {
    amount: result.fill.amount,
    price: result.fill.price,
    cost: Math.round(result.fill.cost * 100) / 100,
    fee: result.fill.fee,
    client_order_id: result.clientOrderId,
  });
  return result.fill;
}

/** Marks the portfolio after the sale at the bid. */
function financialsAfter(info: MarketInfo, quote: Quote, after: AccountBalances, fee: number) {
  const cash = freeBalance(after.free, info.quote);
  const position = freeBalance(after.total, info.base);
  return {
    quote_currency: info.quote,
    base_currency: info.base,
    cash,
    position,
    price: quote.bid,
    equity: freeBalance(after.total, info.quote) + position * quote.bid,
    equity_change: null,
    fees_paid: fee,
  };
}

type OrderOutcome = NonNullable<CycleState["verdict"]>["order_outcome"];

function setOutcome(state: CycleState, outcome: OrderOutcome): void {
  if (state.verdict) state.verdict.order_outcome = outcome;
}

/** Writes the row's verdict and uploads the blackbox; returns the upload error, if any. */
async function finishFlatten(context: VenueContext, started: number): Promise<string | null> {
  const { deps, state, log, guard } = context;
  const totalMs = deps.clock.monotonic() - started;
  const memory = deps.memoryUsage?.();
  const health = { rss_bytes: memory?.rss ?? null, heap_used_bytes: memory?.heapUsed ?? null };
  const payload = state.payload(guard.calls, totalMs, deps.config, health);
  log.info("CYCLE END", { cycle_id: state.cycleId, status: state.status, decision: "SELL" });
  const path = blackboxPath(marketKey(state.market), state.slot, state.cycleId);
  let blackboxError: string | null = null;
  try {
    await deps.blackbox.put(path, log.text());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    blackboxError = log.scrubText(message).slice(0, 500);
  }
  await deps.journal.finishCycle({
    cycleId: state.cycleId,
    status: state.status,
    abortReason: state.abort?.reason ?? null,
    decision: "SELL",
    equity: state.financials?.equity ?? null,
    payload,
    blackboxPath: path,
    blackboxError,
    finishedAt: deps.clock.now(),
  });
  return blackboxError;
}
