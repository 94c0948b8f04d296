/**
 * Parameters of the default trend strategy, validated once when the config
 * loads. Periods count 15-minute candles; percentages are percent of the
 * close (0.05 is 0.05 %).
 *
 * @module
 */

import { z } from "zod";
import { MAX_HISTORY_CANDLES } from "../market/history-config.ts";

/** A period longer than the closed candles of one Kraken OHLC call never warms up live. */
const MAX_CLOSED_CANDLES = MAX_HISTORY_CANDLES;

function period(name: string, min: number, fallback: number) {
  return z
    .int({ error: `${name} must be a whole number of candles` })
    .min(min, {
      error: (issue) => `${name} must be at least ${min} candles, got ${String(issue.input)}`,
    })
    .max(MAX_CLOSED_CANDLES, {
      error: (issue) =>
        `${name} must be at most ${MAX_CLOSED_CANDLES} candles (the closed candles one ` +
        `Kraken OHLC call returns), got ${String(issue.input)}`,
    })
    .default(fallback);
}

function percent(name: string, min: number, max: number, fallback: number) {
  return z
    .number({ error: `${name} must be a finite number in percent` })
    .min(min, { error: (issue) => `${name} must be at least ${min} %, got ${String(issue.input)}` })
    .max(max, { error: (issue) => `${name} must be at most ${max} %, got ${String(issue.input)}` })
    .default(fallback);
}

export const trendParamsSchema = z
  .object({
    /** Candles in the fast simple moving average of the close. */
    fastPeriod: period("fastPeriod", 2, 20),
    /** Candles in the slow simple moving average of the close. */
    slowPeriod: period("slowPeriod", 3, 80),
    /** Candles in the average true range, smoothed with a simple moving average. */
    atrPeriod: period("atrPeriod", 2, 14),
    /** Fraction the fast average must exceed the slow one by to enter (0.001 is 0.1 %). */
    entryBand: z
      .number({ error: "entryBand must be a finite number (a fraction, 0.001 is 0.1 %)" })
      .min(0, { error: (issue) => `entryBand must be at least 0, got ${String(issue.input)}` })
      .max(0.1, { error: (issue) => `entryBand must be at most 0.1, got ${String(issue.input)}` })
      .default(0.001),
    /** Lowest ATR as a percent of the close at which the strategy enters. */
    minAtrPct: percent("minAtrPct", 0, 100, 0.05),
    /** Highest ATR as a percent of the close at which the strategy enters. */
    maxAtrPct: percent("maxAtrPct", 0, 100, 3),
  })
  .strict()
  .superRefine((params, context) => {
    if (params.fastPeriod >= params.slowPeriod) {
      context.addIssue({
        code: "custom",
        path: ["fastPeriod"],
        message:
          `fastPeriod (${params.fastPeriod}) must be below slowPeriod (${params.slowPeriod})`,
      });
    }
    if (params.minAtrPct >= params.maxAtrPct) {
      context.addIssue({
        code: "custom",
        path: ["minAtrPct"],
        message: `minAtrPct (${params.minAtrPct}) must be below maxAtrPct (${params.maxAtrPct})`,
      });
    }
    if (params.atrPeriod + 1 > MAX_CLOSED_CANDLES) {
      context.addIssue({
        code: "custom",
        path: ["atrPeriod"],
        message: `atrPeriod (${params.atrPeriod}) needs ${params.atrPeriod + 1} candles, ` +
          `more than the ${MAX_CLOSED_CANDLES} one Kraken OHLC call returns`,
      });
    }
  });

export type TrendParams = z.output<typeof trendParamsSchema>;

/** Closed candles the strategy needs: the slow average, or the ATR and one previous close. */
export function trendRequiredCandles(params: TrendParams): number {
  return Math.max(params.slowPeriod, params.atrPeriod + 1);
}
