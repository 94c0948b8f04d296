/**
 * The records protections keep per market: halts, the equity baselines of
 * the daily loss and drawdown limits, the last exit for the cooldown, the
 * PAPER mode override and the recent cycle outcomes behind an abort streak.
 *
 * @module
 */
import type { TradingMode } from "../journal/journal.ts";

/** A market halt as stored in `market_halts`. */
export interface MarketHalt {
  market: string;
  /** Upper-case code, e.g. `MAX_DRAWDOWN`. */
  reason: string;
  message: string;
  /** The values behind the halt: limit, measured value, baseline. */
  details: Record<string, unknown>;
  haltedBy: string;
  haltedAt: number;
  /** The cycle that halted the market; null for a halt from SQL. */
  cycleId: string | null;
}

export type HaltAction = "halted" | "already_halted";

/** Equity baselines after including the current equity. */
export interface EquityBaseline {
  /** UTC day of the baseline, `YYYY-MM-DD`. */
  day: string;
  /** Equity at the day's first cycle (or the first after a re-arm). */
  dayStartEquity: number;
  /** Highest equity since the baseline began (the first cycle or the last re-arm). */
  peakEquity: number;
  peakAt: number;
}

/** The latest filled sell of a market and its profit against the buys before it. */
export interface MarketExit {
  exitedAt: number;
  /** Net of fees, in the quote currency; null when no buy precedes the sell. */
  pnl: number | null;
}

/** A market forced to PAPER while SYSTEM_MODE is LIVE. */
export interface ModeOverride {
  market: string;
  mode: "PAPER";
  setBy: string;
  reason: string;
  setAt: number;
}

/** One finished cycle, newest first, for the abort streak. */
export interface CycleOutcome {
  cycleId: string;
  mode: TradingMode;
  status: string;
  abortReason: string | null;
}

export interface ProtectionStore {
  /** Returns the halt in force on `market`, or null when it may trade. */
  readHalt(market: string): Promise<MarketHalt | null>;
  /** Halts `market`. An existing halt is kept as it is and `already_halted` returned. */
  haltMarket(halt: MarketHalt): Promise<HaltAction>;
  /** Folds `equity` at time `at` of UTC day `day` into the baselines and returns them. */
  trackEquity(market: string, day: string, equity: number, at: number): Promise<EquityBaseline>;
  /** Returns the latest exit of `market` whose quote currency is `quote`, or null. */
  lastExit(market: string, quote: string): Promise<MarketExit | null>;
  readModeOverride(market: string): Promise<ModeOverride | null>;
  /** Forces `market` to PAPER; returns false when it already was. */
  forcePaper(change: ModeChange): Promise<boolean>;
  /** Finished cycles of `market` before `beforeSlot`, newest first, at most `limit`. */
  recentOutcomes(market: string, beforeSlot: number, limit: number): Promise<CycleOutcome[]>;
}

/** A switch of one market from LIVE to PAPER, by the bot. */
export interface ModeChange {
  market: string;
  by: string;
  reason: string;
  details: Record<string, unknown>;
  cycleId: string;
  at: number;
}
