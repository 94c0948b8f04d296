/**
 * The backtest report: one self-contained HTML file with the uPlot 1.6.32
 * library and the data inlined, so it opens offline from disk.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BacktestMetrics } from "../../../shared/backtest/metrics.ts";
import type { BacktestRun } from "../../../shared/backtest/run-record.ts";
import { type BacktestSummary, metricRows } from "../../../shared/backtest/summary.ts";
import { ABORT_REASONS } from "../../../shared/cycle/reasons.ts";
import { ORDER_SKIP_REASONS } from "../../../shared/risk/order-rules.ts";
import { DISPATCH_DELAY_MS } from "../replay-run.ts";
import { buildReportSeries } from "./report-data.ts";
import { CHART_SCRIPT } from "./chart-script.ts";

export interface ReportInput {
  summary: BacktestSummary;
  run: BacktestRun;
  metrics: BacktestMetrics;
}

/** Builds the report page. Reads uPlot's script and stylesheet from node_modules. */
export function buildReportHtml(input: ReportInput): string {
  const { summary } = input;
  const uplot = readUplot();
  const data = JSON.stringify(buildReportSeries(input.run)).replace(/</g, "\\u003c");
  const title = `Backtest ${summary.market} ${summary.from.slice(0, 16)} to ${
    summary.to.slice(0, 16)
  }`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${uplot.css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="note">Slots run as replay runs them: the PAPER cycle's checks, strategy, sizing and fills,
${
    DISPATCH_DELAY_MS / 1000
  } seconds after each 15-minute slot opens. Equity is cash + position × bid;
an aborted slot carries the previous equity.</p>
<section class="tables">
${table("Metrics", ["metric", "value"], metricRows(summary))}
${table("Aborted slots by reason", ["reason", "slots", "meaning"], abortRows(summary))}
${table("Orders skipped by reason", ["reason", "orders", "meaning"], skipRows(summary))}
${table("Parameters", ["parameter", "value"], paramRows(summary))}
</section>
<h2>Equity against buy and hold</h2>
<div class="chart" id="chart-equity"></div>
<h2>Drawdown (%)</h2>
<div class="chart" id="chart-drawdown"></div>
<h2>Price with entries and exits</h2>
<div class="chart" id="chart-price"></div>
<script type="application/json" id="report-data">${data}</script>
<script>${uplot.js}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}

function readUplot(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("uplot/dist/uPlot.iife.min.js"));
  return {
    js: readFileSync(join(dist, "uPlot.iife.min.js"), "utf8").replace(/<\/script/gi, "<\\/script"),
    css: readFileSync(join(dist, "uPlot.min.css"), "utf8"),
  };
}

function abortRows(summary: BacktestSummary): string[][] {
  const rows = Object.entries(summary.aborted).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return [["none", "0", "Every slot reached the strategy."]];
  return rows.map(([reason, count]) => [
    reason,
    String(count),
    ABORT_REASONS[reason as keyof typeof ABORT_REASONS] ?? "",
  ]);
}

function skipRows(summary: BacktestSummary): string[][] {
  const rows = Object.entries(summary.orders_skipped).sort((a, b) => b[1] - a[1]);
  if (rows.length === 0) return [["none", "0", "Every BUY and SELL decision was filled."]];
  return rows.map(([reason, count]) => [
    reason,
    String(count),
    ORDER_SKIP_REASONS[reason as keyof typeof ORDER_SKIP_REASONS] ?? "",
  ]);
}

function paramRows(summary: BacktestSummary): string[][] {
  const entries = [...Object.entries(summary.strategy), ...Object.entries(summary.risk)];
  return entries.map(([name, value]) => [name, String(value)]);
}

function table(caption: string, headers: string[], rows: string[][]): string {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("");
  const body = rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead>` +
    `<tbody>${body}</tbody></table>`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const PAGE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
.note { color: #57606a; max-width: 900px; }
.tables { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
table { border-collapse: collapse; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { border-bottom: 1px solid #d0d7de; padding: 3px 10px 3px 0; text-align: left; }
td:nth-child(2) { font-variant-numeric: tabular-nums; }
.chart { min-height: 300px; }
`;
