/**
 * The series the HTML report charts, compacted for embedding as JSON: slot
 * times are implied by the first slot and the interval, numbers are rounded
 * to what a chart can show, and fills are listed sparsely.
 */
import { drawdownCurve, equityCurve } from "../../../shared/backtest/metrics.ts";
import type { BacktestRun } from "../../../shared/backtest/run-record.ts";

export interface ReportSeries {
  /** First slot and slot length, in seconds since the epoch, for the x axis. */
  firstSlotSec: number;
  intervalSec: number;
  /** Per slot; null before the first marked slot. */
  equity: Array<number | null>;
  /** The initial equity held as the market's base currency from the first marked slot. */
  buyAndHold: Array<number | null>;
  /** Drawdown from the running peak of equity, in percent. */
  drawdownPct: Array<number | null>;
  /** Close of the newest closed candle at each slot. */
  price: Array<number | null>;
  /** Fills as [slot index, fill price]. */
  buys: Array<[number, number]>;
  sells: Array<[number, number]>;
}

export function buildReportSeries(run: BacktestRun): ReportSeries {
  const curve = equityCurve(run);
  const drawdown = drawdownCurve(curve);
  const first = curve.findIndex((value) => !Number.isNaN(value));
  const startPrice = first < 0 ? Number.NaN : (run.close[first] as number);
  const startEquity = run.initialEquity ?? Number.NaN;

  const equity: Array<number | null> = [];
  const buyAndHold: Array<number | null> = [];
  const drawdownPct: Array<number | null> = [];
  const price: Array<number | null> = [];
  for (let index = 0; index < run.slots; index++) {
    const close = run.close[index] as number;
    equity.push(rounded(curve[index] as number, 2));
    drawdownPct.push(rounded((drawdown[index] as number) * 100, 3));
    price.push(rounded(close, 8));
    const isMarked = first >= 0 && index >= first;
    buyAndHold.push(rounded(isMarked ? (startEquity * close) / startPrice : Number.NaN, 2));
  }

  const fillsOf = (side: "buy" | "sell") =>
    run.fills
      .filter((fill) => fill.side === side)
      .map((fill): [number, number] => [(fill.slot - run.fromSlot) / run.intervalMs, fill.price]);
  return {
    firstSlotSec: run.fromSlot / 1000,
    intervalSec: run.intervalMs / 1000,
    equity,
    buyAndHold,
    drawdownPct,
    price,
    buys: fillsOf("buy"),
    sells: fillsOf("sell"),
  };
}

/** Rounds to `decimals` places, and turns NaN and infinities into null for JSON. */
function rounded(value: number, decimals: number): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
