import type { TitanConfig } from "../config/config.ts";
import type { MarketDataSource } from "../exchange/exchange.ts";
import type { Journal, TradingMode } from "../journal/journal.ts";
import type { BlackboxSink } from "../blackbox/recorder.ts";
import type { Clock } from "../time/clock.ts";
import type { AbortReason } from "./reasons.ts";
import type { AuditPayload } from "../audit/payload.ts";
import type { ExecutionVenue } from "./venue.ts";
import type { Alerter } from "../alerts/alerter.ts";
import type { ProtectionStore } from "../protections/store.ts";

/** Everything a cycle needs, handed in by its caller. */
export interface CycleDeps {
  config: TitanConfig;
  clock: Clock;
  exchange: MarketDataSource;
  journal: Journal;
  blackbox: BlackboxSink;
  invocationId: string;
  /** Origin of the cycle: `cron`, `cli`, `replay` or a caller address. */
  invokedBy: string;
  /** Secret values to scrub from every log line, error and payload. */
  secrets?: readonly (string | undefined)[];
  /** Memory in use, for the audit; omitted where the runtime cannot report it. */
  memoryUsage?: () => { rss: number; heapUsed: number };
  /**
   * Where LIVE orders go (`createLiveVenue` in shared/live). Required when
   * a cycle runs LIVE; PAPER cycles use the PAPER venue and ignore it.
   */
  venue?: ExecutionVenue;
  /**
   * Market halts, protection baselines and mode overrides. Without it no
   * protection runs, as in replays and backtests.
   */
  protections?: ProtectionStore;
  /** Where alerts go; without it none are sent. */
  alerter?: Alerter;
  /** Maximum wait for the cycle's alerts before the blackbox upload; default 2,500 ms. */
  alertWaitMs?: number;
}

export interface CycleRequest {
  /** Unified symbol, for example `BTC/USD`. */
  market: string;
  /**
   * Slot start in ms. Only replays pass it (PAPER); without it the slot is
   * the one that contains the clock's current time.
   */
  slot?: number;
}

export type CycleOutcome = "completed" | "aborted" | "skipped" | "crashed" | "already_ran";

/** Outcome of one invocation of the cycle, for callers and commands. */
export interface CycleResult {
  cycleId: string;
  market: string;
  slot: number;
  mode: TradingMode;
  outcome: CycleOutcome;
  abortReason: AbortReason | null;
  /** One sentence: the decision's or the abort's reason. */
  message: string;
  decision: "BUY" | "SELL" | "HOLD" | null;
  equity: number | null;
  /** The fill of this cycle, when it traded. */
  fill: { side: "buy" | "sell"; amount: number; price: number; cost: number; fee: number } | null;
  payload: AuditPayload | null;
  blackboxPath: string | null;
  blackboxError: string | null;
}
