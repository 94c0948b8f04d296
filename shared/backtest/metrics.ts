/**
 * Performance figures of a backtest run, computed from its per-slot equity.
 *
 * The equity of an aborted slot is not measured (the live cycle marks
 * nothing then), so the series carries the last marked equity forward over
 * aborted slots. Returns are per slot (15 minutes); Sharpe and Sortino
 * ratios use a risk-free rate of 0 and are annualized with the number of
 * slots in a year of 365.25 days.
 *
 * @module
 */

import type { BacktestRun } from "./run-record.ts";

const YEAR_MS = 365.25 * 24 * 60 * 60 * 1000;

/** The figures `npm run backtest` prints; fractions, not percent. */
export interface BacktestMetrics {
  /** Equity at the first marked slot, before its fill; null when no slot was marked. */
  initialEquity: number | null;
  finalEquity: number | null;
  /** finalEquity / initialEquity - 1. */
  totalReturn: number | null;
  /** Compound annual growth rate over the range's duration. */
  cagr: number | null;
  /** Largest fall from a running peak of equity, as a fraction of the peak (0.25 is 25 %). */
  maxDrawdown: number | null;
  /** Annualized mean over standard deviation of the per-slot returns; null when they never vary. */
  sharpe: number | null;
  /** Annualized mean over the downside deviation; null without a losing slot. */
  sortino: number | null;
  /** Share of sells that closed at a profit after fees; null without a sell. */
  winRate: number | null;
  /** Share of the range's slots that ended holding at least the market's minimum amount. */
  exposure: number;
  trades: number;
  /** Fees paid, in the quote currency, rounded to 1e-8 as replay does. */
  fees: number;
}

/** Computes the metrics of a run; `minAmount` is the market's minimum order amount. */
export function computeMetrics(run: BacktestRun, minAmount: number): BacktestMetrics {
  const curve = equityCurve(run);
  const first = firstMarked(run);
  const { initialEquity, finalEquity } = run;
  const growth = initialEquity !== null && finalEquity !== null && initialEquity > 0
    ? finalEquity / initialEquity
    : null;
  const years = (run.toSlot - run.fromSlot + run.intervalMs) / YEAR_MS;
  const ratios = returnRatios(curve, first < 0 ? curve.length : first, run.intervalMs);
  return {
    initialEquity,
    finalEquity,
    totalReturn: growth === null ? null : growth - 1,
    cagr: growth === null ? null : growth ** (1 / years) - 1,
    maxDrawdown: first < 0 ? null : maxDrawdown(curve, first),
    sharpe: ratios.sharpe,
    sortino: ratios.sortino,
    winRate: winRate(run),
    exposure: exposure(run, minAmount),
    trades: run.fills.length,
    fees: Math.round(run.fills.reduce((sum, fill) => sum + fill.fee, 0) * 1e8) / 1e8,
  };
}

/** Returns per-slot equity, each aborted slot carrying the last marked one; NaN before any mark. */
export function equityCurve(run: BacktestRun): Float64Array {
  const curve = new Float64Array(run.slots);
  let last = Number.NaN;
  for (let index = 0; index < run.slots; index++) {
    const equity = run.equity[index] as number;
    if (!Number.isNaN(equity)) last = equity;
    curve[index] = last;
  }
  return curve;
}

/** Drawdown from the running peak at each slot, as a fraction; NaN before the first mark. */
export function drawdownCurve(curve: Float64Array): Float64Array {
  const drawdown = new Float64Array(curve.length);
  let peak = -Infinity;
  for (let index = 0; index < curve.length; index++) {
    const equity = curve[index] as number;
    if (equity > peak) peak = equity;
    if (Number.isNaN(equity)) drawdown[index] = Number.NaN;
    else drawdown[index] = peak > 0 ? 1 - equity / peak : 0;
  }
  return drawdown;
}

function firstMarked(run: BacktestRun): number {
  return run.equity.findIndex((equity) => !Number.isNaN(equity));
}

function maxDrawdown(curve: Float64Array, first: number): number {
  let peak = -Infinity;
  let worst = 0;
  for (let index = first; index < curve.length; index++) {
    const equity = curve[index] as number;
    if (equity > peak) peak = equity;
    if (peak > 0) worst = Math.max(worst, 1 - equity / peak);
  }
  return worst;
}

function returnRatios(curve: Float64Array, first: number, intervalMs: number) {
  let count = 0;
  let sum = 0;
  let sumSquares = 0;
  let downsideSquares = 0;
  for (let index = first + 1; index < curve.length; index++) {
    const change = (curve[index] as number) / (curve[index - 1] as number) - 1;
    count++;
    sum += change;
    sumSquares += change * change;
    if (change < 0) downsideSquares += change * change;
  }
  if (count < 2) return { sharpe: null, sortino: null };
  const mean = sum / count;
  const variance = (sumSquares - count * mean * mean) / (count - 1);
  const annualize = Math.sqrt(YEAR_MS / intervalMs);
  const deviation = Math.sqrt(Math.max(0, variance));
  const downside = Math.sqrt(downsideSquares / count);
  return {
    sharpe: deviation > 0 ? (mean / deviation) * annualize : null,
    sortino: downside > 0 ? (mean / downside) * annualize : null,
  };
}

/** Returns the share of sells whose proceeds after fees exceed the cost of what they sold. */
function winRate(run: BacktestRun): number | null {
  let heldAmount = 0;
  let costBasis = 0;
  let sells = 0;
  let wins = 0;
  for (const fill of run.fills) {
    if (fill.side === "buy") {
      heldAmount += fill.amount;
      costBasis += fill.cost + fill.fee;
      continue;
    }
    const share = heldAmount > 0 ? Math.min(1, fill.amount / heldAmount) : 0;
    const basis = costBasis * share;
    sells++;
    if (fill.cost - fill.fee > basis) wins++;
    heldAmount -= fill.amount;
    costBasis -= basis;
    if (heldAmount <= 0) {
      heldAmount = 0;
      costBasis = 0;
    }
  }
  return sells === 0 ? null : wins / sells;
}

/** Returns the share of slots holding a position; an aborted slot keeps the last mark. */
function exposure(run: BacktestRun, minAmount: number): number {
  let slotsHolding = 0;
  let isHolding = false;
  for (let index = 0; index < run.slots; index++) {
    const position = run.position[index] as number;
    if (!Number.isNaN(position)) isHolding = position >= minAmount;
    if (isHolding) slotsHolding++;
  }
  return run.slots === 0 ? 0 : slotsHolding / run.slots;
}
