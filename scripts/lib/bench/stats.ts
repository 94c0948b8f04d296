/**
 * Summary statistics and number formats for the bench's samples.
 *
 * @module
 */

/** Median of `values`: the mean of the middle two for an even count; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Nearest-rank percentile: the smallest value with at least `percent` % of
 * the values at or below it; NaN when empty.
 */
export function percentile(values: readonly number[], percent: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** "min-max" of `values`, each formatted. */
export function spread(values: readonly number[], format: (value: number) => string): string {
  return `${format(Math.min(...values))}-${format(Math.max(...values))}`;
}

/** Megabytes (2^20 bytes) with one decimal. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
