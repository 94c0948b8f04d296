/**
 * The results of `npm run bench` as a terminal table and as the Markdown
 * page `docs/benchmarks.md`.
 */

/** One row: a measured figure against its target, or the reason it was not measured. */
export interface BenchRow {
  name: string;
  /** The figure as text, for example "1,520,000 candles/s"; null when not measured. */
  result: string | null;
  /** Reason the row has no figure; set when `result` is null. */
  notMeasured?: string;
  /** The target as text, for example ">= 1,000,000 candles/s"; "-" when none. */
  target: string;
  /** True when met, false when missed, null without a target or a figure. */
  met: boolean | null;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  deno: string;
  date: string;
  /** Load average over the minute before the bench started; other work slows the runs. */
  loadAverage: number;
}

function statusOf(row: BenchRow): string {
  if (row.result === null) return "not measured";
  if (row.met === null) return "-";
  return row.met ? "met" : "MISSED";
}

function resultOf(row: BenchRow): string {
  return row.result ?? `not measured: ${row.notMeasured ?? "no reason given"}`;
}

/** Aligned plain-text table for a terminal. */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const table = [
    ["measurement", "result", "target", "status"],
    ...rows.map((row) => [row.name, resultOf(row), row.target, statusOf(row)]),
  ];
  const widths = [0, 1, 2, 3].map((column) =>
    Math.max(...table.map((cells) => (cells[column] ?? "").length))
  );
  return table
    .map((cells) =>
      cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()
    )
    .join("\n");
}

/** Formats the Markdown page: what was run, on which machine, and the table. */
export function formatBenchPage(rows: readonly BenchRow[], machine: MachineInfo, method: string[]) {
  const escape = (text: string) => text.replace(/\|/g, "\\|");
  const lines = [
    "# Benchmarks",
    "",
    "Written by `npm run bench`; run it again to refresh this page. `npm run bench:smoke`",
    "runs a small range in a few seconds and prints the table without writing this page.",
    "",
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPU | ${escape(machine.cpu)} |`,
    `| cores | ${machine.cores} |`,
    `| memory | ${machine.memoryGiB.toFixed(1)} GiB |`,
    `| Node | ${machine.node} |`,
    `| Deno | ${escape(machine.deno)} |`,
    `| date | ${machine.date} |`,
    `| load average (1 min) | ${machine.loadAverage.toFixed(2)} |`,
    "",
    "## Results",
    "",
    "| measurement | result | target | status |",
    "|---|---|---|---|",
    ...rows.map((row) =>
      `| ${escape(row.name)} | ${escape(resultOf(row))} | ${escape(row.target)} | ${
        statusOf(row)
      } |`
    ),
    "",
    "## Method",
    "",
    ...method.map((line) => `- ${line}`),
    "",
  ];
  return lines.join("\n");
}
