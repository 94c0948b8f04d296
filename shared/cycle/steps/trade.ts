import type { BlackboxRecorder } from "../../blackbox/recorder.ts";
import type { CallGuard } from "../../exchange/call-guard.ts";
import { freeBalance } from "../../risk/order-rules.ts";
import { sizeOrder } from "../../risk/sizing.ts";
import type { StrategyEvaluator } from "../../strategy/strategy.ts";
import type { CycleDeps, CycleResult } from "../context.ts";
import { CycleAbort } from "../reasons.ts";
import type { CycleState } from "../state.ts";
import { type AccountBalances, venueFor } from "../venue.ts";
import type { MarketSnapshot } from "./market-data.ts";

/**
 * Reads the balances from the cycle's venue and marks the portfolio to
 * market at the bid, the price a sale would get now. The position and the
 * equity count everything held; the cash is the free quote balance.
 */
export async function markPortfolio(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  snapshot: MarketSnapshot,
  guard: CallGuard,
): Promise<AccountBalances> {
  const { market, quote } = snapshot;
  const venue = venueFor(deps, state.mode);
  const balances = await venue.readBalances({ deps, guard, state, log }, market);
  const cash = freeBalance(balances.free, market.quote);
  const position = freeBalance(balances.total, market.base);
  const equity = freeBalance(balances.total, market.quote) + position * quote.bid;
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
 * on the free balances and executes it through the cycle's venue. The
 * strategy counts as holding when the whole position, free or not, reaches
 * the market minimum, so a staked or held position is never bought again.
 */
export async function decideAndExecute(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  snapshot: MarketSnapshot,
  balances: AccountBalances,
  evaluator: StrategyEvaluator,
  guard: CallGuard,
): Promise<CycleResult["fill"]> {
  const { market, quote, window } = snapshot;
  for (const candle of window) evaluator.push(candle);
  const holding = freeBalance(balances.total, market.base) >= market.minAmount;
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
  if (side === "buy" && state.entryBlock !== null) {
    return skip(state, log, state.entryBlock.reason, state.entryBlock.message);
  }
  const slippage = deps.config.paper.slippageBps / 10_000;
  const free = balances.free;
  const sizing = sizeOrder({ side, market, quote, balances: free, risk: deps.config.risk, slippage });
  if (sizing.kind === "skip") return skip(state, log, sizing.reason, sizing.message);
  const limited = side === "buy" ? state.entryLimit?.(sizing.order.amount) ?? null : null;
  if (limited) return skip(state, log, limited.reason, limited.message);
  verdict.order_request = sizing.order;
  if (guard.remainingMs() <= 0) {
    throw new CycleAbort("DEADLINE_EXCEEDED", "The cycle spent its deadline before placing the order.", {
      remaining_ms: Math.round(guard.remainingMs()),
    });
  }

  const venue = venueFor(deps, state.mode);
  const context = { deps, guard, state, log };
  const result = await venue.execute(context, sizing.order, market, quote, balances);
  if (result.kind === "skipped") return skip(state, log, result.reason, result.message);
  const { fill, clientOrderId: id } = result;
  verdict.order_outcome = { status: result.status, reason: null, fill, client_order_id: id };
  updateFinancials(state, result.balancesAfter, snapshot, fill?.fee ?? 0);
  if (fill === null) return null;
  log.info(signal.action, {
    amount: fill.amount,
    price: fill.price,
    cost: round2(fill.cost),
    fee: fill.fee,
    client_order_id: id,
    status: result.status,
  });
  return fill;
}

/** Re-marks the portfolio after a fill so the row shows the position it left. */
function updateFinancials(
  state: CycleState,
  after: AccountBalances,
  snapshot: MarketSnapshot,
  fee: number,
) {
  const financials = state.financials;
  if (!financials) return;
  const before = financials.equity;
  const { base, quote } = snapshot.market;
  financials.cash = freeBalance(after.free, quote);
  financials.position = freeBalance(after.total, base);
  financials.equity = freeBalance(after.total, quote) + financials.position * snapshot.quote.bid;
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
