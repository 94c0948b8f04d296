/**
 * The plain-text result table of `npm run sweep`: one row per combination,
 * best in-sample first, with the out-of-sample figures beside it.
 */
import { formatParams, type ParamValues } from "../../../shared/backtest/params.ts";
import type { BacktestSummary } from "../../../shared/backtest/summary.ts";
import type { RankingMetric, SweepResult } from "../../../shared/backtest/sweep-grid.ts";

export interface SweepTableInput {
  metric: RankingMetric;
  /** First slot of the out-of-sample period, ISO 8601. */
  split: string;
  ranked: readonly SweepResult[];
  skipped: ReadonlyArray<{ params: ParamValues; reason: string }>;
  failures: ReadonlyArray<{ params: ParamValues; error: string }>;
}

export function formatSweepTable(input: SweepTableInput): string {
  const { metric, ranked } = input;
  const first = ranked[0];
  const lines: string[] = [];
  if (first) {
    lines.push(
      `in-sample ${first.inSample.from} .. ${first.inSample.to}, ` +
        `out-of-sample ${first.outOfSample.from} .. ${first.outOfSample.to}`,
      "",
    );
  }
  const header = [
    "rank",
    "params",
    `in ${metric}`,
    `out ${metric}`,
    "in return",
    "out return",
    "in trades",
    "out trades",
  ];
  const rows = ranked.map((result, index) => [
    String(index + 1),
    formatParams(result.params),
    formatMetric(metric, result.inSample),
    formatMetric(metric, result.outOfSample),
    formatPercent(result.inSample.total_return),
    formatPercent(result.outOfSample.total_return),
    String(result.inSample.trades),
    String(result.outOfSample.trades),
  ]);
  lines.push(...alignColumns([header, ...rows]));
  if (ranked.length === 0) lines.push("(no combination ran)");
  if (input.skipped.length > 0) {
    lines.push("", `skipped ${input.skipped.length} combination(s) the parameter rules reject:`);
    for (const { params, reason } of input.skipped) {
      lines.push(`  ${formatParams(params)}: ${reason}`);
    }
  }
  if (input.failures.length > 0) {
    lines.push("", `failed ${input.failures.length} combination(s):`);
    for (const { params, error } of input.failures) {
      lines.push(`  ${formatParams(params)}: ${error}`);
    }
  }
  return lines.join("\n");
}

function formatMetric(metric: RankingMetric, summary: BacktestSummary): string {
  const value = summary[metric];
  if (value === null) return "n/a";
  return metric === "sharpe" || metric === "sortino" ? value.toFixed(3) : formatPercent(value);
}

function formatPercent(value: number | null): string {
  return value === null ? "n/a" : `${(value * 100).toFixed(2)} %`;
}

/** Pads each column to its widest cell; numbers are right-aligned. */
function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 1 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join("  ")
      .trimEnd()
  );
}
