/**
 * A candle tape: historical candles replayed at a simulated clock.
 *
 * The Kraken simulator and the in-process historical source both read
 * candles and quotes through `ohlcAt` and `quoteAt`, so a cycle gets the same
 * numbers over HTTP as in a backtest.
 *
 * @module
 */

import type { Candle, Quote } from "../shared/market/types.ts";
import { SLOT_MS } from "../shared/time/slots.ts";

/** Kraken's OHLC endpoint returns at most this many rows, newest last. */
export const KRAKEN_OHLC_MAX_ROWS = 720;

/** Raised for candles a tape cannot replay, or a question it cannot answer. */
export class TapeError extends Error {
  override name = "TapeError";
}

/**
 * Candles sorted by open time, all aligned to one interval, with gaps where
 * no trade happened. Times are in ms since the epoch.
 */
export class CandleTape {
  readonly intervalMs: number;
  /** Open time of the first candle. */
  readonly firstTime: number;
  /** Open time of the last candle. */
  readonly lastTime: number;
  readonly #candles: readonly Candle[];

  /**
   * @throws {TapeError} when `candles` is empty, not strictly increasing, or
   *   has an open time not aligned to `intervalMs`.
   */
  constructor(candles: readonly Candle[], intervalMs: number = SLOT_MS) {
    const first = candles[0];
    const last = candles[candles.length - 1];
    if (first === undefined || last === undefined) {
      throw new TapeError("build candle tape: no candles; expected at least one candle");
    }
    checkOrder(candles, intervalMs);
    this.intervalMs = intervalMs;
    this.firstTime = first.time;
    this.lastTime = last.time;
    this.#candles = candles;
  }

  /** Number of candles on the tape. */
  get length(): number {
    return this.#candles.length;
  }

  /** Returns the candle whose interval contains `timeMs`, or undefined for a gap. */
  candleAt(timeMs: number): Candle | undefined {
    const candle = this.#candles[this.#firstIndexFrom(timeMs - this.intervalMs + 1)];
    return candle !== undefined && candle.time <= timeMs ? candle : undefined;
  }

  /**
   * Returns the newest `maxRows` candles that closed at or before `nowMs`
   * (`time + intervalMs <= nowMs`), oldest first.
   */
  closedBefore(nowMs: number, maxRows: number): Candle[] {
    const end = this.#firstIndexFrom(nowMs - this.intervalMs + 1);
    return this.#candles.slice(Math.max(0, end - Math.max(0, maxRows)), end);
  }

  /**
   * Returns the rows Kraken's OHLC endpoint would return at `nowMs`, oldest
   * first: closed candles, then the still-open candle when the tape has one
   * for the interval containing `nowMs`. At most `maxRows` rows, the newest.
   *
   * The open candle is the part of it that has happened at its open, so open,
   * high, low and close are its open price and the volume is 0. Intervals
   * without trades have no row, as on Kraken.
   */
  ohlcAt(nowMs: number, maxRows: number = KRAKEN_OHLC_MAX_ROWS): Candle[] {
    const open = this.candleAt(nowMs);
    if (open === undefined) return this.closedBefore(nowMs, maxRows);
    if (maxRows <= 0) return [];

    const rows = this.closedBefore(nowMs, maxRows - 1);
    rows.push(openingView(open));
    return rows;
  }

  /**
   * Returns the OHLC rows at `nowMs` whose open time is at or after
   * `fromMs`, without the row limit; for 24-hour ticker statistics.
   */
  ohlcSince(fromMs: number, nowMs: number): Candle[] {
    const rowsVisible = this.#firstIndexFrom(nowMs + 1) - this.#firstIndexFrom(fromMs);
    return this.ohlcAt(nowMs, Math.max(0, rowsVisible)).filter((row) => row.time >= fromMs);
  }

  /**
   * Returns the price of the last trade known at `nowMs`: the open of the
   * candle containing `nowMs`, else the close of the newest closed candle.
   * Undefined before the first candle opens.
   */
  lastPriceAt(nowMs: number): number | undefined {
    const open = this.candleAt(nowMs);
    if (open !== undefined) return open.open;
    return this.closedBefore(nowMs, 1)[0]?.close;
  }

  /**
   * Returns the quote at `nowMs`. The model: `last` is `lastPriceAt(nowMs)`,
   * and the book is symmetric around it, with bid = last - last * spreadBps /
   * 2 / 10000 and ask = last + last * spreadBps / 2 / 10000. When
   * `priceDecimals` is given, the bid is rounded down and the ask up to that
   * many decimals, because a real book sits on the tick. With `spreadBps > 0`
   * and `last` on the tick, they are then at least one tick away from `last`.
   *
   * @throws {TapeError} when `nowMs` is before the first candle opens, or
   *   `spreadBps` is negative.
   */
  quoteAt(nowMs: number, spreadBps: number, priceDecimals?: number): Quote {
    if (!(spreadBps >= 0)) {
      throw new TapeError(`quote: spreadBps ${spreadBps} is invalid; expected a number >= 0`);
    }
    const last = this.lastPriceAt(nowMs);
    if (last === undefined) {
      const first = new Date(this.firstTime).toISOString();
      throw new TapeError(
        `quote at ${new Date(nowMs).toISOString()}: no candle yet, the tape starts at ` +
          `${first}; set the clock at or after the first candle`,
      );
    }

    const halfSpread = (last * spreadBps) / 2 / 10_000;
    if (priceDecimals === undefined || spreadBps === 0) {
      return { bid: last - halfSpread, ask: last + halfSpread, last, time: nowMs };
    }
    const bid = roundToDecimals(last - halfSpread, priceDecimals, Math.floor);
    const ask = roundToDecimals(last + halfSpread, priceDecimals, Math.ceil);
    return { bid, ask, last, time: nowMs };
  }

  /** Index of the first candle with `time >= timeMs` (binary search). */
  #firstIndexFrom(timeMs: number): number {
    let low = 0;
    let high = this.#candles.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const candle = this.#candles[middle];
      if (candle !== undefined && candle.time < timeMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function checkOrder(candles: readonly Candle[], intervalMs: number): void {
  let previous = -Infinity;
  for (let i = 0; i < candles.length; i++) {
    const time = candles[i]?.time ?? NaN;
    if (!Number.isInteger(time) || time % intervalMs !== 0) {
      throw new TapeError(
        `build candle tape: candle ${i} open time ${time} is not aligned to ` +
          `${intervalMs} ms; expected whole multiples of the interval`,
      );
    }
    if (time <= previous) {
      throw new TapeError(
        `build candle tape: candle ${i} open time ${time} is not after ${previous}; ` +
          "expected strictly increasing open times",
      );
    }
    previous = time;
  }
}

/** Returns the open candle as known at its open: one price, no volume yet. */
function openingView(candle: Candle): Candle {
  const price = candle.open;
  return { time: candle.time, open: price, high: price, low: price, close: price, volume: 0 };
}

/**
 * Rounds to `decimals` places in the direction of `round`. The product is
 * first cut to 12 significant digits, so float noise such as
 * 165149.00000000003 does not move a price that is already on the tick.
 */
function roundToDecimals(value: number, decimals: number, round: (x: number) => number): number {
  const scale = 10 ** decimals;
  return round(Number((value * scale).toPrecision(12))) / scale;
}
