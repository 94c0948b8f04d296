import {
  AUDIT_PAYLOAD_VERSION,
  type AuditPayload,
  auditPayloadSchema,
  type Financials,
  type Integrity,
  type Verdict,
} from "../audit/payload.ts";
import type { AlertEvent } from "../alerts/alerter.ts";
import type { TitanConfig } from "../config/config.ts";
import type { CallRecord } from "../exchange/call-guard.ts";
import type { TradingMode } from "../journal/journal.ts";
import { emptyProtectionsAudit, type ProtectionsAudit } from "../protections/audit.ts";
import type { EntryBlock } from "../protections/limits.ts";
import { isoTime } from "../time/slots.ts";
import type { CycleAbort } from "./reasons.ts";

/**
 * What a cycle has learned so far. Each step fills its part; the payload is
 * built from it whether the cycle completes, aborts or crashes.
 */
export class CycleState {
  integrity: Integrity;
  verdict: Verdict | null = null;
  financials: Financials | null = null;
  abort: CycleAbort | null = null;
  crash: { message: string; stack: string | null } | null = null;
  skipped = false;
  /** Attempt number of the cycle: 1, plus one for each re-run after a release. */
  attempt = 1;
  /** Reason BUY orders are skipped (kill switch in `stop-entries` mode), or null when allowed. */
  entriesStopped: string | null = null;
  /** Why a protection skips every BUY of this cycle (COOLDOWN), or null. */
  entryBlock: EntryBlock | null = null;
  /** Checks the base amount of a sized BUY against the position limits; null when unchecked. */
  entryLimit: ((amount: number) => EntryBlock | null) | null = null;
  /** The protections' audit section; the constructor fills the mode from SYSTEM_MODE. */
  protections: ProtectionsAudit;
  /** Alerts queued by the steps; the cycle sends them before its blackbox upload. */
  readonly alerts: AlertEvent[] = [];
  readonly stepsMs: Record<string, number> = {};

  constructor(
    readonly cycleId: string,
    readonly market: string,
    readonly slot: number,
    readonly mode: TradingMode,
    readonly invocationId: string,
    serverTime: number,
    intervalMs: number,
  ) {
    this.protections = emptyProtectionsAudit(mode);
    this.integrity = {
      interval_ms: intervalMs,
      candles_received: null,
      candles_closed: null,
      candles_used: null,
      dropped_open: [],
      missing: [],
      filled: [],
      misaligned: [],
      newest_closed: null,
      expected_newest: isoTime(slot - intervalMs),
      server_time: isoTime(serverTime),
      exchange_time: null,
      clock_skew_ms: null,
    };
  }

  get status(): AuditPayload["status"] {
    if (this.crash) return "crashed";
    if (this.abort) return "aborted";
    return this.skipped ? "skipped" : "completed";
  }

  /**
   * Drops what a step filled in that may not validate (the integrity report,
   * the verdict, the financials), keeping the counts, for a crash payload.
   */
  resetForFallback(): void {
    const kept = this.integrity;
    this.integrity = {
      ...kept,
      dropped_open: [],
      missing: [],
      filled: [],
      misaligned: [],
      newest_closed: null,
      exchange_time: null,
      clock_skew_ms: Number.isFinite(kept.clock_skew_ms ?? 0) ? kept.clock_skew_ms : null,
    };
    this.verdict = null;
    this.financials = null;
  }

  /** Builds and validates the audit payload; throws when a step filled it wrongly. */
  payload(calls: CallRecord[], totalMs: number, config: TitanConfig, health: AuditPayload["health"]) {
    const payload: AuditPayload = {
      version: AUDIT_PAYLOAD_VERSION,
      cycle_id: this.cycleId,
      market: this.market,
      slot: isoTime(this.slot),
      mode: this.mode,
      invocation_id: this.invocationId,
      status: this.status,
      abort: this.abort
        ? { reason: this.abort.reason, message: this.abort.message, details: this.abort.details }
        : null,
      crash: this.crash,
      integrity: this.integrity,
      timing: {
        calls,
        steps_ms: this.stepsMs,
        total_ms: Math.round(totalMs * 10) / 10,
        deadline_ms: config.cycle.deadlineMs,
      },
      health,
      verdict: this.verdict,
      financials: this.financials,
      config: auditConfig(config),
      protections: this.protections,
    };
    return auditPayloadSchema.parse(payload);
  }
}

/** Returns the settings behind a decision, without anything secret. */
function auditConfig(config: TitanConfig): Record<string, unknown> {
  return {
    mode: config.mode,
    history_candles: config.cycle.historyCandles,
    max_clock_skew_ms: config.cycle.maxClockSkewMs,
    latency_budget_ms: config.cycle.latencyBudgetMs,
    exchange_timeout_ms: config.cycle.exchangeTimeoutMs,
    max_slot_delay_ms: config.cycle.maxSlotDelayMs,
    gap_policy: config.cycle.gapPolicy,
    paper_slippage_bps: config.paper.slippageBps,
    strategy: config.strategy,
    risk: config.risk,
  };
}
