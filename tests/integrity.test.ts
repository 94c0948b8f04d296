import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CycleAbort } from "../shared/cycle/reasons.ts";
import {
  assertHistoryConfig,
  checkCandles,
  HistoryConfigError,
  type IntegrityOptions,
} from "../shared/market/integrity.ts";
import type { Candle } from "../shared/market/types.ts";

const MINUTE = 60_000;
const INTERVAL = 15 * MINUTE;
/** 2024-01-15 12:15 UTC; Kraken sends 1705320900 seconds, the core uses ms. */
const SLOT_1215 = 1705320900 * 1000;
const T1115 = 1705317300 * 1000;
const T1130 = 1705318200 * 1000;
const T1145 = 1705319100 * 1000;
const T1200 = 1705320000 * 1000;

const DATA_FILE = path.resolve(
  import.meta.dirname,
  "..",
  "../shared/data/kraken/XBTUSD_15m_2023-01_2023-09.csv",
);

function candle(time: number, close = 42000, volume = 1): Candle {
  return { time, open: close, high: close + 10, low: close - 10, close, volume };
}

/** Rows for `count` consecutive intervals ending with the one that opens at `last`. */
function series(last: number, count: number): Candle[] {
  return Array.from({ length: count }, (_, index) => {
    const time = last - (count - 1 - index) * INTERVAL;
    return candle(time, 40000 + index);
  });
}

function options(overrides: Partial<IntegrityOptions> = {}): IntegrityOptions {
  return {
    slot: SLOT_1215,
    exchangeNow: SLOT_1215 + 5000,
    intervalMs: INTERVAL,
    historyCandles: 719,
    requiredCandles: 2,
    ...overrides,
  };
}

/** Runs the check and returns the abort it throws. */
function abortOf(raw: Candle[], opts: IntegrityOptions): CycleAbort {
  try {
    checkCandles(raw, opts);
  } catch (error) {
    if (error instanceof CycleAbort) return error;
    throw error;
  }
  throw new Error("expected checkCandles to abort, but it returned a window");
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

describe("checkCandles closed candles", () => {
  // Kraken's OHLC body at 12:15:05 ends with the 12:15 candle, still open.
  const c01 = [
    { time: T1145, open: 42000, high: 42080, low: 41990, close: 42050, volume: 3.1 },
    { time: T1200, open: 42050, high: 42120, low: 42040, close: 42100, volume: 2.4 },
    { time: SLOT_1215, open: 42100, high: 42110, low: 42095, close: 42105, volume: 0.85 },
  ];

  it("drops the open candle by timestamp", () => {
    const { window, report } = checkCandles(c01, options());
    expect(window.map((row) => row.time)).toEqual([T1145, T1200]);
    expect(report.droppedOpen).toEqual([iso(SLOT_1215)]);
    expect(report.newestClosed).toBe(iso(T1200));
    expect(report.received).toBe(3);
    expect(report.closed).toBe(2);
    expect(report.used).toBe(2);
  });

  it("keeps a closed last row", () => {
    const { window, report } = checkCandles(c01.slice(0, 2), options());
    expect(window.at(-1)?.close).toBe(42100);
    expect(report.droppedOpen).toEqual([]);
    expect(report.newestClosed).toBe(iso(T1200));
  });

  it("needs the exchange clock past the close", () => {
    const error = abortOf(c01.slice(0, 2), options({ exchangeNow: SLOT_1215 - 1000 }));
    expect(error.reason).toBe("STALE_DATA");
    expect(error.details.droppedOpen).toEqual([iso(T1200)]);
    expect(error.details.newestClosed).toBe(iso(T1145));
  });

  it("drops rows newer than the slot", () => {
    const raw = series(SLOT_1215 + INTERVAL, 6);
    const { window, report } = checkCandles(
      raw,
      options({ exchangeNow: SLOT_1215 + 3 * INTERVAL }),
    );
    expect(window.at(-1)?.time).toBe(T1200);
    expect(report.droppedOpen).toEqual([iso(SLOT_1215), iso(SLOT_1215 + INTERVAL)]);
  });
});

describe("checkCandles history", () => {
  it("aborts 720 Kraken rows for 800 required", () => {
    // Kraken returns 720 rows, the newest open, so 719 closed candles at most.
    const raw = series(SLOT_1215, 720);
    const error = abortOf(raw, options({ requiredCandles: 800 }));
    expect(error.reason).toBe("INSUFFICIENT_HISTORY");
    expect(error.details.available).toBe(719);
    expect(error.details.required).toBe(800);
  });

  it("rejects historyCandles above 719", () => {
    expect(() => assertHistoryConfig(800, 800)).toThrow(HistoryConfigError);
    expect(() => assertHistoryConfig(800, 800)).toThrow(
      /Kraken OHLC returns at most 720 rows, the newest still open/,
    );
  });

  it("rejects historyCandles below required", () => {
    expect(() => assertHistoryConfig(719, 800)).toThrow(
      "Invalid historyCandles 719: the strategy requires 800 closed candles.",
    );
  });

  it("accepts history that fits", () => {
    expect(() => assertHistoryConfig(719, 80)).not.toThrow();
  });

  it("keeps the newest historyCandles", () => {
    const { window, report } = checkCandles(series(T1200, 200), options({ historyCandles: 50 }));
    expect(window).toHaveLength(50);
    expect(window[0]?.time).toBe(SLOT_1215 - 50 * INTERVAL);
    expect(window.at(-1)?.time).toBe(T1200);
    expect(report.windowStart).toBe(iso(SLOT_1215 - 50 * INTERVAL));
  });

  it("aborts a short window", () => {
    const error = abortOf(series(T1200, 30), options({ requiredCandles: 31 }));
    expect(error.reason).toBe("INSUFFICIENT_HISTORY");
    expect(error.details.available).toBe(30);
  });
});

describe("checkCandles gaps", () => {
  it("aborts a missing recent candle", () => {
    // Candles at 11:15, 11:30 and 12:00; the 11:45 interval has no row.
    const raw = [candle(T1115), candle(T1130), candle(T1200)];
    const error = abortOf(raw, options());
    expect(error.reason).toBe("DATA_GAP");
    expect(error.details.missing).toEqual([iso(T1145)]);
    expect(error.details.recentMissing).toEqual([iso(T1145)]);
  });

  it("accepts a zero-volume flat row", () => {
    const flat = { time: T1145, open: 42000, high: 42000, low: 42000, close: 42000, volume: 0 };
    const raw = [candle(T1115), candle(T1130), flat, candle(T1200)];
    const { window, report } = checkCandles(raw, options());
    expect(window).toHaveLength(4);
    expect(report.missing).toEqual([]);
  });

  it("aborts a stale newest candle", () => {
    const error = abortOf([candle(T1115), candle(T1130), candle(T1145)], options());
    expect(error.reason).toBe("STALE_DATA");
    expect(error.details.newestClosed).toBe(iso(T1145));
    expect(error.details.expectedNewest).toBe(iso(T1200));
  });

  it("aborts when no candle is closed", () => {
    const error = abortOf([candle(SLOT_1215)], options());
    expect(error.reason).toBe("STALE_DATA");
    expect(error.details.newestClosed).toBeNull();
  });

  it("fills an older gap with a flat candle", () => {
    const raw = series(T1200, 100);
    const gapTime = raw[40]?.time ?? 0;
    const previousClose = raw[39]?.close;
    raw.splice(40, 1);
    const { window, report } = checkCandles(raw, options());
    expect(window).toHaveLength(100);
    expect(window[40]).toEqual({
      time: gapTime,
      open: previousClose,
      high: previousClose,
      low: previousClose,
      close: previousClose,
      volume: 0,
    });
    expect(report.missing).toEqual([iso(gapTime)]);
    expect(report.filled).toEqual([iso(gapTime)]);
    expect(report.used).toBe(100);
  });

  it("fills up to the missing ratio", () => {
    const raw = series(T1200, 100).filter((_, index) => ![10, 20, 30, 40, 50].includes(index));
    const { window, report } = checkCandles(raw, options());
    expect(window).toHaveLength(100);
    expect(report.maxMissing).toBe(5);
    expect(report.filled).toHaveLength(5);
  });

  it("aborts above the missing ratio", () => {
    const dropped = [10, 20, 30, 40, 50, 60];
    const full = series(T1200, 100);
    const raw = full.filter((_, index) => !dropped.includes(index));
    const error = abortOf(raw, options());
    expect(error.reason).toBe("DATA_GAP");
    expect(error.details.missing).toEqual(dropped.map((index) => iso(full[index]?.time ?? 0)));
    expect(error.details.filled).toEqual([]);
    expect(error.details.maxMissing).toBe(5);
  });

  it("fills a gap at the window start", () => {
    const raw = series(T1200, 60);
    const start = SLOT_1215 - 50 * INTERVAL;
    const startIndex = raw.findIndex((row) => row.time === start);
    const closeBefore = raw[startIndex - 1]?.close;
    raw.splice(startIndex, 1);
    const { window } = checkCandles(raw, options({ historyCandles: 50 }));
    expect(window[0]?.time).toBe(start);
    expect(window[0]?.close).toBe(closeBefore);
  });
});

describe("checkCandles alignment", () => {
  const cases: Array<[string, Candle[], string]> = [
    ["off the grid", [candle(T1145 + 1000), candle(T1200)], iso(T1145 + 1000)],
    ["duplicate", [candle(T1145), candle(T1200), candle(T1200)], iso(T1200)],
    ["out of order", [candle(T1130), candle(T1200), candle(T1145)], iso(T1145)],
  ];
  for (const [name, raw, time] of cases) {
    it(`aborts a row ${name}`, () => {
      const error = abortOf(raw, options());
      expect(error.reason).toBe("MISALIGNED_DATA");
      expect(error.details.misaligned).toEqual([time]);
    });
  }
});

describe("checkCandles values", () => {
  const good = candle(T1145);
  const cases: Array<[string, Partial<Candle>, string]> = [
    ["zero price", { low: 0 }, "low 0 is not a positive finite price"],
    ["negative price", { open: -1 }, "open -1 is not a positive finite price"],
    ["NaN price", { close: Number.NaN }, "close NaN is not a positive finite price"],
    [
      "high below low",
      { high: 41000, low: 41500, open: 41200, close: 41200 },
      "high 41000 is below low 41500",
    ],
    ["open above high", { open: 42011 }, "open 42011 is outside [41990, 42010]"],
    ["close below low", { close: 41989 }, "close 41989 is outside [41990, 42010]"],
    ["negative volume", { volume: -0.1 }, "volume -0.1 is negative or not finite"],
  ];
  for (const [name, change, problem] of cases) {
    it(`aborts ${name}`, () => {
      const error = abortOf([{ ...good, ...change }, candle(T1200)], options());
      expect(error.reason).toBe("INVALID_DATA");
      expect(error.details.invalid).toEqual([`${iso(T1145)}: ${problem}`]);
    });
  }
});

const present = existsSync(DATA_FILE);
const realDataTitle = present
  ? "checkCandles on Kraken's 2023 XBT/USD file"
  : `checkCandles on Kraken's 2023 XBT/USD file: skipped because ${DATA_FILE} is absent`;

describe.skipIf(!present)(realDataTitle, () => {
  const rows = present ? readRows(DATA_FILE) : [];
  // 2023-02-22 00:15 to 01:15 UTC has no rows: five intervals without trades.
  const gapStart = Date.UTC(2023, 1, 22, 0, 15);

  it("fills the five-interval gap", () => {
    const slot = gapStart + 40 * INTERVAL;
    const opts = options({ slot, exchangeNow: slot + 2000, requiredCandles: 80 });
    const { window, report } = checkCandles(rows, opts);
    expect(window).toHaveLength(719);
    expect(report.filled).toEqual([0, 1, 2, 3, 4].map((i) => iso(gapStart + i * INTERVAL)));
  });

  it("aborts right after the gap", () => {
    const slot = gapStart + 5 * INTERVAL;
    const error = abortOf(rows, options({ slot, exchangeNow: slot + 2000 }));
    expect(error.reason).toBe("STALE_DATA");
  });

  it("aborts with the gap recent", () => {
    const slot = gapStart + 7 * INTERVAL;
    const error = abortOf(rows, options({ slot, exchangeNow: slot + 2000 }));
    expect(error.reason).toBe("DATA_GAP");
    expect(error.details.recentMissing).toEqual([iso(gapStart + 4 * INTERVAL)]);
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
