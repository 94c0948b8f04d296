import { z } from "zod";
import { ABORT_REASON_NAMES } from "../cycle/reasons.ts";
import { protectionsAuditSchema } from "../protections/audit.ts";

/**
 * The `ai_audit_payload` of an execution_logs row: everything needed to
 * explain one cycle without other records. Validated before it is written;
 * bump `version` when a field changes meaning.
 */
export const AUDIT_PAYLOAD_VERSION = 1;

const isoTime = z.string().datetime({ offset: true });
const numberOrNull = z.number().finite().nullable();

export const integritySchema = z.object({
  interval_ms: z.number().int().positive(),
  candles_received: z.number().int().nonnegative().nullable(),
  candles_closed: z.number().int().nonnegative().nullable(),
  candles_used: z.number().int().nonnegative().nullable(),
  dropped_open: z.array(isoTime),
  missing: z.array(isoTime),
  filled: z.array(isoTime),
  misaligned: z.array(z.string()),
  newest_closed: isoTime.nullable(),
  expected_newest: isoTime,
  server_time: isoTime,
  exchange_time: isoTime.nullable(),
  clock_skew_ms: numberOrNull,
});

export const timingSchema = z.object({
  calls: z.array(
    z.object({
      name: z.string(),
      latency_ms: z.number().nonnegative(),
      ok: z.boolean(),
      error: z.string().optional(),
    }),
  ),
  steps_ms: z.record(z.string(), z.number().nonnegative()),
  total_ms: z.number().nonnegative(),
  deadline_ms: z.number().positive(),
});

export const healthSchema = z.object({
  rss_bytes: z.number().nonnegative().nullable(),
  heap_used_bytes: z.number().nonnegative().nullable(),
});

const orderSchema = z.object({
  side: z.enum(["buy", "sell"]),
  amount: z.number().nonnegative(),
  price: z.number().positive(),
  cost: z.number().nonnegative(),
  fee: z.number().nonnegative(),
});

export const verdictSchema = z.object({
  decision: z.enum(["BUY", "SELL", "HOLD"]).nullable(),
  reason: z.string(),
  signals: z.record(z.string(), numberOrNull),
  order_request: orderSchema.nullable(),
  order_outcome: z.object({
    /**
     * `open`, `partially_filled`, `canceled` and `unknown` are LIVE outcomes:
     * the order's state on the exchange when the cycle ended.
     */
    status: z.enum([
      "none",
      "filled",
      "skipped",
      "rejected",
      "open",
      "partially_filled",
      "canceled",
      "unknown",
    ]),
    reason: z.string().nullable(),
    fill: orderSchema.nullable(),
    client_order_id: z.string().nullable(),
  }),
});

export const financialsSchema = z.object({
  quote_currency: z.string(),
  base_currency: z.string(),
  cash: numberOrNull,
  position: numberOrNull,
  price: numberOrNull,
  equity: numberOrNull,
  equity_change: numberOrNull,
  fees_paid: z.number().nonnegative(),
});

export const auditPayloadSchema = z.object({
  version: z.literal(AUDIT_PAYLOAD_VERSION),
  cycle_id: z.string(),
  market: z.string(),
  slot: isoTime,
  mode: z.enum(["PAPER", "LIVE"]),
  invocation_id: z.string(),
  status: z.enum(["completed", "aborted", "skipped", "crashed"]),
  abort: z
    .object({
      reason: z.enum(ABORT_REASON_NAMES as [string, ...string[]]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    })
    .nullable(),
  crash: z.object({ message: z.string(), stack: z.string().nullable() }).nullable(),
  integrity: integritySchema,
  timing: timingSchema,
  health: healthSchema,
  verdict: verdictSchema.nullable(),
  financials: financialsSchema.nullable(),
  config: z.record(z.string(), z.unknown()),
  /** Absent in rows written before protections existed. */
  protections: protectionsAuditSchema.optional(),
});

export type AuditPayload = z.infer<typeof auditPayloadSchema>;
export type Integrity = z.infer<typeof integritySchema>;
export type Timing = z.infer<typeof timingSchema>;
export type Verdict = z.infer<typeof verdictSchema>;
export type Financials = z.infer<typeof financialsSchema>;
