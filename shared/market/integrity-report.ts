/**
 * Options and report of the candle integrity check in `integrity.ts`, and
 * the validation of those options.
 *
 * @module
 */

import type { Candle } from "./types.ts";

export interface GapPolicy {
  /** Newest closed intervals that must all have a row. A gap among them aborts. */
  recentCandles: number;
  /** Largest fraction of the window that may be filled with flat candles. */
  maxMissingRatio: number;
}

export const DEFAULT_GAP_POLICY: GapPolicy = { recentCandles: 3, maxMissingRatio: 0.05 };

export interface IntegrityOptions {
  /** Slot start in ms since the epoch; the slot's decision uses candles closed by then. */
  slot: number;
  /** Exchange clock in ms since the epoch. */
  exchangeNow: number;
  /** Candle interval in ms, 900000 for 15-minute candles. */
  intervalMs: number;
  /** Closed candles the cycle wants in its window. */
  historyCandles: number;
  /** Closed candles the strategy needs. */
  requiredCandles: number;
  gapPolicy?: Partial<GapPolicy>;
}

/** Findings of one check, as plain JSON with times as ISO 8601 strings. */
export interface IntegrityReport {
  /** Rows received. */
  received: number;
  /** Rows that are closed at the slot by both clocks. */
  closed: number;
  /** Candles in the returned window, filled ones included; 0 on abort. */
  used: number;
  /** Times of rows dropped because they were not closed. */
  droppedOpen: string[];
  /** Every interval in the window without a row, oldest first. */
  missing: string[];
  /** Missing intervals filled with a flat candle. */
  filled: string[];
  /** Times of rows that are misaligned, duplicated or out of order. */
  misaligned: string[];
  /** Rows with impossible values, each as "time: problem". */
  invalid: string[];
  /** Open time of the newest closed candle, or null when none is closed. */
  newestClosed: string | null;
  /** Open time the newest closed candle must have: slot - interval. */
  expectedNewest: string;
  /** First and last open time of the window, or null before the window is known. */
  windowStart: string | null;
  windowEnd: string | null;
  /** Intervals from windowStart to windowEnd, present or missing. */
  windowLength: number;
  slot: string;
  exchangeNow: string;
  intervalMs: number;
  historyCandles: number;
  requiredCandles: number;
  recentCandles: number;
  /** Maximum number of missing intervals the gap policy fills in this window. */
  maxMissing: number;
}

export interface IntegrityResult {
  window: Candle[];
  report: IntegrityReport;
}

/** Formats a time for the report, or writes it as it is when it is not a valid date. */
export function formatTime(time: number): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}

export function resolvePolicy(options: IntegrityOptions): GapPolicy {
  const policy = { ...DEFAULT_GAP_POLICY, ...options.gapPolicy };
  const { recentCandles, maxMissingRatio } = policy;
  if (!Number.isInteger(recentCandles) || recentCandles < 1) {
    throw new RangeError(
      `Invalid gapPolicy.recentCandles ${recentCandles}: expected an integer of 1 or more.`,
    );
  }
  if (!(maxMissingRatio >= 0 && maxMissingRatio < 1)) {
    throw new RangeError(
      `Invalid gapPolicy.maxMissingRatio ${maxMissingRatio}: expected a number in [0, 1).`,
    );
  }
  return policy;
}

export function assertOptions(options: IntegrityOptions): void {
  const { slot, exchangeNow, intervalMs, historyCandles, requiredCandles } = options;
  if (!Number.isInteger(intervalMs) || intervalMs <= 0) {
    throw new RangeError(`Invalid intervalMs ${intervalMs}: expected a positive integer.`);
  }
  if (!Number.isInteger(slot) || slot % intervalMs !== 0) {
    throw new RangeError(`Invalid slot ${slot}: expected a multiple of intervalMs ${intervalMs}.`);
  }
  if (!Number.isFinite(exchangeNow)) {
    throw new RangeError(`Invalid exchangeNow ${exchangeNow}: expected a time in ms.`);
  }
  for (
    const [name, value] of [["historyCandles", historyCandles], [
      "requiredCandles",
      requiredCandles,
    ]]
  ) {
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new RangeError(`Invalid ${name} ${value}: expected a positive integer.`);
    }
  }
}

export function emptyReport(
  raw: Candle[],
  options: IntegrityOptions,
  policy: GapPolicy,
): IntegrityReport {
  return {
    received: raw.length,
    closed: 0,
    used: 0,
    droppedOpen: [],
    missing: [],
    filled: [],
    misaligned: [],
    invalid: [],
    newestClosed: null,
    expectedNewest: formatTime(options.slot - options.intervalMs),
    windowStart: null,
    windowEnd: null,
    windowLength: 0,
    slot: formatTime(options.slot),
    exchangeNow: formatTime(options.exchangeNow),
    intervalMs: options.intervalMs,
    historyCandles: options.historyCandles,
    requiredCandles: options.requiredCandles,
    recentCandles: policy.recentCandles,
    maxMissing: 0,
  };
}
