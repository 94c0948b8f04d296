/**
 * Exact decimal amounts for the simulated account: balances, volumes,
 * prices, costs and fees are bigints counting units of 10^-18, so sums and
 * roundings match what Kraken's ledger shows, without binary float noise.
 *
 * @module
 */

/** Decimal places a `Fixed` carries. */
export const FIXED_DECIMALS = 18;

/** A decimal amount as a bigint count of 10^-18 units. */
export type Fixed = bigint;

const ONE = 10n ** BigInt(FIXED_DECIMALS);
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** How to round to fewer decimals: toward zero, or half away from zero. */
export type Rounding = "down" | "half-up";

/**
 * Parses decimal text such as `"0.01000000"` or `"-2"`. Returns undefined
 * for anything else (exponents, spaces, empty text) and for more than 18
 * decimals.
 */
export function parseFixed(text: string): Fixed | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (match === null) return undefined;
  const [, sign = "", whole = "0", fraction = ""] = match;
  if (fraction.length > FIXED_DECIMALS) return undefined;
  const units = BigInt(whole) * ONE + BigInt(fraction.padEnd(FIXED_DECIMALS, "0"));
  return sign === "-" ? -units : units;
}

/** Counts the digits after the decimal point in decimal text, 0 without a point. */
export function decimalPlaces(text: string): number {
  const point = text.indexOf(".");
  return point < 0 ? 0 : text.length - point - 1;
}

/** Converts a float, first rounded to `decimals` places, to an exact amount. */
export function fixedFromNumber(value: number, decimals: number): Fixed {
  const parsed = parseFixed(value.toFixed(decimals));
  if (parsed === undefined) {
    throw new RangeError(`convert ${value} to a decimal amount: expected a finite number`);
  }
  return parsed;
}

/** Converts an amount to the nearest float, for reports and tests. */
export function fixedToNumber(value: Fixed): number {
  return Number(formatFixed(value, FIXED_DECIMALS));
}

/** Rounds to `decimals` places (0 to 18). */
export function roundFixed(value: Fixed, decimals: number, rounding: Rounding = "half-up"): Fixed {
  const step = 10n ** BigInt(FIXED_DECIMALS - decimals);
  const magnitude = value < 0n ? -value : value;
  let steps = magnitude / step;
  if (rounding === "half-up" && (magnitude % step) * 2n >= step) steps += 1n;
  const rounded = steps * step;
  return value < 0n ? -rounded : rounded;
}

/** Formats with exactly `decimals` places, as Kraken writes amounts: `"0.0100"`. */
export function formatFixed(
  value: Fixed,
  decimals: number,
  rounding: Rounding = "half-up",
): string {
  const rounded = roundFixed(value, decimals, rounding);
  const magnitude = rounded < 0n ? -rounded : rounded;
  const whole = magnitude / ONE;
  const digits = (magnitude % ONE).toString().padStart(FIXED_DECIMALS, "0").slice(0, decimals);
  const sign = rounded < 0n ? "-" : "";
  return decimals === 0 ? `${sign}${whole}` : `${sign}${whole}.${digits}`;
}

/** Multiplies two amounts and rounds the product half up to 18 decimals. */
export function multiplyFixed(a: Fixed, b: Fixed): Fixed {
  return divideRounded(a * b, ONE);
}

/** Divides `a` by a non-zero `b` and rounds the quotient half up to 18 decimals. */
export function divideFixed(a: Fixed, b: Fixed): Fixed {
  if (b === 0n) throw new RangeError("divide decimal amounts: the divisor is zero");
  return divideRounded(a * ONE, b);
}

/** Converts a percentage such as Kraken's fee `0.26` to the fraction 0.0026. */
export function percentToFraction(percent: number): Fixed {
  return fixedFromNumber(percent, 8) / 100n;
}

function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  let quotient = n / d;
  if ((n % d) * 2n >= d) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** Returns the smaller of two amounts. */
export function minFixed(a: Fixed, b: Fixed): Fixed {
  return a < b ? a : b;
}
