/**
 * Abort streaks: consecutive cycles of one market that aborted for a fault.
 * A LIVE streak longer than `maxAbortStreak` switches the market to PAPER,
 * which is the abort-loop runbook's "set SYSTEM_MODE to PAPER" done by the
 * bot for that market alone.
 *
 * @module
 */
import type { TradingMode } from "../journal/journal.ts";
import type { CycleOutcome } from "./store.ts";

/**
 * Abort reasons that stop a market on purpose. They end a streak instead of
 * extending it, so a halted market does not also switch to PAPER.
 */
export const DELIBERATE_STOPS: ReadonlySet<string> = new Set(["KILL_SWITCH", "MARKET_HALTED"]);

export interface AbortStreak {
  /** Consecutive fault aborts in one mode, newest first, the current cycle included. */
  length: number;
  /** Distinct abort reasons in the streak, sorted. */
  reasons: string[];
  /** Cycle ids of the streak, newest first. */
  cycleIds: string[];
}

/**
 * Counts the fault aborts in `mode` at the head of `outcomes` (newest
 * first). Any other outcome, in any mode, ends the streak.
 */
export function countAbortStreak(outcomes: readonly CycleOutcome[], mode: TradingMode): AbortStreak {
  const cycleIds: string[] = [];
  const reasons = new Set<string>();
  for (const outcome of outcomes) {
    if (!isFaultAbort(outcome, mode)) break;
    cycleIds.push(outcome.cycleId);
    reasons.add(outcome.abortReason ?? "UNKNOWN");
  }
  return { length: cycleIds.length, reasons: [...reasons].sort(), cycleIds };
}

export interface StreakDecision {
  /** The streak is longer than allowed: send an abort_streak alert. */
  alert: boolean;
  /** The market runs LIVE: switch it to PAPER as well. */
  forcePaper: boolean;
}

/** Decides what a streak leads to; only a LIVE market is switched. */
export function decideStreak(
  streak: AbortStreak,
  maxAbortStreak: number,
  mode: TradingMode,
): StreakDecision {
  const tooLong = streak.length > maxAbortStreak;
  return { alert: tooLong, forcePaper: tooLong && mode === "LIVE" };
}

/** Builds the sentence recorded with a switch to PAPER. */
export function streakReason(streak: AbortStreak, maxAbortStreak: number): string {
  return `${streak.length} consecutive LIVE aborts (${streak.reasons.join(", ")}), ` +
    `more than maxAbortStreak ${maxAbortStreak}`;
}

function isFaultAbort(outcome: CycleOutcome, mode: TradingMode): boolean {
  return outcome.mode === mode &&
    outcome.status === "aborted" &&
    !DELIBERATE_STOPS.has(outcome.abortReason ?? "");
}
