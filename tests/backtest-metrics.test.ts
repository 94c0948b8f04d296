import { describe, expect, it } from "vitest";
import { computeMetrics, drawdownCurve, equityCurve } from "../shared/backtest/metrics.ts";
import { applyParams, ParamError, parseParamAssignments } from "../shared/backtest/params.ts";
import type { BacktestFill, BacktestRun } from "../shared/backtest/run-record.ts";
import { loadConfig } from "../shared/config/config.ts";

const INTERVAL = 900_000;
const FROM = Date.UTC(2024, 0, 1);

/** Builds a run over the given per-slot equities; NaN marks an aborted slot. */
function runOf(equity: number[], position: number[], fills: BacktestFill[] = []): BacktestRun {
  const slots = equity.length;
  return {
    fromSlot: FROM,
    toSlot: FROM + (slots - 1) * INTERVAL,
    intervalMs: INTERVAL,
    slots,
    candles: slots,
    aborted: {},
    ordersSkipped: {},
    fills,
    skips: [],
    crashes: [],
    abortCode: new Uint8Array(slots),
    decision: new Uint8Array(slots),
    equity: Float64Array.from(equity),
    cash: new Float64Array(slots),
    position: Float64Array.from(position),
    close: new Float64Array(slots),
    bid: new Float64Array(slots),
    finalBalances: {},
    initialEquity: equity.find((value) => !Number.isNaN(value)) ?? null,
    finalEquity: [...equity].reverse().find((value) => !Number.isNaN(value)) ?? null,
  };
}

function fill(side: "buy" | "sell", amount: number, price: number, fee: number): BacktestFill {
  return { slot: FROM, side, amount, price, cost: amount * price, fee, cash: 0, position: 0 };
}

describe("computeMetrics", () => {
  const run = runOf([100, 110, Number.NaN, 99, 121], [0, 1, 1, 1, 0]);
  const metrics = computeMetrics(run, 0.0001);

  it("computes the total return", () => {
    expect(metrics.totalReturn).toBeCloseTo(0.21, 12);
  });

  it("measures drawdown from the running peak", () => {
    expect(metrics.maxDrawdown).toBeCloseTo(0.1, 12);
  });

  it("carries equity over an aborted slot", () => {
    expect(Array.from(equityCurve(run))).toEqual([100, 110, 110, 99, 121]);
  });

  it("annualizes the Sharpe ratio of slot returns", () => {
    const returns = [0.1, 0, -0.1, 121 / 99 - 1];
    const mean = returns.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / 3);
    const perYear = (365.25 * 24 * 3_600_000) / INTERVAL;
    expect(metrics.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(perYear), 9);
  });

  it("uses downside deviation for Sortino", () => {
    const returns = [0.1, 0, -0.1, 121 / 99 - 1];
    const mean = returns.reduce((a, b) => a + b) / 4;
    const downside = Math.sqrt(0.01 / 4);
    const perYear = (365.25 * 24 * 3_600_000) / INTERVAL;
    expect(metrics.sortino).toBeCloseTo((mean / downside) * Math.sqrt(perYear), 9);
  });

  it("counts exposure over held slots", () => {
    expect(metrics.exposure).toBeCloseTo(3 / 5, 12);
  });

  it("leaves Sharpe empty for a flat curve", () => {
    const flat = computeMetrics(runOf([100, 100, 100], [0, 0, 0]), 0.0001);
    expect(flat.sharpe).toBeNull();
    expect(flat.sortino).toBeNull();
    expect(flat.totalReturn).toBe(0);
  });

  it("leaves every ratio empty when every slot aborted", () => {
    const aborted = computeMetrics(runOf([Number.NaN, Number.NaN], [Number.NaN, Number.NaN]), 1);
    expect(aborted.totalReturn).toBeNull();
    expect(aborted.maxDrawdown).toBeNull();
    expect(aborted.exposure).toBe(0);
  });
});

describe("win rate", () => {
  it("counts a sell above its cost after fees as a win", () => {
    const fills = [
      fill("buy", 1, 100, 1),
      fill("sell", 1, 103, 1),
      fill("buy", 1, 100, 1),
      fill("sell", 1, 101, 1),
    ];
    const metrics = computeMetrics(runOf([100, 100], [0, 0], fills), 0.0001);
    expect(metrics.winRate).toBe(0.5);
    expect(metrics.fees).toBe(4);
  });

  it("is empty without a sell", () => {
    const metrics = computeMetrics(runOf([100], [1], [fill("buy", 1, 100, 1)]), 0.0001);
    expect(metrics.winRate).toBeNull();
  });
});

describe("drawdownCurve", () => {
  it("is zero at each new peak", () => {
    expect(Array.from(drawdownCurve(Float64Array.from([1, 2, 1, 3])))).toEqual([0, 0, 0.5, 0]);
  });
});

describe("parseParamAssignments", () => {
  it("reads numbers by name", () => {
    expect(parseParamAssignments(["fastPeriod=10", "entryFraction=0.5"])).toEqual({
      fastPeriod: 10,
      entryFraction: 0.5,
    });
  });

  it("lists the allowed names for an unknown one", () => {
    expect(() => parseParamAssignments(["fast=10"])).toThrow(
      'Unknown parameter "fast": expected a strategy parameter (fastPeriod, slowPeriod, ' +
        "atrPeriod, entryBand, minAtrPct, maxAtrPct) or a risk parameter (entryFraction, " +
        "maxOrderCost).",
    );
  });

  it("rejects a value that is not a number", () => {
    expect(() => parseParamAssignments(["fastPeriod=ten"])).toThrow(
      "Invalid --param fastPeriod=ten: the value must be a finite number.",
    );
  });

  it("rejects an assignment without a value", () => {
    expect(() => parseParamAssignments(["fastPeriod"])).toThrow(ParamError);
  });

  it("rejects a name given twice", () => {
    expect(() => parseParamAssignments(["fastPeriod=5", "fastPeriod=6"])).toThrow(/given twice/);
  });
});

describe("applyParams", () => {
  const config = loadConfig({});

  it("sets strategy and risk parameters", () => {
    const applied = applyParams(config, { fastPeriod: 10, entryFraction: 0.5 });
    expect(applied.strategy.fastPeriod).toBe(10);
    expect(applied.risk.entryFraction).toBe(0.5);
    expect(applied.strategy.slowPeriod).toBe(config.strategy.slowPeriod);
  });

  it("applies the schema's cross-field rule", () => {
    expect(() => applyParams(config, { fastPeriod: 90 })).toThrow(
      "Invalid strategy parameters: fastPeriod: fastPeriod (90) must be below slowPeriod (80).",
    );
  });

  it("applies the schema's bounds", () => {
    expect(() => applyParams(config, { entryFraction: 2 })).toThrow(
      "Invalid risk parameters: entryFraction: entryFraction must be at most 1, got 2.",
    );
  });

  it("requires the history to cover the strategy", () => {
    expect(() => applyParams(config, { slowPeriod: 300 })).toThrow(
      "Invalid strategy parameters: they need 300 closed candles, but TITAN_HISTORY_CANDLES " +
        "is 240. Raise TITAN_HISTORY_CANDLES to at least 300 (at most 719), or choose shorter " +
        "periods.",
    );
  });
});
