/**
 * The summary of a backtest as `npm run backtest -- --json` prints it, and
 * its plain-text form.
 *
 * @module
 */

import type { TitanConfig } from "../config/config.ts";
import type { BacktestMetrics } from "./metrics.ts";
import type { BacktestRun } from "./run-record.ts";

/** One JSON object; ratios are fractions (0.12 is 12 %), money is in the quote currency. */
export interface BacktestSummary {
  market: string;
  /** First and last slot run, ISO 8601. */
  from: string;
  to: string;
  slots: number;
  candles: number;
  trades: number;
  fees: number;
  total_return: number | null;
  cagr: number | null;
  max_drawdown: number | null;
  sharpe: number | null;
  sortino: number | null;
  win_rate: number | null;
  exposure: number;
  initial_equity: number | null;
  final_equity: number | null;
  /** Aborted slots by reason, the live cycle's reasons. */
  aborted: Record<string, number>;
  /** BUY or SELL decisions whose order a rule stopped, by reason. */
  orders_skipped: Record<string, number>;
  /** Slots where the live cycle crashes because the journal rejects a fill that overdraws. */
  crashed: number;
  strategy: TitanConfig["strategy"];
  risk: TitanConfig["risk"];
}

export function summarizeBacktest(
  market: string,
  run: BacktestRun,
  metrics: BacktestMetrics,
  config: Pick<TitanConfig, "strategy" | "risk">,
): BacktestSummary {
  return {
    market,
    from: new Date(run.fromSlot).toISOString(),
    to: new Date(run.toSlot).toISOString(),
    slots: run.slots,
    candles: run.candles,
    trades: metrics.trades,
    fees: metrics.fees,
    total_return: metrics.totalReturn,
    cagr: metrics.cagr,
    max_drawdown: metrics.maxDrawdown,
    sharpe: metrics.sharpe,
    sortino: metrics.sortino,
    win_rate: metrics.winRate,
    exposure: metrics.exposure,
    initial_equity: metrics.initialEquity,
    final_equity: metrics.finalEquity,
    aborted: { ...run.aborted },
    orders_skipped: { ...run.ordersSkipped },
    crashed: run.crashes.length,
    strategy: config.strategy,
    risk: config.risk,
  };
}

/** Rows of the metrics table, label and formatted value, for the terminal and the report. */
export function metricRows(summary: BacktestSummary): Array<[string, string]> {
  return [
    ["candles", String(summary.candles)],
    ["slots", String(summary.slots)],
    ["trades", String(summary.trades)],
    ["fees", money(summary.fees)],
    ["initial equity", money(summary.initial_equity)],
    ["final equity", money(summary.final_equity)],
    ["total return", percent(summary.total_return)],
    ["CAGR", percent(summary.cagr)],
    ["max drawdown", percent(summary.max_drawdown)],
    ["Sharpe ratio", ratio(summary.sharpe)],
    ["Sortino ratio", ratio(summary.sortino)],
    ["win rate", percent(summary.win_rate)],
    ["exposure", percent(summary.exposure)],
  ];
}

/** Formats the summary as aligned text lines for a terminal. */
export function describeBacktest(summary: BacktestSummary): string {
  const aborts = Object.entries(summary.aborted).sort((a, b) => b[1] - a[1]);
  const skips = Object.entries(summary.orders_skipped).sort((a, b) => b[1] - a[1]);
  const total = (counts: Array<[string, number]>) => counts.reduce((sum, [, n]) => sum + n, 0);
  const lines = [
    `backtest ${summary.market} slots ${summary.from} .. ${summary.to}`,
    ...metricRows(summary).map(([label, value]) => `${label.padEnd(15)} ${value}`),
    `${"aborted".padEnd(15)} ${total(aborts)}`,
    ...aborts.map(([reason, count]) => `  ${reason.padEnd(22)} ${count}`),
    ...(skips.length > 0 ? [`${"orders skipped".padEnd(15)} ${total(skips)}`] : []),
    ...skips.map(([reason, count]) => `  ${reason.padEnd(22)} ${count}`),
    ...(summary.crashed > 0 ? [`${"crashed".padEnd(15)} ${summary.crashed}`] : []),
  ];
  return lines.join("\n");
}

function money(value: number | null): string {
  return value === null ? "n/a" : value.toFixed(2);
}

function percent(value: number | null): string {
  return value === null ? "n/a" : `${(value * 100).toFixed(2)} %`;
}

function ratio(value: number | null): string {
  return value === null ? "n/a" : value.toFixed(3);
}
