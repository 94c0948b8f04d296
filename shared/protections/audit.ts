/**
 * The protections' part of the audit payload: the limits that applied, what
 * the cycle measured against them, and what they did (a halt, a skipped
 * BUY, an abort streak, a switch to PAPER).
 *
 * @module
 */
import { z } from "zod";

const reasonText = z.object({ reason: z.string(), message: z.string() });

export const protectionsAuditSchema = z.object({
  /** The market's merged limits; null when the cycle ran without a protection store. */
  limits: z.record(z.string(), z.number().nullable()).nullable(),
  /** Equity, baselines and position as measured this cycle; null before the portfolio step. */
  measures: z.record(z.string(), z.union([z.number(), z.string()])).nullable(),
  /** The halt this cycle found or recorded. */
  halt: reasonText.extend({
    action: z.enum(["found", "halted", "already_halted"]),
    details: z.record(z.string(), z.unknown()),
  }).nullable(),
  /** Reason BUY was blocked this cycle (cooldown), or null. */
  entry_block: reasonText.nullable(),
  mode: z.object({
    configured: z.enum(["PAPER", "LIVE"]),
    effective: z.enum(["PAPER", "LIVE"]),
    /** Actor and reason of the PAPER override in force, or null. */
    override: z.object({ set_by: z.string(), reason: z.string(), set_at: z.string() }).nullable(),
  }),
  abort_streak: z.object({
    length: z.number().int().nonnegative(),
    max: z.number().int().positive(),
    reasons: z.array(z.string()),
    forced_paper: z.boolean(),
  }).nullable(),
});

export type ProtectionsAudit = z.infer<typeof protectionsAuditSchema>;

/** Returns the section as it is before any protection step runs. */
export function emptyProtectionsAudit(mode: "PAPER" | "LIVE"): ProtectionsAudit {
  return {
    limits: null,
    measures: null,
    halt: null,
    entry_block: null,
    mode: { configured: mode, effective: mode, override: null },
    abort_streak: null,
  };
}
