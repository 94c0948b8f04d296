import type { BlackboxRecorder } from "../../blackbox/recorder.ts";
import { fillPaperOrder } from "../../broker/paper.ts";
import type { Balances } from "../../journal/journal.ts";
import { freeBalance } from "../../risk/order-rules.ts";
import { sizeOrder } from "../../risk/sizing.ts";
import type { StrategyEvaluator } from "../../strategy/strategy.ts";
import type { CycleDeps, CycleResult } from "../context.ts";
import { CycleAbort } from "../reasons.ts";
import type { CycleState } from "../state.ts";
import type { MarketSnapshot } from "./market-data.ts";

/** Client order id of a cycle's order: the cycle id, so a retry finds it. */
export function clientOrderId(cycleId: string): string {
  return cycleId;
}

/** Marks the portfolio to market at the bid, the price a sale would get now. */
export async function markPortfolio(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  snapshot: MarketSnapshot,
): Promise<Balances> {
  const { market, quote } = snapshot;
  const balances = await deps.journal.readPaperBalances(deps.config.paper.startBalances);
  const cash = freeBalance(balances, market.quote);
  const position = freeBalance(balances, market.base);
  const equity = cash + position * quote.bid;
  const previous = await deps.journal.lastEquity(state.market, state.slot);
  state.financials = {
    quote_currency: market.quote,
    base_currency: market.base,
    cash,
    position,
    price: quote.bid,
    equity,
    equity_change: previous === null ? null : equity - previous,
    fees_paid: 0,
  };
  log.info("EQUITY", { value: round2(equity), currency: market.quote, cash, position });
  return balances;
}

/**
 * Asks the strategy for a decision on the checked window, sizes the order
 * and fills it through the PAPER broker, recording the fill.
 */
export async function decideAndExecute(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  snapshot: MarketSnapshot,
  balances: Balances,
  evaluator: StrategyEvaluator,
  remainingMs: () => number,
): Promise<CycleResult["fill"]> {
  const { market, quote, window } = snapshot;
  for (const candle of window) evaluator.push(candle);
  const holding = freeBalance(balances, market.base) >= market.minAmount;
  const signal = evaluator.signal(holding);
  const verdict = {
    decision: signal.action,
    reason: signal.reason,
    signals: signal.values,
    order_request: null,
    order_outcome: { status: "none", reason: null, fill: null, client_order_id: null },
  } as NonNullable<CycleState["verdict"]>;
  state.verdict = verdict;
  log.info("SIGNAL", { decision: signal.action, reason: signal.reason });
  if (signal.action === "HOLD") return null;

  const side = signal.action === "BUY" ? "buy" : "sell";
  if (side === "buy" && state.entriesStopped !== null) {
    return skip(state, log, "ENTRIES_STOPPED", state.entriesStopped);
  }
  const slippage = deps.config.paper.slippageBps / 10_000;
  const sizing = sizeOrder({ side, market, quote, balances, risk: deps.config.risk, slippage });
  if (sizing.kind === "skip") return skip(state, log, sizing.reason, sizing.message);
  verdict.order_request = sizing.order;
  if (remainingMs() <= 0) {
    throw new CycleAbort("DEADLINE_EXCEEDED", "The cycle spent its deadline before placing the order.", {
      remaining_ms: Math.round(remainingMs()),
    });
  }

  const result = fillPaperOrder(sizing.order, quote, market, balances, {
    slippageBps: deps.config.paper.slippageBps,
  });
  if (result.kind === "rejected") return skip(state, log, result.reason, result.message);
  const id = clientOrderId(state.cycleId);
  const after = await deps.journal.recordPaperFill({
    cycleId: state.cycleId,
    market: state.market,
    base: market.base,
    quote: market.quote,
    clientOrderId: id,
    filledAt: deps.clock.now(),
    ...result.fill,
  });
  verdict.order_outcome = { status: "filled", reason: null, fill: result.fill, client_order_id: id };
  updateFinancials(state, after, snapshot, result.fill.fee);
  log.info(signal.action, {
    amount: result.fill.amount,
    price: result.fill.price,
    cost: round2(result.fill.cost),
    fee: result.fill.fee,
    client_order_id: id,
  });
  return result.fill;
}

/** Re-marks the portfolio after a fill so the row shows the position it left. */
function updateFinancials(state: CycleState, after: Balances, snapshot: MarketSnapshot, fee: number) {
  const financials = state.financials;
  if (!financials) return;
  const before = financials.equity;
  financials.cash = freeBalance(after, snapshot.market.quote);
  financials.position = freeBalance(after, snapshot.market.base);
  financials.equity = financials.cash + financials.position * snapshot.quote.bid;
  if (financials.equity_change !== null && before !== null) {
    financials.equity_change += financials.equity - before;
  }
  financials.fees_paid = fee;
}

function skip(state: CycleState, log: BlackboxRecorder, reason: string, message: string): null {
  state.skipped = true;
  if (state.verdict) state.verdict.order_outcome = { status: "skipped", reason, fill: null, client_order_id: null };
  log.warning("ORDER SKIPPED", { reason, message });
  return null;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
