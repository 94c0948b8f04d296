import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Candle } from "../../shared/market/types.ts";
import { parseCandleFile } from "../../shared/market/candle-file.ts";

export const INTERVAL = 15 * 60 * 1000;
export const DATA_DIR = resolve(import.meta.dirname, "../../../shared/data");
export const REAL_CANDLES_FILE = resolve(DATA_DIR, "kraken/XBTUSD_15m_2023-01_2023-09.csv");
export const HAVE_DATA = existsSync(REAL_CANDLES_FILE);
export const NO_DATA_MESSAGE =
  `reference data not found at ${DATA_DIR}; these tests need the shared data folder beside the repository`;

let realCandles: Candle[] | null = null;

/** The real Kraken XBT/USD candles of 2023-01 to 2023-09. */
export function loadRealCandles(): Candle[] {
  realCandles ??= parseCandleFile(readFileSync(REAL_CANDLES_FILE, "utf8"), REAL_CANDLES_FILE);
  return realCandles;
}

export interface SyntheticOptions {
  /** Open time of the first candle, ms. */
  start: number;
  count: number;
  /** Close of candle i; the open is the previous close. */
  price: (i: number) => number;
  /** Open times to leave out, as Kraken does for intervals without trades. */
  missing?: number[];
}

/** Builds a candle series with one decimal, like XBT/USD. */
export function syntheticCandles(options: SyntheticOptions): Candle[] {
  const skip = new Set(options.missing ?? []);
  const candles: Candle[] = [];
  let previous = round1(options.price(0));
  for (let i = 0; i < options.count; i++) {
    const time = options.start + i * INTERVAL;
    const close = round1(options.price(i));
    const open = previous;
    previous = close;
    if (skip.has(time)) continue;
    const high = round1(Math.max(open, close) * 1.001);
    const low = round1(Math.min(open, close) * 0.999);
    candles.push({ time, open, high, low, close, volume: 1.5 });
  }
  return candles;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
