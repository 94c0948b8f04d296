/**
 * The record of a backtest: per-slot values in typed arrays, so the hot loop
 * writes numbers and allocates nothing, plus the lists of fills and skips.
 *
 * @module
 */

import { ABORT_REASON_NAMES, type AbortReason } from "../cycle/reasons.ts";
import type { Balances, Decision, Side } from "../journal/journal.ts";
import type { OrderSkipReason } from "../risk/order-rules.ts";

/** Codes of `BacktestRun.decision`: what the strategy decided at a slot. */
export const DECISION_CODES: readonly (Decision | null)[] = [null, "HOLD", "BUY", "SELL"];

/** One PAPER fill, with the balances it left. */
export interface BacktestFill {
  /** Slot start, ms since the epoch. */
  slot: number;
  side: Side;
  amount: number;
  price: number;
  cost: number;
  fee: number;
  /** Free quote and base balance after the fill. */
  cash: number;
  position: number;
}

/** A BUY or SELL decision whose order a sizing or order rule stopped. */
export interface OrderSkipRecord {
  slot: number;
  side: Side;
  reason: OrderSkipReason;
}

export interface BacktestRun {
  fromSlot: number;
  toSlot: number;
  intervalMs: number;
  /** Slots run, from `fromSlot` to `toSlot`. */
  slots: number;
  /** Candles whose close opened a slot of the range. */
  candles: number;
  /** Aborted slots by reason. */
  aborted: Partial<Record<AbortReason, number>>;
  /** Skipped orders by reason. */
  ordersSkipped: Partial<Record<OrderSkipReason, number>>;
  fills: BacktestFill[];
  skips: OrderSkipRecord[];
  /**
   * Slots where the live cycle would crash. The engine models no crash
   * today: a fill the journal would reject is an INSUFFICIENT_FUNDS skip.
   */
  crashes: number[];
  /** Per slot: 0, or 1 + the index of the abort reason in `ABORT_REASON_NAMES`. */
  abortCode: Uint8Array;
  /** Per slot: an index into `DECISION_CODES`; 0 where the slot aborted. */
  decision: Uint8Array;
  /** Per slot: cash + position × bid after the slot's fill; NaN where the slot aborted. */
  equity: Float64Array;
  /** Per slot: free quote and base balance after the slot; NaN where the slot aborted. */
  cash: Float64Array;
  position: Float64Array;
  /** Per slot: close of the newest closed candle; NaN before the first candle closes. */
  close: Float64Array;
  /** Bid at each slot that was marked, NaN elsewhere. */
  bid: Float64Array;
  finalBalances: Balances;
  /** Equity of the start balances at the first marked slot, before its fill; null when none. */
  initialEquity: number | null;
  /** Equity of the last marked slot; null when every slot aborted. */
  finalEquity: number | null;
}

/** Fills a `BacktestRun` slot by slot. */
export class BacktestRecorder {
  readonly abortCode: Uint8Array;
  readonly decision: Uint8Array;
  readonly equity: Float64Array;
  readonly cash: Float64Array;
  readonly position: Float64Array;
  readonly close: Float64Array;
  readonly bid: Float64Array;
  readonly fills: BacktestFill[] = [];
  readonly skips: OrderSkipRecord[] = [];
  readonly crashes: number[] = [];
  /** Set by the engine at the first marked slot, before that slot's order. */
  initialEquity: number | null = null;
  readonly #fromSlot: number;
  readonly #intervalMs: number;
  /** Aborted slots by `abortCode` value. */
  readonly #abortCounts = new Array<number>(ABORT_REASON_NAMES.length + 1).fill(0);
  #lastMarked = -1;

  constructor(slots: number, fromSlot: number, intervalMs: number) {
    this.#fromSlot = fromSlot;
    this.#intervalMs = intervalMs;
    this.abortCode = new Uint8Array(slots);
    this.decision = new Uint8Array(slots);
    this.equity = new Float64Array(slots).fill(Number.NaN);
    this.cash = new Float64Array(slots).fill(Number.NaN);
    this.position = new Float64Array(slots).fill(Number.NaN);
    this.close = new Float64Array(slots);
    this.bid = new Float64Array(slots).fill(Number.NaN);
  }

  /** Slot start of the slot at `index`. */
  slotAt(index: number): number {
    return this.#fromSlot + index * this.#intervalMs;
  }

  abort(index: number, reason: AbortReason): void {
    const code = ABORT_REASON_NAMES.indexOf(reason) + 1;
    this.abortCode[index] = code;
    this.#abortCounts[code] = (this.#abortCounts[code] as number) + 1;
  }

  /** Records the decision and marks the portfolio at the bid, as the live cycle does. */
  mark(index: number, decision: Decision, cash: number, position: number, bid: number): void {
    this.decision[index] = DECISION_CODES.indexOf(decision);
    this.cash[index] = cash;
    this.position[index] = position;
    this.bid[index] = bid;
    this.equity[index] = cash + position * bid;
    this.#lastMarked = index;
  }

  finish(finalBalances: Balances, candles: number): BacktestRun {
    const slots = this.abortCode.length;
    return {
      fromSlot: this.#fromSlot,
      toSlot: this.slotAt(slots - 1),
      intervalMs: this.#intervalMs,
      slots,
      candles,
      aborted: this.#countAborts(),
      ordersSkipped: countBy(this.skips.map((skip) => skip.reason)),
      fills: this.fills,
      skips: this.skips,
      crashes: this.crashes,
      abortCode: this.abortCode,
      decision: this.decision,
      equity: this.equity,
      cash: this.cash,
      position: this.position,
      close: this.close,
      bid: this.bid,
      finalBalances,
      initialEquity: this.initialEquity,
      finalEquity: this.#lastMarked < 0 ? null : (this.equity[this.#lastMarked] as number),
    };
  }

  #countAborts(): Partial<Record<AbortReason, number>> {
    const aborted: Partial<Record<AbortReason, number>> = {};
    ABORT_REASON_NAMES.forEach((reason, index) => {
      const count = this.#abortCounts[index + 1] as number;
      if (count > 0) aborted[reason] = count;
    });
    return aborted;
  }
}

/** Returns the abort reason behind an `abortCode` value, or null for 0. */
export function abortReasonOf(code: number): AbortReason | null {
  return code === 0 ? null : (ABORT_REASON_NAMES[code - 1] ?? null);
}

function countBy<T extends string>(values: readonly T[]): Partial<Record<T, number>> {
  const counts: Partial<Record<T, number>> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
