/**
 * Faults the simulator can inject into its replies, to test how a client
 * copes with a slow, wrong or broken exchange.
 *
 * @module
 */

import { z } from "zod";

/** Delays the reply by `ms` of real time. */
export interface LatencyFault {
  kind: "latency";
  ms: number;
}

/** Makes the `Time` endpoint report the simulated clock plus `ms`. */
export interface ClockOffsetFault {
  kind: "clock_offset";
  ms: number;
}

/**
 * Replies with an HTML error page and HTTP `status`, as the CDN in front of
 * Kraken does (Cloudflare's 520 "web server is returning an unknown error").
 */
export interface HtmlFault {
  kind: "html";
  status: number;
}

/** Replies HTTP 200 with a Kraken error array, such as `EGeneral:Too many requests`. */
export interface ErrorFault {
  kind: "error";
  errors: string[];
}

/** Accepts the request and never replies, until the simulator closes. */
export interface HangFault {
  kind: "hang";
}

/**
 * Carries out the request, then never replies, until the simulator closes.
 * On `AddOrder` the order exists while the client times out.
 */
export interface DropReplyFault {
  kind: "drop_reply";
}

/**
 * Makes the order that the next `AddOrder` request places fill only
 * `fraction` of its volume (rounded down to the pair's lot decimals). A
 * request that fails validation uses the fault up too. The rest is cancelled
 * (`remainder: "cancel"`, the default) or stays open and never fills
 * (`"rest"`). Applies to `AddOrder` only, whatever `endpoint` names.
 */
export interface PartialFillFault {
  kind: "partial_fill";
  fraction: number;
  remainder?: "cancel" | "rest";
  /** Reason a cancelled remainder reports, `PARTIAL_FILL_REASON` by default. */
  reason?: string;
}

/**
 * Reason an order reports when a partial fill cancelled its remainder.
 * NOTE: the wording is the simulator's. Kraken cancels market-order
 * remainders under its market price protection, but its exact text was not found.
 */
export const PARTIAL_FILL_REASON = "Market price protection";

export type Fault =
  | LatencyFault
  | ClockOffsetFault
  | HtmlFault
  | ErrorFault
  | HangFault
  | DropReplyFault
  | PartialFillFault;

/**
 * A fault and where it applies: `endpoint` is a Kraken method name such as
 * `OHLC` or `Time`, or `*` for every endpoint (the default). `count` is the
 * number of affected requests before the fault expires; without it the fault
 * stays until cleared.
 */
export type FaultRule = Fault & { endpoint?: string; count?: number };

const endpointSchema = z.string().regex(/^(\*|[A-Za-z][A-Za-z0-9]*)$/, {
  message: "expected a Kraken method name such as OHLC, or * for every endpoint",
});

const ruleFields = {
  endpoint: endpointSchema.optional(),
  count: z.number().int().positive().optional(),
};

/** Schema of a `FaultRule`, for faults that arrive as JSON. */
export const faultRuleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("latency"), ms: z.number().int().nonnegative(), ...ruleFields }),
  z.object({ kind: z.literal("clock_offset"), ms: z.number().int(), ...ruleFields }),
  z.object({ kind: z.literal("html"), status: z.number().int().min(400).max(599), ...ruleFields }),
  z.object({
    kind: z.literal("error"),
    errors: z.array(z.string().min(1)).min(1),
    ...ruleFields,
  }),
  z.object({ kind: z.literal("hang"), ...ruleFields }),
  z.object({ kind: z.literal("drop_reply"), ...ruleFields }),
  z.object({
    kind: z.literal("partial_fill"),
    fraction: z.number().gt(0).lt(1),
    remainder: z.enum(["cancel", "rest"]).optional(),
    reason: z.string().min(1).optional(),
    ...ruleFields,
  }),
]);

/** The faults that apply to one request, at most one of each role. */
export interface RequestFaults {
  /** Total delay before replying, in ms. */
  latencyMs: number;
  /** Offset added to the clock the `Time` endpoint reports, in ms. */
  clockOffsetMs: number;
  /** The reply that replaces the normal one, if any. */
  reply?: HtmlFault | ErrorFault | HangFault | DropReplyFault;
  /** How much of the order an `AddOrder` request places fills, if limited. */
  partialFill?: PartialFillFault;
}

interface ActiveRule {
  fault: Fault;
  endpoint: string;
  remaining: number;
}

/**
 * Active fault rules. Each request takes the rules that match its endpoint;
 * a rule with a count expires after that many requests. A `clock_offset`
 * rule only matches `Time` and a `partial_fill` rule only `AddOrder`, so
 * other endpoints do not use them up.
 */
export class FaultBook {
  #rules: ActiveRule[] = [];

  /**
   * Adds a rule, checked against `faultRuleSchema`.
   *
   * @throws {z.ZodError} for an invalid rule.
   */
  add(rule: FaultRule): void {
    const parsed = faultRuleSchema.parse(rule);
    const { endpoint = "*", count, ...fault } = parsed;
    this.#rules.push({ fault, endpoint, remaining: count ?? Infinity });
  }

  clear(): void {
    this.#rules = [];
  }

  /** Number of rules still active. */
  get size(): number {
    return this.#rules.length;
  }

  /**
   * Returns the faults for one request to `endpoint` and counts the request
   * against each rule it uses. Latencies and clock offsets add up. Of the
   * rules that replace the reply, and of the partial fills, the one added
   * first is used and the others wait for later requests.
   */
  take(endpoint: string): RequestFaults {
    const faults: RequestFaults = { latencyMs: 0, clockOffsetMs: 0 };
    for (const rule of this.#rules) {
      if (!matches(rule, endpoint)) continue;

      const fault = rule.fault;
      if (fault.kind === "latency") faults.latencyMs += fault.ms;
      else if (fault.kind === "clock_offset") faults.clockOffsetMs += fault.ms;
      else if (fault.kind === "partial_fill") {
        if (faults.partialFill !== undefined) continue;
        faults.partialFill = fault;
      } else if (faults.reply === undefined) faults.reply = fault;
      else continue;
      rule.remaining--;
    }
    this.#rules = this.#rules.filter((rule) => rule.remaining > 0);
    return faults;
  }
}

function matches(rule: ActiveRule, endpoint: string): boolean {
  if (rule.endpoint !== "*" && rule.endpoint !== endpoint) return false;
  if (rule.fault.kind === "clock_offset") return endpoint === "Time";
  if (rule.fault.kind === "partial_fill") return endpoint === "AddOrder";
  return true;
}
