import { describe, expect, it } from "vitest";
import { type BacktestRun, runBacktest } from "../shared/backtest/engine.ts";
import { abortReasonOf, DECISION_CODES } from "../shared/backtest/run-record.ts";
import { createTapeQuotes } from "../shared/backtest/tape-quotes.ts";
import { type Env, loadConfig } from "../shared/config/config.ts";
import { CycleAbort } from "../shared/cycle/reasons.ts";
import { checkCandles } from "../shared/market/integrity.ts";
import type { Candle } from "../shared/market/types.ts";
import { createTrendEvaluator } from "../shared/strategy/trend.ts";
import { marketInfoFor } from "../simulator/historical-source.ts";
import { CandleTape, KRAKEN_OHLC_MAX_ROWS } from "../simulator/tape.ts";
import {
  HAVE_DATA,
  INTERVAL,
  loadRealCandles,
  NO_DATA_MESSAGE,
  syntheticCandles,
} from "./helpers/candles.ts";

const START = Date.UTC(2024, 0, 1);
const DELAY_MS = 5_000;
const FAST_STRATEGY = '{"fastPeriod":5,"slowPeriod":20,"atrPeriod":5}';
const market = marketInfoFor("BTC/USD");

function backtest(candles: Candle[], from: number, to: number, env: Env = {}): BacktestRun {
  const config = loadConfig({ TITAN_STRATEGY_PARAMS: FAST_STRATEGY, ...env });
  return runBacktest({
    config,
    exchange: {
      market,
      ohlcMaxRows: KRAKEN_OHLC_MAX_ROWS,
      quoteAt: createTapeQuotes(candles, INTERVAL, 2, 1),
    },
    candles,
    fromSlot: from,
    toSlot: to,
    dispatchDelayMs: DELAY_MS,
  });
}

function wavySeries(count = 1200, missing: number[] = []): Candle[] {
  return syntheticCandles({
    start: START,
    count,
    price: (i) => 30000 + 3000 * Math.sin(i / 80) + 300 * Math.sin(i / 7),
    missing: missing.map((i) => START + i * INTERVAL),
  });
}

/** Outcome of each slot as text: the abort reason or the decision. */
function outcomes(run: BacktestRun): string[] {
  return Array.from(
    run.abortCode,
    (code, index) => abortReasonOf(code) ?? String(DECISION_CODES[run.decision[index] as number]),
  );
}

describe("runBacktest", () => {
  it("trades on a wavy series", () => {
    const run = backtest(wavySeries(), START + INTERVAL, START + 1200 * INTERVAL);
    expect(run.fills.length).toBeGreaterThan(10);
    expect(run.fills[0]?.side).toBe("buy");
    expect(run.aborted).toEqual({ INSUFFICIENT_HISTORY: 19 });
  });

  it("marks equity as cash plus position at the bid", () => {
    const run = backtest(wavySeries(), START + INTERVAL, START + 1200 * INTERVAL);
    const index = run.fills.length > 0 ? (run.fills[1]!.slot - run.fromSlot) / INTERVAL : 0;
    const expected = run.cash[index]! + run.position[index]! * run.bid[index]!;
    expect(run.equity[index]).toBe(expected);
    expect(run.position[index]).toBe(run.fills[1]?.position);
  });

  it("never looks past the slot it decides", () => {
    const candles = wavySeries();
    const cut = START + 700 * INTERVAL;
    const changed = candles.map((candle) =>
      candle.time < cut ? candle : {
        ...candle,
        open: candle.open * 1.3,
        high: candle.high * 1.5,
        low: candle.low * 0.6,
        close: candle.close * 0.7,
      }
    );
    const from = START + INTERVAL;
    const to = START + 1200 * INTERVAL;
    const before = backtest(candles, from, to);
    const after = backtest(changed, from, to);
    const decided = (cut - from) / INTERVAL + 1;
    expect(outcomes(after).slice(0, decided)).toEqual(outcomes(before).slice(0, decided));
    expect(outcomes(after)).not.toEqual(outcomes(before));
    const fillsBefore = (run: BacktestRun) => run.fills.filter((fill) => fill.slot < cut);
    expect(fillsBefore(after)).toEqual(fillsBefore(before));
  });

  it("decides as a fresh evaluator fed the live window", () => {
    const candles = wavySeries(900, [300, 301, 450, 600]);
    const tape = new CandleTape(candles);
    const run = backtest(candles, START + INTERVAL, START + 900 * INTERVAL);
    const config = loadConfig({ TITAN_STRATEGY_PARAMS: FAST_STRATEGY });
    const differences: string[] = [];
    for (let index = 0; index < run.slots; index++) {
      const slot = run.fromSlot + index * INTERVAL;
      const evaluator = createTrendEvaluator(config.strategy);
      let window: Candle[];
      try {
        window = checkCandles(tape.ohlcAt(slot + DELAY_MS), {
          slot,
          exchangeNow: slot + DELAY_MS,
          intervalMs: INTERVAL,
          historyCandles: config.cycle.historyCandles,
          requiredCandles: evaluator.requiredCandles,
          gapPolicy: config.cycle.gapPolicy,
        }).window;
      } catch (error) {
        if (!(error instanceof CycleAbort)) throw error;
        if (abortReasonOf(run.abortCode[index]!) !== error.reason) differences.push(`${index}`);
        continue;
      }
      for (const candle of window) evaluator.push(candle);
      const positionBefore = latestPosition(run, slot);
      const decision = evaluator.signal(positionBefore >= market.minAmount).action;
      if (DECISION_CODES[run.decision[index]!] !== decision) {
        differences.push(`${index} ${decision}`);
      }
    }
    expect(differences).toEqual([]);
    // Each missing interval makes the next slot stale. A slot with a missing candle among its
    // newest three aborts DATA_GAP, which here happens to two slots per run of gaps.
    expect(run.aborted.STALE_DATA).toBe(4);
    expect(run.aborted.DATA_GAP).toBe(6);
  });

  it("aborts every slot STALE_SLOT when the delay exceeds the limit", () => {
    const run = backtest(wavySeries(100), START + INTERVAL, START + 100 * INTERVAL, {
      TITAN_MAX_SLOT_DELAY_MS: "4000",
    });
    expect(run.aborted).toEqual({ STALE_SLOT: 100 });
    expect(run.finalEquity).toBeNull();
  });

  it("aborts every slot TIMESTAMP_MISMATCH on a tight skew limit", () => {
    const run = backtest(wavySeries(100), START + INTERVAL, START + 100 * INTERVAL, {
      TITAN_MAX_CLOCK_SKEW_MS: "400",
    });
    expect(run.aborted).toEqual({ TIMESTAMP_MISMATCH: 100 });
  });

  it("rejects a range off the slot grid", () => {
    expect(() => backtest(wavySeries(100), START + 1, START + INTERVAL)).toThrow(RangeError);
  });

  it("rejects a range that ends before it starts", () => {
    expect(() => backtest(wavySeries(100), START + 2 * INTERVAL, START + INTERVAL)).toThrow(
      /first at or before the last/,
    );
  });

  it.skipIf(!HAVE_DATA)("counts the real file's aborts", () => {
    const candles = loadRealCandles();
    const run = backtest(candles, candles[0]!.time + INTERVAL, candles.at(-1)!.time + INTERVAL, {
      TITAN_STRATEGY_PARAMS: "{}",
    });
    expect(run.candles).toBe(26_193);
    expect(run.slots).toBe(26_208);
    expect(run.aborted.STALE_DATA).toBe(15);
  });
});

if (!HAVE_DATA) it.skip(NO_DATA_MESSAGE, () => {});

/** Base balance before the slot's own fill: after the latest earlier fill. */
function latestPosition(run: BacktestRun, slot: number): number {
  let position = 0;
  for (const fill of run.fills) if (fill.slot < slot) position = fill.position;
  return position;
}
