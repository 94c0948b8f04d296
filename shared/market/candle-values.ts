/**
 * Value checks for one candle, shared by the integrity check and the
 * historical data loaders.
 *
 * @module
 */

import type { Candle } from "./types.ts";

function isPositivePrice(value: number): boolean {
  return Number.isFinite(value) && value > 0;
}

/**
 * Returns what is impossible about a candle, or null when its values can
 * be real: prices positive and finite, high at or above low, open and
 * close within [low, high], volume finite and not negative, time finite.
 */
export function findBadValue(candle: Candle): string | null {
  const { time, open, high, low, close, volume } = candle;
  if (!Number.isFinite(time)) return `time ${time} is not a finite number`;
  for (
    const [name, value] of [["open", open], ["high", high], ["low", low], ["close", close]] as const
  ) {
    if (!isPositivePrice(value)) return `${name} ${value} is not a positive finite price`;
  }
  if (high < low) return `high ${high} is below low ${low}`;
  if (open < low || open > high) return `open ${open} is outside [${low}, ${high}]`;
  if (close < low || close > high) return `close ${close} is outside [${low}, ${high}]`;
  if (!Number.isFinite(volume) || volume < 0) return `volume ${volume} is negative or not finite`;
  return null;
}
