/**
 * Candle integrity: decides whether the candles an exchange sent can be
 * traded on, and returns the window of closed candles the strategy gets.
 *
 * Checks, in this order; the first failure aborts the cycle:
 *
 * 1. `INVALID_DATA`: a price that is not a positive finite number, high
 *    below low, open or close outside [low, high], a volume that is negative
 *    or not finite, or a time that is not finite.
 * 2. `MISALIGNED_DATA`: a time that is not a multiple of the interval, a
 *    duplicate time, or a time earlier than the row before it.
 * 3. Closed candles only. A candle is closed when
 *    `time + intervalMs <= slot` and `time + intervalMs <= exchangeNow`.
 *    Kraken sends the candle that is still open as its last row, but the
 *    decision comes from the timestamps and the exchange clock, never from
 *    the position of a row. Rows that are not closed are dropped and listed.
 * 4. `STALE_DATA`: the newest closed candle must be the one that opened at
 *    `slot - intervalMs`.
 * 5. Gap policy, then `DATA_GAP`. Kraken writes no row for an interval
 *    without trades. The newest `recentCandles` intervals (default 3) must
 *    all have a row, because the decision rests on them. Older missing
 *    intervals inside the window are filled with a flat candle: open, high,
 *    low and close equal the previous close and the volume is 0, because no
 *    trade means no price change. Filling happens only while the missing
 *    count is at most `maxMissingRatio` (default 0.05) × the window length;
 *    above that the cycle aborts. Every missing time in the window is
 *    listed in the report, filled or not. A row with zero volume and equal
 *    prices is present, so it is not a gap.
 * 6. `INSUFFICIENT_HISTORY`: the window, after filling, has fewer candles
 *    than the strategy requires.
 *
 * The window is the newest `historyCandles` intervals that closed before the
 * slot, oldest first, or fewer when the data starts later.
 *
 * @module
 */

import { CycleAbort } from "../cycle/reasons.ts";
import { findBadValue } from "./candle-values.ts";
import { MAX_HISTORY_CANDLES } from "./history-config.ts";
import {
  assertOptions,
  emptyReport,
  formatTime,
  type IntegrityOptions,
  type IntegrityReport,
  type IntegrityResult,
  resolvePolicy,
} from "./integrity-report.ts";
import type { Candle } from "./types.ts";

export { assertHistoryConfig, HistoryConfigError, MAX_HISTORY_CANDLES } from "./history-config.ts";
export {
  DEFAULT_GAP_POLICY,
  type GapPolicy,
  type IntegrityOptions,
  type IntegrityReport,
  type IntegrityResult,
} from "./integrity-report.ts";

function abort(
  reason: ConstructorParameters<typeof CycleAbort>[0],
  message: string,
  report: IntegrityReport,
  specific: Record<string, unknown> = {},
): never {
  throw new CycleAbort(reason, message, { ...report, ...specific });
}

/** Lists every row with an impossible value. */
function checkValues(raw: Candle[], report: IntegrityReport): void {
  for (const candle of raw) {
    const problem = findBadValue(candle);
    if (problem !== null) report.invalid.push(`${formatTime(candle.time)}: ${problem}`);
  }
  if (report.invalid.length > 0) {
    abort(
      "INVALID_DATA",
      `Candle check failed: ${report.invalid.length} row(s) have impossible values, first ` +
        `${report.invalid[0]}. The exchange data is corrupt; the cycle places no order.`,
      report,
    );
  }
}

/** Lists every row whose time is off the grid, repeated, or earlier than the row before. */
function checkAlignment(raw: Candle[], intervalMs: number, report: IntegrityReport): void {
  const problems: string[] = [];
  let previous = -Infinity;
  for (const { time } of raw) {
    let problem: string | null = null;
    if (time % intervalMs !== 0) problem = `not a multiple of ${intervalMs} ms`;
    else if (time === previous) problem = "duplicate";
    else if (time < previous) problem = `earlier than the row before it (${formatTime(previous)})`;
    if (problem !== null) {
      report.misaligned.push(formatTime(time));
      problems.push(`${formatTime(time)}: ${problem}`);
    }
    previous = Math.max(previous, time);
  }
  if (problems.length > 0) {
    abort(
      "MISALIGNED_DATA",
      `Candle check failed: ${problems.length} row(s) are misaligned, duplicated or out of ` +
        `order, first ${problems[0]}. The cycle places no order.`,
      report,
      { misalignedProblems: problems },
    );
  }
}

/**
 * Returns the number of leading rows that are closed. Rows are sorted at
 * this point, so every row after the first open one is open too.
 */
function countClosed(raw: Candle[], options: IntegrityOptions, report: IntegrityReport): number {
  const closeLimit = Math.min(options.slot, options.exchangeNow);
  let closed = 0;
  while (closed < raw.length && (raw[closed] as Candle).time + options.intervalMs <= closeLimit) {
    closed++;
  }
  for (let index = closed; index < raw.length; index++) {
    report.droppedOpen.push(formatTime((raw[index] as Candle).time));
  }
  report.closed = closed;
  return closed;
}

/** Aborts `STALE_DATA` unless the newest closed candle opened at slot - interval. */
function checkNewest(
  raw: Candle[],
  closed: number,
  options: IntegrityOptions,
  report: IntegrityReport,
) {
  const newest = closed > 0 ? (raw[closed - 1] as Candle).time : null;
  report.newestClosed = newest === null ? null : formatTime(newest);
  if (newest !== options.slot - options.intervalMs) {
    abort(
      "STALE_DATA",
      `Candle check failed: the newest closed candle is ${report.newestClosed ?? "missing"}, ` +
        `but slot ${report.slot} trades on the candle of ${report.expectedNewest}. The ` +
        `exchange has not published it or its clock (${report.exchangeNow}) is behind; ` +
        `the next cycle tries again.`,
      report,
    );
  }
}

/** Returns the index of the first row at or after `time` in rows sorted by time. */
function lowerBound(raw: Candle[], end: number, time: number): number {
  let low = 0;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((raw[middle] as Candle).time < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The window's place in the rows and on the time grid. */
interface WindowSpan {
  /** Index of the first row at or after `start`. */
  first: number;
  /** Number of closed rows; rows from this index on are not closed. */
  stop: number;
  /** Open time of the first and the last interval in the window. */
  start: number;
  end: number;
  /** Intervals from start to end. */
  length: number;
  intervalMs: number;
}

/** Returns the open times in the window that have no closed row, oldest first. */
function findMissing(raw: Candle[], span: WindowSpan): number[] {
  const missing: number[] = [];
  let index = span.first;
  for (let time = span.start; time <= span.end; time += span.intervalMs) {
    if (index < span.stop && (raw[index] as Candle).time === time) index++;
    else missing.push(time);
  }
  return missing;
}

/** Applies the gap policy; aborts `DATA_GAP` for a recent gap or too many gaps. */
function checkGaps(missing: number[], options: IntegrityOptions, report: IntegrityReport): void {
  const recentFrom = options.slot - report.recentCandles * options.intervalMs;
  const recentMissing = missing.filter((time) => time >= recentFrom).map(formatTime);
  if (recentMissing.length > 0) {
    abort(
      "DATA_GAP",
      `Candle check failed: no candle for ${recentMissing.join(", ")}, within the newest ` +
        `${report.recentCandles} closed intervals that the gap policy never fills. The ` +
        `cycle places no order.`,
      report,
      { recentMissing },
    );
  }
  if (missing.length > report.maxMissing) {
    abort(
      "DATA_GAP",
      `Candle check failed: ${missing.length} of ${report.windowLength} intervals in the ` +
        `window have no candle, more than the ${report.maxMissing} the gap policy fills. ` +
        `The cycle places no order.`,
      report,
    );
  }
}

/** Builds the window from the closed rows, filling each missing interval flat. */
function fillWindow(raw: Candle[], span: WindowSpan): Candle[] {
  const window: Candle[] = new Array(span.length);
  let index = span.first;
  // A missing first interval takes the close of the row before the window. That row exists
  // because the window starts at the oldest row or later.
  let previousClose = span.first > 0 ? (raw[span.first - 1] as Candle).close : NaN;
  for (let position = 0; position < span.length; position++) {
    const time = span.start + position * span.intervalMs;
    const row = raw[index];
    let candle: Candle;
    if (index < span.stop && row !== undefined && row.time === time) {
      candle = row;
      index++;
    } else {
      const price = previousClose;
      candle = { time, open: price, high: price, low: price, close: price, volume: 0 };
    }
    window[position] = candle;
    previousClose = candle.close;
  }
  return window;
}

/**
 * Checks the candles an exchange sent for one slot and returns the closed,
 * gap-filled window the strategy gets, oldest first, with a report of what
 * was dropped, missing and filled. The input is not modified; the window
 * shares its present rows with it. Throws `CycleAbort` with reason
 * INVALID_DATA, MISALIGNED_DATA, STALE_DATA, DATA_GAP or
 * INSUFFICIENT_HISTORY, with the report in `details`; throws `RangeError`
 * for options that cannot describe a slot.
 */
export function checkCandles(raw: Candle[], options: IntegrityOptions): IntegrityResult {
  assertOptions(options);
  const policy = resolvePolicy(options);
  const { slot, intervalMs, historyCandles, requiredCandles } = options;
  const report = emptyReport(raw, options, policy);

  checkValues(raw, report);
  checkAlignment(raw, intervalMs, report);
  const closed = countClosed(raw, options, report);
  checkNewest(raw, closed, options, report);

  const end = slot - intervalMs;
  const start = Math.max(slot - historyCandles * intervalMs, (raw[0] as Candle).time);
  const span: WindowSpan = {
    first: lowerBound(raw, closed, start),
    stop: closed,
    start,
    end,
    length: (end - start) / intervalMs + 1,
    intervalMs,
  };
  const { length } = span;
  report.windowStart = formatTime(start);
  report.windowEnd = formatTime(end);
  report.windowLength = length;
  report.maxMissing = Math.floor(policy.maxMissingRatio * length + 1e-9);

  const missing = findMissing(raw, span);
  report.missing = missing.map(formatTime);
  checkGaps(missing, options, report);

  if (length < requiredCandles) {
    abort(
      "INSUFFICIENT_HISTORY",
      `Candle check failed: the window has ${length} closed candles and the strategy ` +
        `requires ${requiredCandles}. Kraken serves at most ${MAX_HISTORY_CANDLES} closed ` +
        `candles; choose strategy periods that fit, or wait until the market has more history.`,
      report,
      { available: length, required: requiredCandles },
    );
  }

  const window = fillWindow(raw, span);
  report.filled = report.missing.slice();
  report.used = window.length;
  return { window, report };
}
