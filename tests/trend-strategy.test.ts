import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Candle } from "../shared/market/types.ts";
import { createTrendEvaluator, type TrendEvaluator } from "../shared/strategy/trend.ts";
import { type TrendParams, trendParamsSchema } from "../shared/strategy/trend-params.ts";

const DATA_FILE = path.resolve(
  import.meta.dirname,
  "..",
  "../shared/data/kraken/XBTUSD_15m_2023-01_2023-09.csv",
);
const INTERVAL = 15 * 60_000;
const START = Date.UTC(2024, 0, 15);

/** Issues of a failed parse as "path: message". */
function issuesOf(input: unknown): string[] {
  const result = trendParamsSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("trendParamsSchema", () => {
  it("fills the defaults", () => {
    expect(trendParamsSchema.parse({})).toEqual({
      fastPeriod: 20,
      slowPeriod: 80,
      atrPeriod: 14,
      entryBand: 0.001,
      minAtrPct: 0.05,
      maxAtrPct: 3,
    });
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["fast below 2", { fastPeriod: 1 }, "fastPeriod: fastPeriod must be at least 2 candles, got 1"],
    [
      "fractional period",
      { fastPeriod: 2.5 },
      "fastPeriod: fastPeriod must be a whole number of candles",
    ],
    [
      "period as string",
      { atrPeriod: "14" },
      "atrPeriod: atrPeriod must be a whole number of candles",
    ],
    [
      "slow above 719",
      { slowPeriod: 800 },
      "slowPeriod: slowPeriod must be at most 719 candles (the closed candles one Kraken OHLC " +
      "call returns), got 800",
    ],
    [
      "fast not below slow",
      { fastPeriod: 80 },
      "fastPeriod: fastPeriod (80) must be below slowPeriod (80)",
    ],
    ["negative band", { entryBand: -0.01 }, "entryBand: entryBand must be at least 0, got -0.01"],
    ["band above 0.1", { entryBand: 0.2 }, "entryBand: entryBand must be at most 0.1, got 0.2"],
    [
      "infinite band",
      { entryBand: Infinity },
      "entryBand: entryBand must be a finite number (a fraction, 0.001 is 0.1 %)",
    ],
    ["negative min ATR", { minAtrPct: -1 }, "minAtrPct: minAtrPct must be at least 0 %, got -1"],
    [
      "max ATR above 100",
      { maxAtrPct: 101 },
      "maxAtrPct: maxAtrPct must be at most 100 %, got 101",
    ],
    [
      "min ATR not below max",
      { minAtrPct: 3 },
      "minAtrPct: minAtrPct (3) must be below maxAtrPct (3)",
    ],
    [
      "ATR beyond one call",
      { atrPeriod: 719 },
      "atrPeriod: atrPeriod (719) needs 720 candles, more than the 719 one Kraken OHLC call " +
        "returns",
    ],
    ["unknown key", { fast: 20 }, ': Unrecognized key: "fast"'],
  ];
  for (const [name, input, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(issuesOf(input)).toContain(message);
    });
  }
});

describe("createTrendEvaluator requiredCandles", () => {
  it("is the slow period by default", () => {
    expect(createTrendEvaluator(trendParamsSchema.parse({})).requiredCandles).toBe(80);
  });

  it("is the ATR period plus one when longer", () => {
    const params = trendParamsSchema.parse({ slowPeriod: 90, atrPeriod: 100 });
    expect(createTrendEvaluator(params).requiredCandles).toBe(101);
  });
});

const SMALL: TrendParams = trendParamsSchema.parse({
  fastPeriod: 2,
  slowPeriod: 4,
  atrPeriod: 2,
  entryBand: 0.001,
  minAtrPct: 0.05,
  maxAtrPct: 3,
});

/** Candles with the given closes, each spanning close ± halfRange. */
function candles(closes: number[], halfRange = 1): Candle[] {
  return closes.map((close, index) => ({
    time: START + index * INTERVAL,
    open: close,
    high: close + halfRange,
    low: close - halfRange,
    close,
    volume: 1,
  }));
}

function fed(rows: Candle[], params: TrendParams = SMALL): TrendEvaluator {
  const evaluator = createTrendEvaluator(params);
  for (const row of rows) evaluator.push(row);
  return evaluator;
}

describe("trend evaluator decisions", () => {
  it("holds while warming up", () => {
    const signal = fed(candles([100, 101, 102])).signal(false);
    expect(signal.action).toBe("HOLD");
    expect(signal.reason).toBe("HOLD: warming up, 3 of 4 candles pushed.");
    expect(signal.values).toEqual({ fast: null, slow: null, atr: null, atrPct: null, close: 102 });
  });

  it("buys a rising trend when flat", () => {
    const signal = fed(candles([100, 101, 102, 103])).signal(false);
    expect(signal.action).toBe("BUY");
    expect(signal.values).toEqual({
      fast: 102.5,
      slow: 101.5,
      atr: 2,
      atrPct: (2 / 103) * 100,
      close: 103,
    });
    expect(signal.reason).toBe(
      "BUY: fast SMA(2) 102.5 is above slow SMA(4) 101.5 by more than the 0.1 % entry band, " +
        "and ATR(2) 2 is 1.9417476 % of close 103, within [0.05 %, 3 %].",
    );
  });

  it("holds a rising trend when holding", () => {
    const signal = fed(candles([100, 101, 102, 103])).signal(true);
    expect(signal.action).toBe("HOLD");
    expect(signal.reason).toBe(
      "HOLD: in position while fast SMA(2) 102.5 is not below slow SMA(4) 101.5.",
    );
  });

  it("sells a falling trend when holding", () => {
    const signal = fed(candles([103, 102, 101, 100])).signal(true);
    expect(signal.action).toBe("SELL");
    expect(signal.reason).toBe("SELL: fast SMA(2) 100.5 is below slow SMA(4) 101.5.");
  });

  it("holds a falling trend when flat", () => {
    expect(fed(candles([103, 102, 101, 100])).signal(false).action).toBe("HOLD");
  });

  it("holds inside the entry band", () => {
    const signal = fed(candles([100, 100, 100, 100.05], 0.5)).signal(false);
    expect(signal.action).toBe("HOLD");
    expect(signal.reason).toBe(
      "HOLD: flat, and fast SMA(2) 100.025 is not above slow SMA(4) 100.0125 by more than the " +
        "0.1 % entry band.",
    );
  });

  it("holds when too volatile", () => {
    const signal = fed(candles([100, 101, 102, 103], 5)).signal(false);
    expect(signal.action).toBe("HOLD");
    expect(signal.reason).toContain("outside [0.05 %, 3 %]");
    expect(signal.values.atr).toBe(10);
  });

  it("holds when too quiet", () => {
    const params = { ...SMALL, minAtrPct: 2.5 };
    const signal = fed(candles([100, 101, 102, 103]), params).signal(false);
    expect(signal.action).toBe("HOLD");
    expect(signal.reason).toContain("ATR(2) 2 is 1.9417476 % of close 103, outside [2.5 %, 3 %]");
  });

  it("decides as signal does", () => {
    const evaluator = fed(candles([100, 101, 102, 103]));
    expect(evaluator.decide(false)).toBe(evaluator.signal(false).action);
    expect(evaluator.decide(true)).toBe(evaluator.signal(true).action);
  });
});

/** Pushes every candle into one evaluator and compares it with fresh ones fed only the window. */
function compareWindows(
  rows: Candle[],
  params: TrendParams,
  windowLengths: number[],
  step: number,
) {
  const longRunning = createTrendEvaluator(params);
  const mismatches: string[] = [];
  let compared = 0;
  rows.forEach((row, index) => {
    longRunning.push(row);
    if (index < 718 || index % step !== 0) return;
    for (const length of windowLengths) {
      const fresh = fed(rows.slice(index + 1 - length, index + 1), params);
      for (const holding of [false, true]) {
        const expected = longRunning.signal(holding);
        const actual = fresh.signal(holding);
        compared++;
        for (const key of ["fast", "slow", "atr", "atrPct", "close"]) {
          if (actual.values[key] !== expected.values[key]) {
            mismatches.push(`${index}/${length}/${key}`);
          }
        }
        if (actual.action !== expected.action) mismatches.push(`${index}/${length}/action`);
      }
    }
  });
  return { compared, mismatches };
}

describe("trend evaluator window equality", () => {
  const defaults = trendParamsSchema.parse({});

  it("matches on a synthetic walk", () => {
    let price = 30000;
    const closes = Array.from({ length: 3000 }, (_, index) => {
      price *= 1 + Math.sin(index / 37) * 0.004 + Math.cos(index / 11) * 0.002;
      return price;
    });
    const rows = candles(closes, 25);
    const { compared, mismatches } = compareWindows(rows, defaults, [80, 719], 97);
    expect(compared).toBeGreaterThan(40);
    expect(mismatches).toEqual([]);
  });

  const present = existsSync(DATA_FILE);
  const title = present
    ? "matches on Kraken's 2023 XBT/USD file"
    : `matches on Kraken's 2023 XBT/USD file: skipped because ${DATA_FILE} is absent`;
  it.skipIf(!present)(title, () => {
    const rows = readRows(DATA_FILE);
    const { compared, mismatches } = compareWindows(rows, defaults, [80, 300, 719], 211);
    expect(compared).toBeGreaterThan(600);
    expect(mismatches).toEqual([]);
    const fresh = fed(rows.slice(-80), defaults).signal(false);
    expect(fresh.values.fast).toBe(fed(rows, defaults).signal(false).values.fast);
  });
});

function readRows(file: string): Candle[] {
  const lines = readFileSync(file, "utf8").trim().split("\n").slice(1);
  return lines.map((line) => {
    const [time, open, high, low, close, volume] = line.split(",").map(Number);
    return {
      time: time ?? NaN,
      open: open ?? NaN,
      high: high ?? NaN,
      low: low ?? NaN,
      close: close ?? NaN,
      volume: volume ?? NaN,
    };
  });
}
