/**
 * Risk parameters that size orders, validated once when the config loads.
 *
 * @module
 */

import { z } from "zod";

export const riskParamsSchema = z
  .object({
    /**
     * Fraction of the free quote balance one buy may spend, fee included.
     * The default 0.95 keeps a margin for price moves between the quote and
     * the fill.
     */
    entryFraction: z
      .number({ error: "entryFraction must be a number" })
      .gt(0, { error: (issue) => `entryFraction must be above 0, got ${String(issue.input)}` })
      .max(1, { error: (issue) => `entryFraction must be at most 1, got ${String(issue.input)}` })
      .default(0.95),
    /** Largest cost of one buy in the quote currency, before the fee; unset means no cap. */
    maxOrderCost: z
      .number({ error: "maxOrderCost must be a number in the quote currency" })
      .gt(0, { error: (issue) => `maxOrderCost must be above 0, got ${String(issue.input)}` })
      .optional(),
  })
  .strict();

export type RiskParams = z.infer<typeof riskParamsSchema>;
