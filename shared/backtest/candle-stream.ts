/**
 * Feeds one strategy evaluator every interval of a candle series in turn,
 * filling each interval without a row with a flat candle at the previous
 * close, as the live window does.
 *
 * One long-lived evaluator decides like the live cycle's fresh one for two
 * reasons. The live window is a suffix of this stream, because its filled
 * candles carry the same previous close. And the evaluator's indicators
 * depend only on the last `requiredCandles` candles (see
 * `StrategyEvaluator`), while a slot reaches the strategy only when its
 * window contains at least that many candles.
 *
 * @module
 */

import type { Candle } from "../market/types.ts";
import type { StrategyEvaluator } from "../strategy/strategy.ts";

export class CandleStream {
  readonly #candles: readonly Candle[];
  readonly #evaluator: StrategyEvaluator;
  readonly #intervalMs: number;
  /** Index of the next row to push. */
  #next: number;
  /** Open time of the next interval to push. */
  #nextTime: number;
  #previousClose: number;

  /**
   * Starts the stream at `startTime`, or at the first row when the series
   * starts later. A missing first interval takes the close of the row before it.
   */
  constructor(
    candles: readonly Candle[],
    evaluator: StrategyEvaluator,
    intervalMs: number,
    startTime: number,
  ) {
    this.#candles = candles;
    this.#evaluator = evaluator;
    this.#intervalMs = intervalMs;
    let index = 0;
    while (index < candles.length && (candles[index] as Candle).time < startTime) index++;
    const first = candles[0];
    this.#next = index;
    this.#nextTime = first === undefined ? startTime : Math.max(startTime, first.time);
    this.#previousClose = index > 0 ? (candles[index - 1] as Candle).close : Number.NaN;
  }

  /** Pushes every interval that opens at or before `lastTime` and was not pushed yet. */
  pushThrough(lastTime: number): void {
    const candles = this.#candles;
    const evaluator = this.#evaluator;
    let index = this.#next;
    let time = this.#nextTime;
    let previousClose = this.#previousClose;
    for (; time <= lastTime; time += this.#intervalMs) {
      const row = candles[index];
      if (row !== undefined && row.time === time) {
        evaluator.push(row);
        previousClose = row.close;
        index++;
      } else {
        const price = previousClose;
        evaluator.push({ time, open: price, high: price, low: price, close: price, volume: 0 });
      }
    }
    this.#next = index;
    this.#nextTime = time;
    this.#previousClose = previousClose;
  }
}
