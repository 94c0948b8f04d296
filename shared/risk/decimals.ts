/**
 * Decimal rounding for prices and amounts that the exchange checks digit by
 * digit. A binary double cannot hold most decimal fractions exactly:
 * 0.00010001 × 10^8 evaluates to 10000.999999999998, and a plain
 * `Math.floor` would turn it into 0.0001. Each helper first scales the value
 * to integer units of 10^-decimals, then snaps the scaled value to 15
 * significant digits, which removes the representation error of one
 * multiplication but never a real digit of an amount the exchange accepts.
 *
 * @module
 */

/** Largest number of decimals these helpers accept; Kraken uses at most 10. */
export const MAX_DECIMALS = 12;

const POWERS_OF_TEN: readonly number[] = Array.from(
  { length: MAX_DECIMALS + 1 },
  (_, exponent) => 10 ** exponent,
);

function scaleOf(decimals: number): number {
  const scale = POWERS_OF_TEN[decimals];
  if (scale === undefined || !Number.isInteger(decimals)) {
    throw new RangeError(
      `Invalid decimals ${decimals}: expected an integer from 0 to ${MAX_DECIMALS}.`,
    );
  }
  return scale;
}

/** Scales `value` to units of 10^-decimals and removes float noise from the product. */
function toUnits(value: number, scale: number): number {
  return Number((value * scale).toPrecision(15));
}

/**
 * Truncates `value` toward zero to `decimals` places, decimal-exactly:
 * `truncateDecimals(0.00010001, 8)` is 0.00010001, and
 * `truncateDecimals(0.0024935162, 8)` is 0.00249351.
 */
export function truncateDecimals(value: number, decimals: number): number {
  const scale = scaleOf(decimals);
  return Math.trunc(toUnits(value, scale)) / scale;
}

/**
 * Rounds `value` to `decimals` places, halves away from zero as written in
 * decimal: `roundDecimals(39995.802, 1)` is 39995.8 and
 * `roundDecimals(1.005, 2)` is 1.01.
 */
export function roundDecimals(value: number, decimals: number): number {
  const scale = scaleOf(decimals);
  const units = toUnits(Math.abs(value), scale);
  return (Math.sign(value) * Math.round(units)) / scale;
}

/** Returns true when `value` written in decimal has at most `decimals` places. */
export function hasAtMostDecimals(value: number, decimals: number): boolean {
  const scale = scaleOf(decimals);
  return Number.isInteger(toUnits(value, scale));
}
