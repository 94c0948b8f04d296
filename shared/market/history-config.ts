/**
 * The limit on how much candle history one cycle can have, checked when
 * the config loads so that a setting that can never work fails at once.
 *
 * @module
 */

/**
 * Kraken OHLC returns at most 720 rows and the newest is still open, so one
 * call has at most 719 closed candles. The `since` parameter cannot page
 * further back.
 */
export const MAX_HISTORY_CANDLES = 719;

/** Raised for a history setting that can never work; the config must change. */
export class HistoryConfigError extends Error {
  override readonly name = "HistoryConfigError";
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new HistoryConfigError(`Invalid ${name} ${value}: expected a positive integer.`);
  }
}

/**
 * Rejects a history setting at config load. Throws `HistoryConfigError`
 * when `historyCandles` is above 719 or below `requiredCandles`, or when
 * either is not a positive integer.
 */
export function assertHistoryConfig(historyCandles: number, requiredCandles: number): void {
  assertPositiveInteger("historyCandles", historyCandles);
  assertPositiveInteger("requiredCandles", requiredCandles);
  if (historyCandles > MAX_HISTORY_CANDLES) {
    throw new HistoryConfigError(
      `Invalid historyCandles ${historyCandles}: Kraken OHLC returns at most 720 rows, ` +
        `the newest still open, so at most ${MAX_HISTORY_CANDLES} closed candles exist. ` +
        `Set historyCandles to ${MAX_HISTORY_CANDLES} or less.`,
    );
  }
  if (historyCandles < requiredCandles) {
    throw new HistoryConfigError(
      `Invalid historyCandles ${historyCandles}: the strategy requires ${requiredCandles} ` +
        `closed candles. Raise historyCandles to at least ${requiredCandles}, or choose ` +
        `strategy periods that need at most ${MAX_HISTORY_CANDLES} candles.`,
    );
  }
}
