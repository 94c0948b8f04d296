/**
 * The backtest: the live PAPER cycle's decisions, driven over a candle
 * series with simulated time, in memory.
 *
 * For each slot S it does what `runCycle` does at `S + dispatchDelayMs`
 * against replay's exchange: the slot-age and clock checks, the candle
 * checks (incrementally, see `candle-check.ts`), the quote check, the
 * mark-to-market, the trend evaluator's decision, `sizeOrder` and
 * `fillPaperOrder`. The abort reasons, decisions, fills, balances and equity
 * match replay's slot by slot. Not modelled: KILL_SWITCH (a backtest has no
 * system state), and API_LAG and DEADLINE_EXCEEDED, which depend on real
 * elapsed time.
 *
 * @module
 */

import type { TitanConfig } from "../config/config.ts";
import type { AbortReason } from "../cycle/reasons.ts";
import type { Decision } from "../journal/journal.ts";
import type { Candle, MarketInfo, Quote } from "../market/types.ts";
import { createTrendEvaluator, type TrendEvaluator } from "../strategy/trend.ts";
import { IncrementalCandleCheck } from "./candle-check.ts";
import { CandleStream } from "./candle-stream.ts";
import { BacktestRecorder, type BacktestRun } from "./run-record.ts";
import { executeDecision } from "./execute.ts";
import { PaperLedger } from "./paper-ledger.ts";

export type { BacktestFill, BacktestRun, OrderSkipRecord } from "./run-record.ts";

/** Replay's simulated exchange, reduced to the requests the backtest makes of it. */
export interface SimulatedExchange {
  market: MarketInfo;
  /** Rows one OHLC request returns at most (Kraken: 720, the newest still open). */
  ohlcMaxRows: number;
  /** The quote at `nowMs`, as `fetchTicker` would return it. */
  quoteAt(nowMs: number): Quote;
}

export interface BacktestOptions {
  config: Pick<TitanConfig, "cycle" | "paper" | "strategy" | "risk">;
  exchange: SimulatedExchange;
  /** Candles sorted by open time and aligned to the interval; gaps allowed. */
  candles: readonly Candle[];
  /** First and last slot to run, ms since the epoch; both inclusive, both on the grid. */
  fromSlot: number;
  toSlot: number;
  /** Delay from a slot's start to the cycle's exchange requests (replay: 5000 ms). */
  dispatchDelayMs: number;
  /** Called every few thousand slots and at the end. */
  onProgress?: (done: number, total: number) => void;
}

/** Kraken's `Time` has whole seconds; the skew is measured from the middle of that second. */
const TIME_TRUNCATION_MS = 500;
const PROGRESS_EVERY_SLOTS = 4096;

/**
 * Runs the backtest. Throws `RangeError` for a range or settings the live
 * cycle could not run, and `CandleSeriesError` for unsorted or misaligned
 * candles.
 */
export function runBacktest(options: BacktestOptions): BacktestRun {
  const { config, exchange, candles, fromSlot, toSlot, dispatchDelayMs } = options;
  const { intervalMs } = config.cycle;
  assertRange(fromSlot, toSlot, intervalMs);
  const evaluator = createTrendEvaluator(config.strategy);
  const check = new IncrementalCandleCheck(candles, {
    intervalMs,
    historyCandles: config.cycle.historyCandles,
    requiredCandles: evaluator.requiredCandles,
    gapPolicy: config.cycle.gapPolicy,
    dispatchDelayMs,
    ohlcMaxRows: exchange.ohlcMaxRows,
  });
  const windowStart = fromSlot - config.cycle.historyCandles * intervalMs;
  const total = (toSlot - fromSlot) / intervalMs + 1;
  const context: SlotContext = {
    options,
    evaluator,
    stream: new CandleStream(candles, evaluator, intervalMs, windowStart),
    record: new BacktestRecorder(total, fromSlot, intervalMs),
    ledger: new PaperLedger(config.paper.startBalances),
  };
  const earlyAbort = checkSlotAndClock(config.cycle, dispatchDelayMs);

  for (let index = 0; index < total; index++) {
    const slot = fromSlot + index * intervalMs;
    const reason = earlyAbort ?? check.check(slot);
    const newest = candles[check.closedEnd - 1];
    context.record.close[index] = newest === undefined ? Number.NaN : newest.close;
    if (reason === null) runSlot(context, index, slot);
    else context.record.abort(index, reason);
    if (options.onProgress && (index + 1) % PROGRESS_EVERY_SLOTS === 0) {
      options.onProgress(index + 1, total);
    }
  }
  options.onProgress?.(total, total);
  const candleCount = countCandles(candles, fromSlot - intervalMs, toSlot - intervalMs);
  return context.record.finish(context.ledger.balances, candleCount);
}

/** State that a slot's decision reads and updates, kept across slots. */
interface SlotContext {
  options: BacktestOptions;
  evaluator: TrendEvaluator;
  stream: CandleStream;
  record: BacktestRecorder;
  ledger: PaperLedger;
}

/**
 * Runs the part of a cycle after the candle check: the quote check, the
 * mark-to-market, the decision and the order.
 */
function runSlot(context: SlotContext, index: number, slot: number): void {
  const { options, record, ledger } = context;
  const { config, exchange } = options;
  const market = exchange.market;
  const quote = exchange.quoteAt(slot + options.dispatchDelayMs);
  if (!(quote.bid > 0 && quote.ask >= quote.bid)) {
    record.abort(index, "INVALID_DATA");
    return;
  }

  context.stream.pushThrough(slot - config.cycle.intervalMs);
  const position = ledger.balances[market.base] ?? 0;
  record.initialEquity ??= (ledger.balances[market.quote] ?? 0) + position * quote.bid;
  const decision: Decision = context.evaluator.decide(position >= market.minAmount);
  if (decision !== "HOLD") {
    executeDecision(record, index, decision, {
      market,
      quote,
      ledger,
      risk: config.risk,
      slippageBps: config.paper.slippageBps,
    });
  }
  const balances = ledger.balances;
  record.mark(index, decision, balances[market.quote] ?? 0, balances[market.base] ?? 0, quote.bid);
}

/**
 * Returns the abort that every slot gets from the slot-age and clock checks,
 * or null. With replay's exchange both depend only on the dispatch delay:
 * the request arrives `dispatchDelayMs` after the slot opens, and the
 * exchange clock is the request time floored to whole seconds.
 */
function checkSlotAndClock(
  cycle: TitanConfig["cycle"],
  dispatchDelayMs: number,
): AbortReason | null {
  if (!(dispatchDelayMs >= 0 && dispatchDelayMs <= cycle.maxSlotDelayMs)) return "STALE_SLOT";
  const exchangeTime = Math.floor(dispatchDelayMs / 1000) * 1000;
  const skew = Math.round(exchangeTime + TIME_TRUNCATION_MS - dispatchDelayMs);
  return Math.abs(skew) > cycle.maxClockSkewMs ? "TIMESTAMP_MISMATCH" : null;
}

function assertRange(fromSlot: number, toSlot: number, intervalMs: number): void {
  const onGrid = (slot: number) => Number.isInteger(slot) && slot % intervalMs === 0;
  if (!onGrid(fromSlot) || !onGrid(toSlot) || toSlot < fromSlot) {
    throw new RangeError(
      `Invalid backtest range ${fromSlot} .. ${toSlot}: expected slots on the ${intervalMs} ms ` +
        `grid with the first at or before the last.`,
    );
  }
}

/** Counts rows whose open time lies in [first, last]; rows are sorted by time. */
function countCandles(candles: readonly Candle[], first: number, last: number): number {
  return lowerBound(candles, last + 1) - lowerBound(candles, first);
}

/** Returns the index of the first row at or after `time`. */
function lowerBound(candles: readonly Candle[], time: number): number {
  let low = 0;
  let high = candles.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((candles[middle] as Candle).time < time) low = middle + 1;
    else high = middle;
  }
  return low;
}
