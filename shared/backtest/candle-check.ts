/**
 * The live cycle's candle check (`checkCandles` in `market/integrity.ts`),
 * computed for consecutive slots of one candle series in O(1) amortized time
 * per slot instead of O(window).
 *
 * The live cycle requests OHLC rows from the exchange at
 * `slot + dispatchDelayMs` and checks them. Replay's exchange (the candle tape) returns the newest
 * `ohlcMaxRows` rows: the closed ones, then the still-open candle of the slot
 * as a one-price row when the series has it. This class derives the same
 * verdict from indices into the series, which only move forward as the slot
 * advances. The parity tests hold it equal to `checkCandles` on those rows.
 *
 * @module
 */

import type { AbortReason } from "../cycle/reasons.ts";
import { findBadValue } from "../market/candle-values.ts";
import { assertOptions, type GapPolicy, resolvePolicy } from "../market/integrity-report.ts";
import type { Candle } from "../market/types.ts";

export interface CandleCheckOptions {
  /** Candle interval in ms, 900000 for 15-minute candles. */
  intervalMs: number;
  /** Closed candles the cycle wants in its window (TITAN_HISTORY_CANDLES). */
  historyCandles: number;
  /** Closed candles the strategy needs. */
  requiredCandles: number;
  gapPolicy?: Partial<GapPolicy>;
  /** Delay from a slot's start to the exchange request, in ms; 0 or more, below intervalMs. */
  dispatchDelayMs: number;
  /** Rows one OHLC request returns at most (Kraken: 720, the newest of them still open). */
  ohlcMaxRows: number;
}

/** Raised for a candle series that no exchange could have returned. */
export class CandleSeriesError extends Error {
  override readonly name = "CandleSeriesError";
}

/**
 * Checks one slot after another, so `check` must be called with strictly
 * increasing slots. After a check that passes, `windowStart` and
 * `windowLength` describe the window the live cycle would hand the strategy.
 */
export class IncrementalCandleCheck {
  readonly #candles: readonly Candle[];
  readonly #options: CandleCheckOptions;
  readonly #policy: GapPolicy;
  /** `#badBefore[i]` counts rows before index i that `findBadValue` rejects. */
  readonly #badBefore: Int32Array;
  /** `#badOpen[i]` is 1 when row i, seen while still open (one price), is rejected. */
  readonly #badOpen: Uint8Array;
  #closedEnd = 0;
  #windowFirst = 0;
  #recentFirst = 0;
  #lastSlot = -Infinity;

  /** Open time of the window's first interval, after a check that passed. */
  windowStart = Number.NaN;
  /** Intervals in the window, present or filled, after a check that passed. */
  windowLength = 0;

  /**
   * @throws {CandleSeriesError} when the candles are not strictly increasing
   *   and aligned to `intervalMs`, as the candle tape requires.
   * @throws {RangeError} for options that `checkCandles` rejects.
   */
  constructor(candles: readonly Candle[], options: CandleCheckOptions) {
    const { intervalMs, dispatchDelayMs, ohlcMaxRows } = options;
    assertOptions({ ...options, slot: 0, exchangeNow: 0 });
    this.#policy = resolvePolicy({ ...options, slot: 0, exchangeNow: 0 });
    if (
      !(Number.isInteger(dispatchDelayMs) && dispatchDelayMs >= 0 && dispatchDelayMs < intervalMs)
    ) {
      throw new RangeError(
        `Invalid dispatchDelayMs ${dispatchDelayMs}: expected a whole number of ms from 0 to ` +
          `${intervalMs - 1}.`,
      );
    }
    if (!Number.isInteger(ohlcMaxRows) || ohlcMaxRows < 2) {
      throw new RangeError(`Invalid ohlcMaxRows ${ohlcMaxRows}: expected an integer of 2 or more.`);
    }
    this.#candles = candles;
    this.#options = options;
    const { badBefore, badOpen } = scanSeries(candles, intervalMs);
    this.#badBefore = badBefore;
    this.#badOpen = badOpen;
  }

  /** Number of rows closed at the last checked slot; the newest closed row is at this - 1. */
  get closedEnd(): number {
    return this.#closedEnd;
  }

  /**
   * Returns the abort reason `checkCandles` gives for `slot`, or null when
   * the slot's window passes. Throws `RangeError` for a slot that is not
   * after the previous one or not on the interval grid.
   */
  check(slot: number): AbortReason | null {
    const { intervalMs, historyCandles, requiredCandles } = this.#options;
    const last = this.#lastSlot;
    const onGrid = last === -Infinity ? slot % intervalMs === 0 : (slot - last) % intervalMs === 0;
    if (!(slot > last) || !onGrid) {
      throw new RangeError(
        `Invalid slot ${slot}: expected a multiple of ${intervalMs} after ${this.#lastSlot}.`,
      );
    }
    this.#lastSlot = slot;
    const candles = this.#candles;
    const now = slot + this.#options.dispatchDelayMs;

    // Rows closed by the tape's clock: time + interval <= now, which for a delay
    // below one interval are the rows that opened at slot - interval or before.
    let closedEnd = this.#closedEnd;
    while (closedEnd < candles.length && (candles[closedEnd] as Candle).time + intervalMs <= now) {
      closedEnd++;
    }
    this.#closedEnd = closedEnd;
    const openRow = candles[closedEnd];
    const hasOpen = openRow !== undefined && openRow.time <= now;
    const rowLimit = hasOpen ? this.#options.ohlcMaxRows - 1 : this.#options.ohlcMaxRows;
    const rawFirst = Math.max(0, closedEnd - rowLimit);

    const bad = (this.#badBefore[closedEnd] as number) - (this.#badBefore[rawFirst] as number);
    if (bad > 0 || (hasOpen && this.#badOpen[closedEnd] === 1)) return "INVALID_DATA";

    const end = slot - intervalMs;
    const newest = candles[closedEnd - 1];
    if (newest === undefined || newest.time !== end) return "STALE_DATA";

    const start = Math.max(slot - historyCandles * intervalMs, (candles[rawFirst] as Candle).time);
    const length = (end - start) / intervalMs + 1;
    this.#windowFirst = this.#advanceTo(this.#windowFirst, start, closedEnd);
    const missing = length - (closedEnd - this.#windowFirst);

    const recentStart = Math.max(start, slot - this.#policy.recentCandles * intervalMs);
    this.#recentFirst = this.#advanceTo(this.#recentFirst, recentStart, closedEnd);
    const recentIntervals = (end - recentStart) / intervalMs + 1;
    if (recentIntervals - (closedEnd - this.#recentFirst) > 0) return "DATA_GAP";
    // The same expression as `checkCandles`, so both round the limit alike.
    const maxMissing = Math.floor(this.#policy.maxMissingRatio * length + 1e-9);
    if (missing > maxMissing) return "DATA_GAP";
    if (length < requiredCandles) return "INSUFFICIENT_HISTORY";

    this.windowStart = start;
    this.windowLength = length;
    return null;
  }

  /** Moves `index` forward to the first row at or after `time`, stopping at `end`. */
  #advanceTo(index: number, time: number, end: number): number {
    const candles = this.#candles;
    let position = index;
    while (position < end && (candles[position] as Candle).time < time) position++;
    return position;
  }
}

/**
 * Checks that the rows are aligned and strictly increasing, as the candle
 * tape requires, and marks the rows `findBadValue` rejects, as closed rows
 * and as still-open ones. Throws `CandleSeriesError` for a misplaced row.
 */
function scanSeries(candles: readonly Candle[], intervalMs: number) {
  const badBefore = new Int32Array(candles.length + 1);
  const badOpen = new Uint8Array(candles.length);
  let count = 0;
  let previous = Number.NaN;
  for (let index = 0; index < candles.length; index++) {
    const candle = candles[index] as Candle;
    assertPlaced(candle.time, previous, index, intervalMs);
    previous = candle.time;
    if (!isSurelyValid(candle) && findBadValue(candle) !== null) count++;
    badBefore[index + 1] = count;
    const openOk = isPositivePrice(candle.open) || findBadValue(openingView(candle)) === null;
    badOpen[index] = openOk ? 0 : 1;
  }
  return { badBefore, badOpen };
}

/**
 * Throws unless `time` is on the interval grid and after `previous` (NaN for
 * the first row). After an aligned row, a step that is a positive multiple
 * of the interval keeps the grid, and that remainder is a small integer,
 * cheaper to take than the remainder of an epoch time.
 */
function assertPlaced(time: number, previous: number, index: number, intervalMs: number): void {
  const aligned = Number.isNaN(previous)
    ? Number.isInteger(time) && time % intervalMs === 0
    : time > previous && (time - previous) % intervalMs === 0;
  if (aligned) return;
  throw new CandleSeriesError(
    `Invalid candle ${index}: open time ${time} must be a multiple of ${intervalMs} ms and ` +
      `after the previous row's ${previous}. Sort the candles and align them to the interval.`,
  );
}

function isPositivePrice(value: number): boolean {
  return value > 0 && value < Infinity;
}

/**
 * Returns true only for a candle that `findBadValue` accepts, and allocates
 * nothing. Rows it does not accept go to `findBadValue`, which decides.
 */
function isSurelyValid(candle: Candle): boolean {
  const { open, high, low, close, volume } = candle;
  return Number.isFinite(candle.time) && isPositivePrice(open) && isPositivePrice(high) &&
    isPositivePrice(low) && isPositivePrice(close) && high >= low && open >= low &&
    open <= high && close >= low && close <= high && volume >= 0 && volume < Infinity;
}

/** The still-open candle as the tape returns it: its open price, no volume. */
function openingView(candle: Candle): Candle {
  const price = candle.open;
  return { time: candle.time, open: price, high: price, low: price, close: price, volume: 0 };
}
