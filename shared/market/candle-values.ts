/**
 * Value checks for one candle, shared by the integrity check and the
 * historical data loaders.
 *
 * @module
 */

import type { Candle } from "./types.ts";

/**
 * Largest price accepted. Far above any real quote in any currency, and low
 * enough that sums over a 720-candle window stay finite in the indicators.
 */
const MAX_PRICE = 1e15;

/** Latest open time accepted: the end of year 9999, beyond which a time is in the wrong unit. */
const MAX_TIME_MS = 253_402_300_799_999;

function isPositivePrice(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

/**
 * Returns what is impossible about a candle, or null when its values can
 * be real: prices positive and at most MAX_PRICE, high at or above low, open
 * and close within [low, high], volume finite and not negative, time within
 * 1970 to 9999.
 */
export function findBadValue(candle: Candle): string | null {
  const { time, open, high, low, close, volume } = candle;
  if (!Number.isFinite(time)) return `time ${time} is not a finite number`;
  if (time < 0 || time > MAX_TIME_MS) return `time ${time} ms is outside 1970 to 9999; check its unit`;
  for (
    const [name, value] of [["open", open], ["high", high], ["low", low], ["close", close]] as const
  ) {
    if (!isPositivePrice(value)) return `${name} ${value} is not a positive finite price`;
    if (value > MAX_PRICE) return `${name} ${value} is above the largest accepted price ${MAX_PRICE}`;
  }
  if (high < low) return `high ${high} is below low ${low}`;
  if (open < low || open > high) return `open ${open} is outside [${low}, ${high}]`;
  if (close < low || close > high) return `close ${close} is outside [${low}, ${high}]`;
  if (!Number.isFinite(volume) || volume < 0) return `volume ${volume} is negative or not finite`;
  return null;
}
