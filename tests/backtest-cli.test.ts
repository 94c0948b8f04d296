import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CANDLE_FILE_HEADER } from "../shared/market/candle-file.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";

const execute = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "titan-backtest-cli-"));
const start = Date.UTC(2024, 0, 1);
const candles = syntheticCandles({
  start,
  count: 800,
  price: (i) => 30000 + 3000 * Math.sin(i / 60) + 300 * Math.sin(i / 6),
  missing: [start + 500 * INTERVAL],
});
const msFile = join(dir, "candles-ms.csv");
const krakenFile = join(dir, "candles-kraken.csv");
writeFileSync(
  msFile,
  [
    CANDLE_FILE_HEADER,
    ...candles.map((c) => [c.time, c.open, c.high, c.low, c.close, c.volume].join(",")),
  ]
    .join("\n"),
);
writeFileSync(
  krakenFile,
  candles.map((c) => [c.time / 1000, c.open, c.high, c.low, c.close, c.volume, 12].join(",")).join(
    "\n",
  ),
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command; returns its status, standard output and standard error. */
async function backtest(...args: string[]) {
  try {
    const { stdout, stderr } = await execute("npx", ["tsx", "scripts/backtest.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, TITAN_HOME: dir, TITAN_STRATEGY_PARAMS: "{}" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm run backtest", () => {
  it("prints every metric as one JSON object", async () => {
    const result = await backtest("--candles", msFile, "--json", "--param", "fastPeriod=5");
    const summary = JSON.parse(result.stdout);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    for (
      const key of [
        "candles",
        "trades",
        "fees",
        "total_return",
        "cagr",
        "max_drawdown",
        "sharpe",
        "sortino",
        "win_rate",
        "exposure",
        "final_equity",
        "aborted",
      ]
    ) {
      expect(summary).toHaveProperty(key);
    }
    expect(summary.candles).toBe(799);
    expect(summary.strategy.fastPeriod).toBe(5);
    expect(summary.aborted.STALE_DATA).toBe(1);
  }, 30_000);

  it("reads Kraken's OHLCVT export alike", async () => {
    const ms = JSON.parse((await backtest("--candles", msFile, "--json")).stdout);
    const kraken = JSON.parse((await backtest("--candles", krakenFile, "--json")).stdout);
    expect(kraken).toEqual(ms);
  }, 30_000);

  it("limits the run to --from and --to", async () => {
    const from = new Date(start + 100 * INTERVAL).toISOString();
    const to = new Date(start + 199 * INTERVAL).toISOString();
    const summary = JSON.parse(
      (await backtest("--candles", msFile, "--json", "--from", from, "--to", to)).stdout,
    );
    expect(summary.slots).toBe(100);
    expect(summary.from).toBe(from);
  }, 30_000);

  it("rejects an unknown parameter by name", async () => {
    const result = await backtest("--candles", msFile, "--param", "speed=3");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown parameter "speed": expected a strategy parameter');
  }, 30_000);

  it("rejects a parameter the schema rejects", async () => {
    const result = await backtest("--candles", msFile, "--param", "entryBand=0.5");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("entryBand: entryBand must be at most 0.1, got 0.5");
  }, 30_000);

  it("reports a bad candle row with its line", async () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, `${CANDLE_FILE_HEADER}\n1704067200000,10,9,11,10,1\n`);
    const result = await backtest("--candles", bad);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("bad.csv line 2: high 9 is below low 11");
  }, 30_000);

  it("writes the HTML report", async () => {
    const report = join(dir, "report.html");
    const result = await backtest("--candles", msFile, "--report", report);
    expect(result.code).toBe(0);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, "utf8")).toContain('<div class="chart" id="chart-equity">');
  }, 30_000);
});
