import type { Candle } from "../market/types.ts";
import type { Decision } from "../journal/journal.ts";

/** What a strategy returns for one slot. */
export interface Signal {
  action: Decision;
  /** One sentence a person can read in the audit payload. */
  reason: string;
  /** The indicator values behind the decision, by name; null while warming up. */
  values: Record<string, number | null>;
}

/**
 * A strategy evaluated over closed candles, oldest first. The live cycle
 * feeds a fresh evaluator the candles of its window; the backtest feeds one
 * evaluator every candle in turn. Indicators must depend only on the last
 * `requiredCandles` candles so that both paths compute identical values.
 */
export interface StrategyEvaluator {
  /** Closed candles needed before `signal` can return BUY or SELL. */
  readonly requiredCandles: number;
  push(candle: Candle): void;
  /** The decision after the last pushed candle, given whether a position is held. */
  signal(holding: boolean): Signal;
}
