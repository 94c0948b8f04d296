import { randomUUID } from "node:crypto";
import type { TitanConfig } from "../../shared/config/config.ts";
import type { CycleResult } from "../../shared/cycle/context.ts";
import { runCycle } from "../../shared/cycle/run-cycle.ts";
import type { BlackboxSink } from "../../shared/blackbox/recorder.ts";
import type { Journal } from "../../shared/journal/journal.ts";
import type { Candle } from "../../shared/market/types.ts";
import { ManualClock } from "../../shared/time/clock.ts";
import { slotStart } from "../../shared/time/slots.ts";
import { HistoricalSource } from "../../simulator/historical-source.ts";
import { CandleTape } from "../../simulator/tape.ts";

/** How long after its slot opens pg_cron's request reaches the function. */
export const DISPATCH_DELAY_MS = 5_000;

export interface ReplayOptions {
  config: TitanConfig;
  market: string;
  candles: Candle[];
  journal: Journal;
  blackbox: BlackboxSink;
  /** First and last slot to run, ms; both inclusive. */
  fromSlot: number;
  toSlot: number;
  spreadBps: number;
  /** Called after each slot, for a progress bar. */
  onCycle?: (done: number, total: number, result: CycleResult) => void;
}

/** The summary `npm run replay -- --json` prints. */
export interface ReplaySummary {
  market: string;
  from: string;
  to: string;
  cycles: number;
  completed: number;
  aborted: Record<string, number>;
  /** Slots that had already run, in this database, before this replay. */
  skipped: number;
  /** Cycles that decided to trade but whose order a rule stopped. */
  orders_skipped: number;
  crashed: number;
  trades: number;
  fees: number;
  final_equity: number | null;
}

/**
 * Runs the live cycle for every slot in the range, on simulated time, with
 * the candles served as the exchange would have served them at each slot.
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const { config, market } = options;
  const clock = new ManualClock(options.fromSlot + DISPATCH_DELAY_MS);
  const exchange = new HistoricalSource({ [market]: new CandleTape(options.candles) }, clock, options.spreadBps);
  const summary = emptySummary(market, options.fromSlot, options.toSlot);
  const runId = randomUUID().slice(0, 8);
  const total = Math.floor((options.toSlot - options.fromSlot) / config.cycle.intervalMs) + 1;
  let done = 0;
  for (let slot = options.fromSlot; slot <= options.toSlot; slot += config.cycle.intervalMs) {
    clock.set(slot + DISPATCH_DELAY_MS);
    const result = await runCycle(
      { config, clock, exchange, journal: options.journal, blackbox: options.blackbox, invocationId: `replay-${runId}-${done}`, invokedBy: "replay" },
      { market },
    );
    tally(summary, result);
    options.onCycle?.(++done, total, result);
  }
  if (summary.final_equity === null) {
    summary.final_equity = await options.journal.lastEquity(market, options.toSlot + config.cycle.intervalMs);
  }
  summary.fees = Math.round(summary.fees * 1e8) / 1e8;
  return summary;
}

function tally(summary: ReplaySummary, result: CycleResult): void {
  summary.cycles++;
  if (result.outcome === "already_ran") summary.skipped++;
  else if (result.outcome === "aborted") {
    const reason = result.abortReason ?? "UNKNOWN";
    summary.aborted[reason] = (summary.aborted[reason] ?? 0) + 1;
  } else if (result.outcome === "crashed") summary.crashed++;
  else {
    summary.completed++;
    if (result.outcome === "skipped") summary.orders_skipped++;
  }
  if (result.fill) {
    summary.trades++;
    summary.fees += result.fill.fee;
  }
  if (result.equity !== null) summary.final_equity = result.equity;
}

function emptySummary(market: string, from: number, to: number): ReplaySummary {
  return {
    market,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    cycles: 0,
    completed: 0,
    aborted: {},
    skipped: 0,
    orders_skipped: 0,
    crashed: 0,
    trades: 0,
    fees: 0,
    final_equity: null,
  };
}

/**
 * The default replay range: from the slot after the first candle closes to
 * the slot after the last candle closes.
 */
export function defaultRange(candles: Candle[], intervalMs: number): { from: number; to: number } {
  const first = candles[0]!.time;
  const last = candles[candles.length - 1]!.time;
  return { from: slotStart(first, intervalMs) + intervalMs, to: slotStart(last, intervalMs) + intervalMs };
}
