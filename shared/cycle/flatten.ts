/**
 * Flattening for the kill switch: sells the whole PAPER position of one
 * market at the bid, now, through the same sizing and PAPER broker as a
 * cycle. The sale is recorded as a cycle of its own, with an
 * `execution_logs` row, an order, an audit payload and a blackbox log, so
 * it shows in every place an operator looks for trades.
 *
 * @module
 */

import { blackboxPath, BlackboxRecorder } from "../blackbox/recorder.ts";
import { fillPaperOrder, type PaperFillValues } from "../broker/paper.ts";
import type { Balances } from "../journal/journal.ts";
import type { MarketInfo, Quote } from "../market/types.ts";
import { freeBalance, type OrderRequest, type OrderSkip } from "../risk/order-rules.ts";
import { sizeOrder } from "../risk/sizing.ts";
import { cycleId, marketKey, slotStart } from "../time/slots.ts";
import type { CycleDeps } from "./context.ts";
import { CycleState } from "./state.ts";

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
 * Sells the free base balance of `market` at the bid worsened by the PAPER
 * slippage. Returns `no_position` when there is nothing to sell, `skipped`
 * when a rule stops the sale (a dust position), `crashed` when the sale failed
 * after its row was claimed (the row is finished as crashed). Throws when the
 * exchange or the journal fails before the claim, leaving nothing written.
 *
 * NOTE: a cycle that passed its kill switch check before the halt can still
 * buy after this sale; the next call finds that position and sells it.
 */
export async function flattenPaperPosition(
  deps: CycleDeps,
  market: string,
  reason: string,
): Promise<FlattenOutcome> {
  const { config, exchange, journal } = deps;
  const info = await exchange.fetchMarket(market);
  const quote = await exchange.fetchQuote(market);
  const balances = await journal.readPaperBalances(config.paper.startBalances);
  if (freeBalance(balances, info.base) <= 0) return { market, status: "no_position" };

  const slippage = config.paper.slippageBps / 10_000;
  const sizing = sizeOrder({
    side: "sell",
    market: info,
    quote,
    balances,
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

  const state = await claimFlatten(deps, market);
  if (!(state instanceof CycleState)) return state;
  return await runSale(deps, state, reason, { info, quote, balances, order: sizing.order });
}

/** Claims the flatten's row; returns its state, or `skipped` when the id was already used. */
async function claimFlatten(deps: CycleDeps, market: string): Promise<CycleState | FlattenOutcome> {
  const { config } = deps;
  const now = deps.clock.now();
  const slot = slotStart(now, config.cycle.intervalMs);
  const id = flattenCycleId(market, slot, deps.invocationId);
  const claim = await deps.journal.claimCycle({
    cycleId: id,
    market,
    slot,
    mode: config.mode,
    invocationId: deps.invocationId,
    invokedBy: deps.invokedBy,
    startedAt: now,
  });
  if (!claim.claimed) {
    const message = `Flatten ${id} already ran (status ${claim.existingStatus ?? "unknown"}).`;
    return { market, status: "skipped", cycleId: id, reason: "ALREADY_RAN", message };
  }
  const { intervalMs } = config.cycle;
  return new CycleState(id, market, slot, config.mode, deps.invocationId, now, intervalMs);
}

/** Sells on a claimed row, then finishes the row and uploads the blackbox whatever happened. */
async function runSale(
  deps: CycleDeps,
  state: CycleState,
  reason: string,
  input: SaleInput,
): Promise<FlattenOutcome> {
  const { market, cycleId: id } = state;
  const started = deps.clock.monotonic();
  const log = new BlackboxRecorder(() => deps.clock.now(), deps.secrets ?? []);
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

  let sale: PaperFillValues | OrderSkip | null = null;
  try {
    sale = await sell(deps, state, log, input);
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    const stack = err.stack ? log.scrubText(err.stack) : null;
    state.crash = { message: log.scrubText(err.message), stack };
    log.error("CRASH", { error: state.crash.message, stack });
  }
  const blackboxError = await finishFlatten(deps, state, log, started);

  if (sale === null) {
    return { market, status: "crashed", cycleId: id, message: state.crash?.message ?? "" };
  }
  if ("reason" in sale) {
    return { market, status: "skipped", cycleId: id, reason: sale.reason, message: sale.message };
  }
  return { market, status: "sold", cycleId: id, fill: sale, blackboxError };
}

interface SaleInput {
  info: MarketInfo;
  quote: Quote;
  balances: Balances;
  order: OrderRequest;
}

/**
 * Fills the sale through the PAPER broker and records it with its balances.
 * Returns the fill, or the rule that rejected it.
 */
async function sell(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  input: SaleInput,
): Promise<PaperFillValues | OrderSkip> {
  const { info, quote, balances, order } = input;
  const result = fillPaperOrder(order, quote, info, balances, {
    slippageBps: deps.config.paper.slippageBps,
  });
  if (result.kind === "rejected") {
    state.skipped = true;
    setOutcome(state, {
      status: "skipped",
      reason: result.reason,
      fill: null,
      client_order_id: null,
    });
    log.warning("ORDER SKIPPED", { reason: result.reason, message: result.message });
    return result;
  }
  const after = await deps.journal.recordPaperFill({
    cycleId: state.cycleId,
    market: state.market,
    base: info.base,
    quote: info.quote,
    clientOrderId: state.cycleId,
    filledAt: deps.clock.now(),
    ...result.fill,
  });
  setOutcome(state, {
    status: "filled",
    reason: null,
    fill: result.fill,
    client_order_id: state.cycleId,
  });
  state.financials = financialsAfter(info, quote, after, result.fill.fee);
  log.info("SELL", {
    amount: result.fill.amount,
    price: result.fill.price,
    cost: Math.round(result.fill.cost * 100) / 100,
    fee: result.fill.fee,
    client_order_id: state.cycleId,
  });
  return result.fill;
}

/** The portfolio after the sale, marked at the bid. */
function financialsAfter(info: MarketInfo, quote: Quote, after: Balances, fee: number) {
  const cash = freeBalance(after, info.quote);
  const position = freeBalance(after, info.base);
  return {
    quote_currency: info.quote,
    base_currency: info.base,
    cash,
    position,
    price: quote.bid,
    equity: cash + position * quote.bid,
    equity_change: null,
    fees_paid: fee,
  };
}

type OrderOutcome = NonNullable<CycleState["verdict"]>["order_outcome"];

function setOutcome(state: CycleState, outcome: OrderOutcome): void {
  if (state.verdict) state.verdict.order_outcome = outcome;
}

/** Writes the row's verdict and uploads the blackbox; returns the upload error, if any. */
async function finishFlatten(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  started: number,
): Promise<string | null> {
  const totalMs = deps.clock.monotonic() - started;
  const memory = deps.memoryUsage?.();
  const health = { rss_bytes: memory?.rss ?? null, heap_used_bytes: memory?.heapUsed ?? null };
  const payload = state.payload([], totalMs, deps.config, health);
  log.info("CYCLE END", { cycle_id: state.cycleId, status: state.status, decision: "SELL" });
  const path = blackboxPath(marketKey(state.market), state.slot, state.cycleId);
  let blackboxError: string | null = null;
  try {
    await deps.blackbox.put(path, log.text());
  } catch (error) {
    blackboxError = log.scrubText(error instanceof Error ? error.message : String(error)).slice(
      0,
      500,
    );
  }
  await deps.journal.finishCycle({
    cycleId: state.cycleId,
    status: state.status,
    abortReason: null,
    decision: "SELL",
    equity: state.financials?.equity ?? null,
    payload,
    blackboxPath: path,
    blackboxError,
    finishedAt: deps.clock.now(),
  });
  return blackboxError;
}
