/**
 * Parser for 15-minute candle files, the input of the Kraken simulator,
 * replay and backtest.
 *
 * Two formats are accepted:
 *
 * - `timestamp_ms,open,high,low,close,volume` as a header line, then one row
 *   per candle with its open time in milliseconds;
 * - Kraken's downloadable OHLCVT archive: no header, rows
 *   `unix_seconds,open,high,low,close,volume,trades`.
 *
 * @module
 */

import { SLOT_MS } from "../time/slots.ts";
import type { Candle } from "./types.ts";

/** Header line of the millisecond format. */
export const CANDLE_FILE_HEADER = "timestamp_ms,open,high,low,close,volume";

const KRAKEN_OHLCVT_ROW = "unix_seconds,open,high,low,close,volume,trades";

/**
 * Timestamps at or above this value (1973-03-03 in ms, year 5138 in seconds)
 * are taken to be milliseconds, so a file in the wrong unit is rejected.
 */
const MIN_TIMESTAMP_MS = 1e11;

/** Raised for a candle file that is not in one of the accepted formats. */
export class CandleFileError extends Error {
  override name = "CandleFileError";
}

interface FileFormat {
  /** Column list that messages show, for example `timestamp_ms,open,...`. */
  row: string;
  columns: number;
  names: string[];
  /** Multiplier from the file's timestamp unit to milliseconds. */
  toMs: number;
}

const MS_FORMAT: FileFormat = {
  row: CANDLE_FILE_HEADER,
  columns: 6,
  names: CANDLE_FILE_HEADER.split(","),
  toMs: 1,
};
const OHLCVT_FORMAT: FileFormat = {
  row: KRAKEN_OHLCVT_ROW,
  columns: 7,
  names: KRAKEN_OHLCVT_ROW.split(","),
  toMs: 1000,
};

/**
 * Parses a candle file into candles sorted by open time.
 *
 * `source` names the file in error messages. Trailing blank lines and
 * `\r\n` line ends are accepted; any other blank line is not. Rows must have
 * finite numbers, positive prices, `low <= open, close <= high`, a
 * non-negative volume, and open times aligned to 15 minutes and strictly
 * increasing. Intervals without trades may be missing, as in Kraken's files.
 *
 * @throws {CandleFileError} naming the source, the 1-based line, the problem
 *   and what was expected.
 */
export function parseCandleFile(text: string, source: string): Candle[] {
  const bodyStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const bodyEnd = text.trimEnd().length;
  if (bodyEnd <= bodyStart) {
    throw new CandleFileError(
      `${source} line 1: the file is empty; expected the header ${CANDLE_FILE_HEADER} ` +
        `and rows, or Kraken OHLCVT rows ${KRAKEN_OHLCVT_ROW}`,
    );
  }

  const firstEnd = lineEnd(text, bodyStart, bodyEnd);
  const format = detectFormat(text.slice(bodyStart, firstEnd), source);
  let start = format === MS_FORMAT ? firstEnd + 1 : bodyStart;
  if (start >= bodyEnd) {
    throw new CandleFileError(
      `${source} line 2: the file has a header but no rows; expected at least one row ` +
        format.row,
    );
  }

  const candles: Candle[] = [];
  const values = new Array<number>(format.columns).fill(0);
  let line = format === MS_FORMAT ? 2 : 1;
  let previousTime = -Infinity;
  while (start < bodyEnd) {
    const end = lineEnd(text, start, bodyEnd);
    const candle = parseRow({ text, start, end, line, source }, format, values);
    if (candle.time <= previousTime) {
      throw rowError(source, line, notIncreasing(candle.time, previousTime));
    }
    previousTime = candle.time;
    candles.push(candle);
    line++;
    start = end + 1;
  }
  return candles;
}

/** Index of the `\n` that ends the line at `start`, or `bodyEnd`. */
function lineEnd(text: string, start: number, bodyEnd: number): number {
  const next = text.indexOf("\n", start);
  return next < 0 || next > bodyEnd ? bodyEnd : next;
}

function detectFormat(firstLine: string, source: string): FileFormat {
  if (firstLine.trim() === CANDLE_FILE_HEADER) return MS_FORMAT;

  const columns = firstLine.split(",").length;
  const startsWithDigit = /^\s*\d/.test(firstLine);
  if (startsWithDigit && columns === OHLCVT_FORMAT.columns) return OHLCVT_FORMAT;

  const found = startsWithDigit
    ? `a row of ${columns} columns without a header`
    : `the header "${firstLine.slice(0, 80)}"`;
  throw new CandleFileError(
    `${source} line 1: found ${found}; expected the header ${CANDLE_FILE_HEADER}, ` +
      `or headerless Kraken OHLCVT rows ${KRAKEN_OHLCVT_ROW}`,
  );
}

function rowError(source: string, line: number, problem: string): CandleFileError {
  return new CandleFileError(`${source} line ${line}: ${problem}`);
}

interface RowSpan {
  text: string;
  start: number;
  /** Index of the `\n` that ends the row, or the end of the body. */
  end: number;
  line: number;
  source: string;
}

/**
 * Reads the comma-separated numbers of one row into `values`, then checks
 * them. Scanning the text in place, without splitting, keeps a 26,000-row
 * file well under 50 ms.
 */
function parseRow(row: RowSpan, format: FileFormat, values: number[]): Candle {
  const { text, end } = row;
  const blank = row.start === end ||
    (text.charCodeAt(row.start) <= 32 && text.slice(row.start, end).trim() === "");
  if (blank) {
    throw rowError(row.source, row.line, `is blank; expected a row ${format.row}`);
  }

  let column = 0;
  let start = row.start;
  while (start <= end) {
    let comma = text.indexOf(",", start);
    if (comma < 0 || comma > end) comma = end;
    if (column < format.columns) {
      const fast = parsePlainDecimal(text, start, comma);
      values[column] = Number.isNaN(fast)
        ? readNumber(text.slice(start, comma), format, column, row)
        : fast;
    }
    column++;
    start = comma + 1;
  }
  if (column !== format.columns) {
    const problem = `has ${column} columns; expected a row ${format.row}`;
    throw rowError(row.source, row.line, problem);
  }
  return checkRow(values, format, row.line, row.source);
}

const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13];

/**
 * Parses `[-]digits[.digits]` with at most 15 digits, or returns NaN for
 * anything else. An integer of 15 digits or fewer and a power of ten up to
 * 1e13 are exact doubles, so one division rounds the same as `Number()`.
 */
function parsePlainDecimal(text: string, start: number, end: number): number {
  let position = start;
  const negative = text.charCodeAt(position) === 45;
  if (negative) position++;

  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; position < end; position++) {
    const code = text.charCodeAt(position);
    if (code >= 48 && code <= 57) {
      mantissa = mantissa * 10 + (code - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (code === 46 && decimals < 0) {
      decimals = 0;
    } else {
      return NaN;
    }
  }

  const scale = POWERS_OF_TEN[decimals < 0 ? 0 : decimals];
  if (digits === 0 || digits > 15 || decimals === 0 || scale === undefined) return NaN;
  const value = mantissa / scale;
  return negative ? -value : value;
}

/** Parses a field the fast path skipped: whitespace, exponents, long numbers or errors. */
function readNumber(field: string, format: FileFormat, column: number, row: RowSpan): number {
  const value = Number(field);
  // Number("") and Number("  ") are 0, so a zero needs a second look.
  if (Number.isFinite(value) && (value !== 0 || /\d/.test(field))) return value;

  const trimmed = field.trim();
  const problem = trimmed === "" ? "is empty" : `"${trimmed.slice(0, 40)}" is not a number`;
  const message = `${format.names[column]} ${problem}; expected a row ${format.row}`;
  throw rowError(row.source, row.line, message);
}

function checkRow(values: number[], format: FileFormat, line: number, source: string): Candle {
  const [stamp = 0, open = 0, high = 0, low = 0, close = 0, volume = 0] = values;
  const time = checkTimestamp(stamp, format, line, source);
  const valid =
    open > 0 && low > 0 && low <= high && open >= low && open <= high &&
    close >= low && close <= high && volume >= 0;
  const trades = values[6];
  if (valid && (trades === undefined || (trades >= 0 && Number.isInteger(trades)))) {
    return { time, open, high, low, close, volume };
  }

  const expectRow = `expected a row ${format.row}`;
  const problem = findProblem({ open, high, low, close, volume, trades });
  throw rowError(source, line, `${problem}; ${expectRow}`);
}

function checkTimestamp(stamp: number, format: FileFormat, line: number, source: string): number {
  const name = format.toMs === 1 ? "timestamp_ms" : "unix_seconds";
  if (!Number.isInteger(stamp) || stamp < 0) {
    const problem = `${name} ${stamp} is not a whole number >= 0`;
    throw rowError(source, line, `${problem}; expected a row ${format.row}`);
  }

  const inMs = stamp >= MIN_TIMESTAMP_MS;
  if (format.toMs === 1 && !inMs) {
    throw rowError(source, line, `timestamp_ms ${stamp} looks like seconds; expected milliseconds`);
  }
  if (format.toMs !== 1 && inMs) {
    throw rowError(source, line, `unix_seconds ${stamp} looks like milliseconds; expected seconds`);
  }

  const time = stamp * format.toMs;
  const offset = time % SLOT_MS;
  if (offset !== 0) {
    const slot = new Date(time - offset).toISOString();
    throw rowError(
      source,
      line,
      `${name} ${stamp} (${new Date(time).toISOString()}) is not aligned to 15 minutes, ` +
        `it is ${offset / 1000} s after ${slot}; expected the open time of a 15-minute candle`,
    );
  }
  return time;
}

interface RowValues {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number | undefined;
}

/** Describes the first rule a row breaks, for the error message. */
function findProblem(row: RowValues): string {
  const { open, high, low, close, volume, trades } = row;
  const prices: Array<[string, number]> = [["open", open], ["high", high], ["low", low], [
    "close",
    close,
  ]];
  for (const [name, price] of prices) {
    if (price <= 0) return `${name} ${price} is not positive`;
  }
  if (high < low) return `high ${high} is below low ${low}`;
  if (open < low || open > high) return `open ${open} is outside low ${low} to high ${high}`;
  if (close < low || close > high) return `close ${close} is outside low ${low} to high ${high}`;
  if (volume < 0) return `volume ${volume} is negative`;
  return `trades ${trades} is not a whole number >= 0`;
}

function notIncreasing(time: number, previousTime: number): string {
  const relation = time === previousTime ? "repeats" : "is before";
  return (
    `open time ${new Date(time).toISOString()} ${relation} the previous row's ` +
    `${new Date(previousTime).toISOString()}; expected strictly increasing timestamps`
  );
}
