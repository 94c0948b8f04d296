import { describe, expect, it } from "vitest";
import {
  type CandleCheckOptions,
  CandleSeriesError,
  IncrementalCandleCheck,
} from "../shared/backtest/candle-check.ts";
import { createTapeQuotes } from "../shared/backtest/tape-quotes.ts";
import { CycleAbort } from "../shared/cycle/reasons.ts";
import { checkCandles } from "../shared/market/integrity.ts";
import type { Candle } from "../shared/market/types.ts";
import { CandleTape } from "../simulator/tape.ts";
import {
  HAVE_DATA,
  INTERVAL,
  loadRealCandles,
  NO_DATA_MESSAGE,
  syntheticCandles,
} from "./helpers/candles.ts";

const DELAY_MS = 5_000;
const START = Date.UTC(2024, 0, 1);

interface LiveVerdict {
  reason: string | null;
  windowStart: number;
  windowLength: number;
}

/** Returns the live cycle's verdict at `slot`, from the rows the tape returns then. */
function liveVerdict(tape: CandleTape, slot: number, options: CandleCheckOptions): LiveVerdict {
  const now = slot + DELAY_MS;
  try {
    const { report } = checkCandles(tape.ohlcAt(now, options.ohlcMaxRows), {
      ...options,
      slot,
      exchangeNow: Math.floor(now / 1000) * 1000,
    });
    return {
      reason: null,
      windowStart: Date.parse(report.windowStart ?? ""),
      windowLength: report.windowLength,
    };
  } catch (error) {
    if (!(error instanceof CycleAbort)) throw error;
    return { reason: error.reason, windowStart: Number.NaN, windowLength: 0 };
  }
}

/** Runs both checks over every slot from `from` to `to` and returns the first difference. */
function compareSlots(candles: Candle[], options: CandleCheckOptions, from: number, to: number) {
  const tape = new CandleTape(candles);
  const check = new IncrementalCandleCheck(candles, options);
  const reasons: Record<string, number> = {};
  for (let slot = from; slot <= to; slot += INTERVAL) {
    const live = liveVerdict(tape, slot, options);
    const reason = check.check(slot);
    const fast: LiveVerdict = reason === null
      ? { reason, windowStart: check.windowStart, windowLength: check.windowLength }
      : { reason, windowStart: Number.NaN, windowLength: 0 };
    reasons[String(live.reason)] = (reasons[String(live.reason)] ?? 0) + 1;
    if (JSON.stringify(fast) !== JSON.stringify(live)) {
      return { slot: new Date(slot).toISOString(), live, fast, reasons };
    }
  }
  return { slot: null, reasons };
}

function options(overrides: Partial<CandleCheckOptions> = {}): CandleCheckOptions {
  return {
    intervalMs: INTERVAL,
    historyCandles: 30,
    requiredCandles: 12,
    gapPolicy: { recentCandles: 3, maxMissingRatio: 0.1 },
    dispatchDelayMs: DELAY_MS,
    ohlcMaxRows: 40,
    ...overrides,
  };
}

/** Builds a series with single gaps, runs of gaps, a stale stretch and impossible values. */
function gappySeries(): Candle[] {
  const missing = [5, 17, 18, 40, 41, 42, 43, 44, 45, 46, 60, 90, 91, 92, 93, 94, 95, 96, 97, 98]
    .map((i) => START + i * INTERVAL);
  for (let i = 130; i < 175; i++) missing.push(START + i * INTERVAL);
  const candles = syntheticCandles({
    start: START,
    count: 260,
    price: (i) => 40000 + 300 * Math.sin(i / 7) + i,
    missing,
  });
  const bad = candles.findIndex((candle) => candle.time === START + 200 * INTERVAL);
  candles[bad] = { ...(candles[bad] as Candle), high: 1, low: 2 };
  const badOpen = candles.findIndex((candle) => candle.time === START + 230 * INTERVAL);
  candles[badOpen] = { ...(candles[badOpen] as Candle), open: -5 };
  return candles;
}

if (!HAVE_DATA) it.skip(NO_DATA_MESSAGE, () => {});

describe("IncrementalCandleCheck", () => {
  it("matches checkCandles on a gappy series", () => {
    const result = compareSlots(gappySeries(), options(), START - INTERVAL, START + 262 * INTERVAL);
    expect(result.slot).toBeNull();
    expect(Object.keys(result.reasons).sort()).toEqual([
      "DATA_GAP",
      "INSUFFICIENT_HISTORY",
      "INVALID_DATA",
      "STALE_DATA",
      "null",
    ]);
  });

  it("matches checkCandles with the row limit binding", () => {
    const narrow = options({ ohlcMaxRows: 12, historyCandles: 30, requiredCandles: 5 });
    const result = compareSlots(gappySeries(), narrow, START, START + 262 * INTERVAL);
    expect(result.slot).toBeNull();
  });

  it("matches checkCandles with a strict gap policy", () => {
    const strict = options({ gapPolicy: { recentCandles: 6, maxMissingRatio: 0 } });
    const result = compareSlots(gappySeries(), strict, START, START + 262 * INTERVAL);
    expect(result.slot).toBeNull();
    expect(result.reasons.DATA_GAP).toBeGreaterThan(50);
  });

  it.skipIf(!HAVE_DATA)("matches checkCandles on the real file", () => {
    const candles = loadRealCandles();
    // 2023-02-21 to 2023-02-25 contains the five-slot gap of 2023-02-22 00:15.
    const from = Date.UTC(2023, 1, 21);
    const live = options({ historyCandles: 240, requiredCandles: 81, ohlcMaxRows: 720 });
    const result = compareSlots(candles, live, from, from + 4 * 96 * INTERVAL);
    expect(result.slot).toBeNull();
    expect(result.reasons.STALE_DATA).toBe(5);
    // Slots 01:45 and 02:00 still have a missing candle among their newest three.
    expect(result.reasons.DATA_GAP).toBe(2);
  });

  it("rejects unsorted candles", () => {
    const candles = syntheticCandles({ start: START, count: 3, price: () => 100 });
    const swapped = [candles[1], candles[0], candles[2]] as Candle[];
    expect(() => new IncrementalCandleCheck(swapped, options())).toThrow(CandleSeriesError);
  });

  it("rejects a slot that goes back", () => {
    const check = new IncrementalCandleCheck(gappySeries(), options());
    check.check(START + 50 * INTERVAL);
    expect(() => check.check(START + 49 * INTERVAL)).toThrow(/after/);
  });
});

describe("createTapeQuotes", () => {
  /** Times around each candle: its open, the replay request, its last ms, and inside gaps. */
  function probeTimes(candles: Candle[]): number[] {
    const times: number[] = [];
    for (const candle of candles) {
      times.push(candle.time, candle.time + DELAY_MS, candle.time + INTERVAL - 1);
      times.push(candle.time + INTERVAL, candle.time + 2 * INTERVAL + DELAY_MS);
    }
    return times.sort((a, b) => a - b);
  }

  function mismatchesOf(candles: Candle[], spreads: number[], decimals: number[]): string[] {
    const tape = new CandleTape(candles);
    const mismatches: string[] = [];
    for (const spread of spreads) {
      for (const places of decimals) {
        const fast = createTapeQuotes(candles, INTERVAL, spread, places);
        for (const now of probeTimes(candles)) {
          const expected = tape.quoteAt(now, spread, places);
          const actual = fast(now);
          if (JSON.stringify(actual) !== JSON.stringify(expected)) {
            mismatches.push(`${now} ${spread} bps ${places} dp: ${JSON.stringify(actual)}`);
          }
        }
      }
    }
    return mismatches;
  }

  it("matches the tape on prices near ticks, across gaps", () => {
    const prices: number[] = [];
    for (let i = 0; i < 1500; i++) prices.push(100 + i * 0.05, 29999.95 + i * 0.01, 0.3 + i * 1e-5);
    const candles = prices
      .map((close, i): Candle => ({
        time: START + i * INTERVAL,
        open: close + 0.1,
        high: close + 0.1,
        low: close,
        close,
        volume: 1,
      }))
      .filter((_, i) => i % 7 !== 3 && i % 50 > 2);
    expect(mismatchesOf(candles, [0, 1, 2, 7, 26, 100], [1, 2, 5])).toEqual([]);
  });

  it.skipIf(!HAVE_DATA)("matches the tape on every real slot", () => {
    expect(mismatchesOf(loadRealCandles(), [2], [1])).toEqual([]);
  });

  it("goes back in time", () => {
    const candles = syntheticCandles({ start: START, count: 50, price: (i) => 100 + i });
    const tape = new CandleTape(candles);
    const fast = createTapeQuotes(candles, INTERVAL, 2, 1);
    fast(START + 40 * INTERVAL);
    const now = START + 10 * INTERVAL + DELAY_MS;
    expect(fast(now)).toEqual(tape.quoteAt(now, 2, 1));
  });

  it("rejects a time before the first candle", () => {
    const candles = syntheticCandles({ start: START, count: 3, price: () => 100 });
    const fast = createTapeQuotes(candles, INTERVAL, 2, 1);
    expect(() => fast(START - 1)).toThrow(/no candle has opened/);
  });
});
