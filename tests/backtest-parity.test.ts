/**
 * Holds the backtest and replay together: for the same candles, range and
 * settings they must reach the same outcome, decision, fill, balances and
 * equity at every slot, to the last digit.
 */
import { describe, expect, it } from "vitest";
import { type BacktestRun, runBacktest } from "../shared/backtest/engine.ts";
import { abortReasonOf, DECISION_CODES } from "../shared/backtest/run-record.ts";
import { createTapeQuotes } from "../shared/backtest/tape-quotes.ts";
import { type Env, loadConfig } from "../shared/config/config.ts";
import type { CycleResult } from "../shared/cycle/context.ts";
import type { Candle } from "../shared/market/types.ts";
import { marketInfoFor } from "../simulator/historical-source.ts";
import { KRAKEN_OHLC_MAX_ROWS } from "../simulator/tape.ts";
import { openLocalJournal } from "../scripts/lib/journal.ts";
import { DISPATCH_DELAY_MS, replay, type ReplaySummary } from "../scripts/lib/replay-run.ts";
import { MemorySink } from "./helpers/cycle-harness.ts";
import {
  HAVE_DATA,
  INTERVAL,
  loadRealCandles,
  NO_DATA_MESSAGE,
  syntheticCandles,
} from "./helpers/candles.ts";

const SPREAD_BPS = 2;
/** Short averages, so a range of a few thousand slots has dozens of trades. */
const FAST_STRATEGY = '{"fastPeriod":5,"slowPeriod":20,"atrPeriod":6}';

interface Compared {
  replay: ReplaySummary;
  run: BacktestRun;
  mismatches: string[];
}

async function compare(candles: Candle[], from: number, to: number, env: Env): Promise<Compared> {
  const config = loadConfig({ TITAN_STRATEGY_PARAMS: FAST_STRATEGY, ...env });
  const { journal } = await openLocalJournal({}, null);
  const results: CycleResult[] = [];
  let summary: ReplaySummary;
  try {
    summary = await replay({
      config,
      market: "BTC/USD",
      candles,
      journal,
      blackbox: new MemorySink(),
      fromSlot: from,
      toSlot: to,
      spreadBps: SPREAD_BPS,
      onCycle: (_done, _total, result) => results.push(result),
    });
  } finally {
    await journal.close();
  }
  const market = marketInfoFor("BTC/USD");
  const run = runBacktest({
    config,
    exchange: {
      market,
      ohlcMaxRows: KRAKEN_OHLC_MAX_ROWS,
      quoteAt: createTapeQuotes(candles, INTERVAL, SPREAD_BPS, market.priceDecimals),
    },
    candles,
    fromSlot: from,
    toSlot: to,
    dispatchDelayMs: DISPATCH_DELAY_MS,
  });
  return { replay: summary, run, mismatches: slotMismatches(results, run) };
}

/** Lists every slot where the two disagree, with both sides. */
function slotMismatches(results: CycleResult[], run: BacktestRun): string[] {
  const fills = new Map(run.fills.map((fill) => [fill.slot, fill]));
  const skipped = new Set(run.skips.map((skip) => skip.slot));
  const crashed = new Set(run.crashes);
  const mismatches: string[] = [];
  if (results.length !== run.slots) mismatches.push(`slots ${results.length} != ${run.slots}`);
  results.forEach((result, index) => {
    const reason = abortReasonOf(run.abortCode[index] as number);
    const outcome = reason !== null
      ? "aborted"
      : crashed.has(result.slot)
      ? "crashed"
      : skipped.has(result.slot)
      ? "skipped"
      : "completed";
    const equity = run.equity[index] as number;
    const fill = fills.get(result.slot);
    const financials = result.payload?.financials ?? null;
    const backtest = {
      outcome,
      reason,
      decision: DECISION_CODES[run.decision[index] as number] ?? null,
      fill: fill ? [fill.side, fill.amount, fill.price, fill.cost, fill.fee] : null,
      equity: Number.isNaN(equity) ? null : equity,
      cash: financials === null ? null : run.cash[index],
      position: financials === null ? null : run.position[index],
    };
    const live = {
      outcome: result.outcome,
      reason: result.abortReason,
      decision: result.decision,
      fill: result.fill
        ? [
          result.fill.side,
          result.fill.amount,
          result.fill.price,
          result.fill.cost,
          result.fill.fee,
        ]
        : null,
      equity: result.equity,
      cash: financials?.cash ?? null,
      position: financials?.position ?? null,
    };
    const [left, right] = [JSON.stringify(backtest), JSON.stringify(live)];
    if (left !== right) mismatches.push(`${result.cycleId}: backtest ${left} replay ${right}`);
  });
  return mismatches;
}

/** Builds a trending, swinging series with single gaps, a run of five and a long outage. */
function syntheticTape(start: number): Candle[] {
  const missing = [40, 41, 42, 43, 44, 150, 151, 152, 210, 260, 261, 262, 263, 264];
  for (let i = 330; i < 420; i++) missing.push(i);
  return syntheticCandles({
    start,
    count: 620,
    price: (i) => 30000 + 2500 * Math.sin(i / 45) + 250 * Math.sin(i / 5) + 3 * i,
    missing: missing.map((i) => start + i * INTERVAL),
  });
}

describe("backtest and replay", () => {
  const start = Date.UTC(2024, 2, 1);

  it("agree on a synthetic tape with gaps, stale candles and trades", async () => {
    const candles = syntheticTape(start);
    // The range runs 30 slots past the last candle, where every candle is stale.
    const { replay: summary, run, mismatches } = await compare(
      candles,
      start,
      start + 650 * INTERVAL,
      { TITAN_HISTORY_CANDLES: "60", TITAN_GAP_MAX_MISSING_RATIO: "0.1" },
    );
    expect(mismatches).toEqual([]);
    expect(run.fills.length).toBe(summary.trades);
    expect(summary.trades).toBeGreaterThan(10);
    expect(Object.keys(summary.aborted).sort()).toEqual([
      "DATA_GAP",
      "INSUFFICIENT_HISTORY",
      "STALE_DATA",
    ]);
    expect(run.aborted).toEqual(summary.aborted);
    expect(run.finalEquity).toBe(summary.final_equity);
  }, 60_000);

  it("agree on skipped orders", async () => {
    const candles = syntheticTape(start).slice(0, 200);
    // 2 USD buys less than Kraken's minimum of 0.0001 BTC.
    const { replay: summary, run, mismatches } = await compare(
      candles,
      start,
      start + 200 * INTERVAL,
      { TITAN_PAPER_START_BALANCES: "USD=2", TITAN_HISTORY_CANDLES: "60" },
    );
    expect(mismatches).toEqual([]);
    expect(summary.orders_skipped).toBeGreaterThan(3);
    expect(run.skips.length).toBe(summary.orders_skipped);
  }, 60_000);

  it.skipIf(!HAVE_DATA)("agree on 2,500 real slots across a gap", async () => {
    const candles = loadRealCandles();
    // 2023-02-20 00:00 onwards: 26 days, holding the five-slot gap of 2023-02-22 00:15.
    const from = Date.UTC(2023, 1, 20);
    const { replay: summary, run, mismatches } = await compare(
      candles,
      from,
      from + 2_499 * INTERVAL,
      {},
    );
    expect(mismatches).toEqual([]);
    expect(summary.cycles).toBe(2_500);
    expect(summary.trades).toBeGreaterThan(50);
    expect(summary.aborted).toEqual({ STALE_DATA: 5, DATA_GAP: 2 });
    expect(run.fills.length).toBe(summary.trades);
    expect(run.finalEquity).toBe(summary.final_equity);
  }, 180_000);
});

if (!HAVE_DATA) it.skip(NO_DATA_MESSAGE, () => {});
