import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ParamError } from "../shared/backtest/params.ts";
import type { BacktestSummary } from "../shared/backtest/summary.ts";
import {
  expandGrid,
  parseGrid,
  parseRankingMetric,
  rankResults,
  type SweepResult,
} from "../shared/backtest/sweep-grid.ts";
import { CANDLE_FILE_HEADER } from "../shared/market/candle-file.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");

describe("parseGrid", () => {
  it("reads each axis and drops repeated values", () => {
    expect(parseGrid(["fastPeriod=5,10,5", "entryFraction=0.5"])).toEqual([
      { name: "fastPeriod", values: [5, 10] },
      { name: "entryFraction", values: [0.5] },
    ]);
  });

  it("rejects an unknown parameter", () => {
    expect(() => parseGrid(["fast=5"])).toThrow(/Unknown parameter "fast"/);
  });

  it("rejects an empty list", () => {
    expect(() => parseGrid(["fastPeriod="])).toThrow(ParamError);
  });

  it("rejects a missing grid", () => {
    expect(() => parseGrid([])).toThrow(/Missing --grid/);
  });

  it("rejects a grid over the combination limit", () => {
    const values = Array.from({ length: 101 }, (_, i) => i + 2).join(",");
    expect(() => parseGrid([`fastPeriod=${values}`, `slowPeriod=${values}`])).toThrow(
      /10201 combinations/,
    );
  });
});

describe("expandGrid", () => {
  it("lists every combination", () => {
    const combos = expandGrid([
      { name: "fastPeriod", values: [5, 10] },
      { name: "slowPeriod", values: [20, 40, 80] },
    ]);
    expect(combos).toHaveLength(6);
    expect(combos[0]).toEqual({ fastPeriod: 5, slowPeriod: 20 });
    expect(combos[5]).toEqual({ fastPeriod: 10, slowPeriod: 80 });
  });
});

describe("rankResults", () => {
  const result = (sharpe: number | null, drawdown: number): SweepResult => {
    const summary = { sharpe, max_drawdown: drawdown } as BacktestSummary;
    return { params: { fastPeriod: drawdown }, inSample: summary, outOfSample: summary };
  };

  it("puts the highest Sharpe first and a missing one last", () => {
    const ranked = rankResults([result(null, 1), result(0.5, 2), result(1.5, 3)], "sharpe");
    expect(ranked.map((r) => r.inSample.sharpe)).toEqual([1.5, 0.5, null]);
  });

  it("puts the smallest drawdown first", () => {
    const ranked = rankResults([result(1, 0.3), result(1, 0.1)], "max_drawdown");
    expect(ranked.map((r) => r.inSample.max_drawdown)).toEqual([0.1, 0.3]);
  });

  it("rejects an unknown metric", () => {
    expect(() => parseRankingMetric("profit")).toThrow(
      'Invalid --metric "profit": expected one of sharpe, sortino, total_return, cagr, ' +
        "win_rate, max_drawdown.",
    );
  });
});

describe("npm run sweep", () => {
  const dir = mkdtempSync(join(tmpdir(), "titan-sweep-"));
  const file = join(dir, "candles.csv");
  const start = Date.UTC(2024, 0, 1);
  const candles = syntheticCandles({
    start,
    count: 1400,
    price: (i) => 30000 + 3000 * Math.sin(i / 60) + 300 * Math.sin(i / 6),
  });
  const rows = candles.map((c) => `${c.time},${c.open},${c.high},${c.low},${c.close},${c.volume}`);
  writeFileSync(file, [CANDLE_FILE_HEADER, ...rows].join("\n"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("ranks in sample, reports out of sample and lists skipped combinations", async () => {
    const split = new Date(start + 900 * INTERVAL).toISOString();
    const { stdout } = await run(
      "npx",
      [
        "tsx",
        "scripts/sweep.ts",
        "--candles",
        file,
        "--grid",
        "fastPeriod=5,10,30",
        "--grid",
        "slowPeriod=10,30",
        "--split",
        split,
        "--workers",
        "2",
        "--json",
      ],
      { cwd: ROOT, env: { ...process.env, TITAN_HOME: dir } },
    );
    const output = JSON.parse(stdout);
    expect(output.workers).toBe(2);
    expect(output.results.map((r: SweepResult) => r.params)).toHaveLength(3);
    expect(output.skipped.map((s: { params: unknown }) => s.params)).toEqual([
      { fastPeriod: 10, slowPeriod: 10 },
      { fastPeriod: 30, slowPeriod: 10 },
      { fastPeriod: 30, slowPeriod: 30 },
    ]);
    const sharpes = output.results.map((r: SweepResult) => r.inSample.sharpe);
    expect(sharpes).toEqual([...sharpes].sort((a: number, b: number) => b - a));
    expect(output.results[0].outOfSample.from).toBe(split);
    expect(output.results[0].inSample.to).toBe(new Date(start + 899 * INTERVAL).toISOString());
  }, 60_000);
});
