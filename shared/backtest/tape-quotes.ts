/**
 * The candle tape's quote model (`CandleTape.quoteAt` in the simulator),
 * computed without a decimal string per price on the common path.
 *
 * The model: the book is symmetric around the last trade price, bid =
 * last - last × spreadBps / 2 / 10000 and ask = last + the same, then the
 * bid is rounded down and the ask up to `priceDecimals`. The tape rounds
 * with `Math.floor(Number((value × 10^decimals).toPrecision(12)))`. The
 * 12-digit cut moves the scaled value by less than value × 1e-11, so away
 * from a whole number it cannot change the floor or ceiling, and this
 * module skips it there. Near a whole number it runs the tape's expression.
 * The last trade price is the tape's `lastPriceAt`, found with a cursor that
 * moves forward with the clock instead of a binary search per quote. A test
 * checks both are equal on every slot of a real candle file.
 *
 * @module
 */

import type { Candle, Quote } from "../market/types.ts";

/** Relative bound on how far `toPrecision(12)` moves a value. */
const CUT_BOUND = 1e-11;

/**
 * Returns a function equal to `new CandleTape(candles, intervalMs)
 * .quoteAt(nowMs, spreadBps, priceDecimals)` for candles sorted by open
 * time. It throws `RangeError` where the tape has no price yet, and the
 * tape throws `TapeError` there. A cycle never requests that quote, because
 * it aborts STALE_DATA first.
 */
export function createTapeQuotes(
  candles: readonly Candle[],
  intervalMs: number,
  spreadBps: number,
  priceDecimals: number,
): (nowMs: number) => Quote {
  if (!(spreadBps >= 0)) {
    throw new RangeError(`Invalid spreadBps ${spreadBps}: expected a number of 0 or more.`);
  }
  const scale = 10 ** priceDecimals;
  const lastPriceAt = createLastPriceCursor(candles, intervalMs);
  return (nowMs) => {
    const last = lastPriceAt(nowMs);
    if (last === undefined) {
      throw new RangeError(
        `No price at ${new Date(nowMs).toISOString()}: no candle has opened yet.`,
      );
    }
    const halfSpread = (last * spreadBps) / 2 / 10_000;
    if (spreadBps === 0) {
      return { bid: last - halfSpread, ask: last + halfSpread, last, time: nowMs };
    }
    const bid = roundScaled((last - halfSpread) * scale, Math.floor) / scale;
    const ask = roundScaled((last + halfSpread) * scale, Math.ceil) / scale;
    return { bid, ask, last, time: nowMs };
  };
}

/**
 * Returns the tape's last trade price at a time: the open of the candle
 * whose interval contains it, else the close of the newest closed candle.
 */
function createLastPriceCursor(candles: readonly Candle[], intervalMs: number) {
  /** Number of candles that opened at or before the previous time asked. */
  let opened = 0;
  let previousNow = -Infinity;
  return (nowMs: number): number | undefined => {
    if (nowMs < previousNow) opened = 0;
    previousNow = nowMs;
    while (opened < candles.length && (candles[opened] as Candle).time <= nowMs) opened++;
    const newest = candles[opened - 1];
    if (newest === undefined) return undefined;
    return newest.time + intervalMs > nowMs ? newest.open : newest.close;
  };
}

/** `round(Number(scaled.toPrecision(12)))`, skipping the string where it cannot matter. */
function roundScaled(scaled: number, round: (value: number) => number): number {
  const whole = Math.floor(scaled);
  const fraction = scaled - whole;
  const bound = Math.abs(scaled) * CUT_BOUND;
  if (fraction > bound && fraction < 1 - bound) return round(scaled);
  return round(Number(scaled.toPrecision(12)));
}
