import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CandleFileError, parseCandleFile } from "../shared/market/candle-file.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");
const DATA_DIR = path.resolve(REPO_ROOT, "../shared/data");
const XBTUSD_FILE = path.join(DATA_DIR, "kraken/XBTUSD_15m_2023-01_2023-09.csv");

const HEADER = "timestamp_ms,open,high,low,close,volume";
const MS_ROW = "expected a row timestamp_ms,open,high,low,close,volume";
const OHLCVT_ROW = "expected a row unix_seconds,open,high,low,close,volume,trades";
/** 2023-01-01T00:00:00Z */
const T0 = 1672531200000;
const SLOT = 15 * 60 * 1000;

/** Builds a valid row of the millisecond format at slot `index` after T0. */
function row(index: number, prices = "42000,42050,41950,42010", volume = "1.5"): string {
  return `${T0 + index * SLOT},${prices},${volume}`;
}

function msFile(...rows: string[]): string {
  return [HEADER, ...rows].join("\n") + "\n";
}

function parseError(text: string): CandleFileError {
  try {
    parseCandleFile(text, "candles.csv");
  } catch (error) {
    if (error instanceof CandleFileError) return error;
    throw error;
  }
  throw new Error("parseCandleFile accepted the file; expected a CandleFileError");
}

describe("parseCandleFile formats", () => {
  it("parses the millisecond format", () => {
    const candles = parseCandleFile(msFile(row(0), row(1, "42010,42100,42000,42090", "0")), "a");
    expect(candles).toEqual([
      { time: T0, open: 42000, high: 42050, low: 41950, close: 42010, volume: 1.5 },
      { time: T0 + SLOT, open: 42010, high: 42100, low: 42000, close: 42090, volume: 0 },
    ]);
  });

  it("parses Kraken OHLCVT in seconds", () => {
    const text = "1672531200,16528.7,16530.0,16511.0,16514.9,10.30276815,120\n" +
      "1672532100,16514.9,16529.0,16511.9,16528.9,32.96155707,214\n";
    const candles = parseCandleFile(text, "XBTUSD_15.csv");
    expect(candles).toEqual([
      { time: T0, open: 16528.7, high: 16530, low: 16511, close: 16514.9, volume: 10.30276815 },
      {
        time: T0 + SLOT,
        open: 16514.9,
        high: 16529,
        low: 16511.9,
        close: 16528.9,
        volume: 32.96155707,
      },
    ]);
  });

  it("accepts CRLF, a BOM and trailing blank lines", () => {
    const text = "\uFEFF" + [HEADER, row(0), row(1)].join("\r\n") + "\r\n\r\n\n";
    const candles = parseCandleFile(text, "a");
    expect(candles.map((candle) => candle.time)).toEqual([T0, T0 + SLOT]);
    expect(candles[1]?.volume).toBe(1.5);
  });

  it("accepts a file without a final line end", () => {
    expect(parseCandleFile(`${HEADER}\n${row(0)}`, "a")).toHaveLength(1);
  });

  it("keeps gaps between slots", () => {
    const candles = parseCandleFile(msFile(row(0), row(3)), "a");
    expect(candles.map((candle) => candle.time)).toEqual([T0, T0 + 3 * SLOT]);
  });

  it("reads exponents and spaces around numbers", () => {
    const candles = parseCandleFile(msFile(`${T0}, 42000 ,42050,41950,42010,1e-3`), "a");
    expect(candles[0]?.open).toBe(42000);
    expect(candles[0]?.volume).toBe(0.001);
  });

  it("parses decimals exactly as Number does", () => {
    const prices = ["0.1", "16528.7", "26995.1", "0.30000000000000004", "123456789.12345"];
    for (const price of prices) {
      const candles = parseCandleFile(msFile(`${T0},${price},${price},${price},${price},1`), "a");
      expect(candles[0]?.open).toBe(Number(price));
    }
  });
});

describe("parseCandleFile rejections", () => {
  const cases: Array<{ name: string; text: string; message: string }> = [
    {
      name: "empty file",
      text: "",
      message:
        "candles.csv line 1: the file is empty; expected the header " +
        "timestamp_ms,open,high,low,close,volume and rows, or Kraken OHLCVT rows " +
        "unix_seconds,open,high,low,close,volume,trades",
    },
    {
      name: "blank file",
      text: "\n  \n",
      message:
        "candles.csv line 1: the file is empty; expected the header " +
        "timestamp_ms,open,high,low,close,volume and rows, or Kraken OHLCVT rows " +
        "unix_seconds,open,high,low,close,volume,trades",
    },
    {
      name: "header without rows",
      text: `${HEADER}\n`,
      message:
        "candles.csv line 2: the file has a header but no rows; expected at least one row " +
        "timestamp_ms,open,high,low,close,volume",
    },
    {
      name: "unknown header",
      text: "time,open,high,low,close,volume\n1,2,3,4,5,6\n",
      message:
        'candles.csv line 1: found the header "time,open,high,low,close,volume"; expected ' +
        "the header timestamp_ms,open,high,low,close,volume, or headerless Kraken OHLCVT " +
        "rows unix_seconds,open,high,low,close,volume,trades",
    },
    {
      name: "six columns without header",
      text: `${row(0)}\n`,
      message:
        "candles.csv line 1: found a row of 6 columns without a header; expected the header " +
        "timestamp_ms,open,high,low,close,volume, or headerless Kraken OHLCVT rows " +
        "unix_seconds,open,high,low,close,volume,trades",
    },
    {
      name: "too few columns",
      text: msFile(row(0), `${T0 + SLOT},42000,42050,41950,42010`),
      message: `candles.csv line 3: has 5 columns; ${MS_ROW}`,
    },
    {
      name: "too many columns",
      text: msFile(`${row(0)},7`),
      message: `candles.csv line 2: has 7 columns; ${MS_ROW}`,
    },
    {
      name: "non-numeric field",
      text: msFile(`${T0},abc,42050,41950,42010,1`),
      message: `candles.csv line 2: open "abc" is not a number; ${MS_ROW}`,
    },
    {
      name: "empty field",
      text: msFile(`${T0},42000,42050,41950,42010,`),
      message: `candles.csv line 2: volume is empty; ${MS_ROW}`,
    },
    {
      name: "infinite field",
      text: msFile(`${T0},42000,Infinity,41950,42010,1`),
      message: `candles.csv line 2: high "Infinity" is not a number; ${MS_ROW}`,
    },
    {
      name: "zero price",
      text: msFile(`${T0},42000,42050,0,42010,1`),
      message: `candles.csv line 2: low 0 is not positive; ${MS_ROW}`,
    },
    {
      name: "negative price",
      text: msFile(`${T0},-42000,42050,41950,42010,1`),
      message: `candles.csv line 2: open -42000 is not positive; ${MS_ROW}`,
    },
    {
      name: "high below low",
      text: msFile(row(0), row(1), row(2), row(3), row(4), row(5, "42000,41990,42000,42000")),
      message: `candles.csv line 7: high 41990 is below low 42000; ${MS_ROW}`,
    },
    {
      name: "open outside range",
      text: msFile(row(0, "42100,42050,41950,42010")),
      message: `candles.csv line 2: open 42100 is outside low 41950 to high 42050; ${MS_ROW}`,
    },
    {
      name: "close outside range",
      text: msFile(row(0, "42000,42050,41950,41900")),
      message: `candles.csv line 2: close 41900 is outside low 41950 to high 42050; ${MS_ROW}`,
    },
    {
      name: "negative volume",
      text: msFile(row(0, undefined, "-0.5")),
      message: `candles.csv line 2: volume -0.5 is negative; ${MS_ROW}`,
    },
    {
      name: "repeated timestamp",
      text: msFile(row(0), row(1), row(1)),
      message:
        "candles.csv line 4: open time 2023-01-01T00:15:00.000Z repeats the previous row's " +
        "2023-01-01T00:15:00.000Z; expected strictly increasing timestamps",
    },
    {
      name: "decreasing timestamp",
      text: msFile(row(2), row(1)),
      message:
        "candles.csv line 3: open time 2023-01-01T00:15:00.000Z is before the previous row's " +
        "2023-01-01T00:30:00.000Z; expected strictly increasing timestamps",
    },
    {
      name: "misaligned timestamp",
      text: msFile(row(0), `${T0 + SLOT + 60_000},42000,42050,41950,42010,1`),
      message:
        "candles.csv line 3: timestamp_ms 1672532160000 (2023-01-01T00:16:00.000Z) is not " +
        "aligned to 15 minutes, it is 60 s after 2023-01-01T00:15:00.000Z; expected the open " +
        "time of a 15-minute candle",
    },
    {
      name: "fractional timestamp",
      text: msFile(`${T0}.5,42000,42050,41950,42010,1`),
      message:
        `candles.csv line 2: timestamp_ms 1672531200000.5 is not a whole number >= 0; ${MS_ROW}`,
    },
    {
      name: "seconds in millisecond format",
      text: msFile("1672531200,42000,42050,41950,42010,1"),
      message:
        "candles.csv line 2: timestamp_ms 1672531200 looks like seconds; expected milliseconds",
    },
    {
      name: "blank line inside",
      text: msFile(row(0), "", row(1)),
      message: `candles.csv line 3: is blank; ${MS_ROW}`,
    },
    {
      name: "milliseconds in OHLCVT",
      text: "1672531200000,42000,42050,41950,42010,1,10\n",
      message:
        "candles.csv line 1: unix_seconds 1672531200000 looks like milliseconds; expected seconds",
    },
    {
      name: "misaligned OHLCVT timestamp",
      text: "1672531230,42000,42050,41950,42010,1,10\n",
      message:
        "candles.csv line 1: unix_seconds 1672531230 (2023-01-01T00:00:30.000Z) is not aligned " +
        "to 15 minutes, it is 30 s after 2023-01-01T00:00:00.000Z; expected the open time of a " +
        "15-minute candle",
    },
    {
      name: "fractional trade count",
      text: "1672531200,42000,42050,41950,42010,1,2.5\n",
      message: `candles.csv line 1: trades 2.5 is not a whole number >= 0; ${OHLCVT_ROW}`,
    },
    {
      name: "OHLCVT row with six columns",
      text: "1672531200,42000,42050,41950,42010,1,10\n1672532100,42000,42050,41950,42010,1\n",
      message: `candles.csv line 2: has 6 columns; ${OHLCVT_ROW}`,
    },
  ];

  for (const { name, text, message } of cases) {
    it(`rejects ${name}`, () => {
      expect(parseError(text).message).toBe(message);
    });
  }

  it("names the error class", () => {
    expect(parseError("").name).toBe("CandleFileError");
  });
});

const XBTUSD_SUITE = existsSync(XBTUSD_FILE)
  ? "parseCandleFile on Kraken XBTUSD 2023"
  : `parseCandleFile on Kraken XBTUSD 2023: skipped, ${XBTUSD_FILE} is absent`;

describe.skipIf(!existsSync(XBTUSD_FILE))(XBTUSD_SUITE, () => {
  const text = existsSync(XBTUSD_FILE) ? readFileSync(XBTUSD_FILE, "utf8") : "";

  it("reads every row", () => {
    const candles = parseCandleFile(text, XBTUSD_FILE);
    expect(candles).toHaveLength(26_193);
    expect(new Date(candles[0]?.time ?? 0).toISOString()).toBe("2023-01-01T00:00:00.000Z");
    expect(new Date(candles.at(-1)?.time ?? 0).toISOString()).toBe("2023-09-30T23:45:00.000Z");
  });

  it("keeps the first and last rows", () => {
    const candles = parseCandleFile(text, XBTUSD_FILE);
    expect(candles[0]).toEqual({
      time: 1672531200000,
      open: 16528.7,
      high: 16530,
      low: 16511,
      close: 16514.9,
      volume: 10.30276815,
    });
    expect(candles.at(-1)).toEqual({
      time: 1696117500000,
      open: 26981,
      high: 26981,
      low: 26972.9,
      close: 26972.9,
      volume: 0.9869558,
    });
  });

  it("finds the 15 missing slots", () => {
    const candles = parseCandleFile(text, XBTUSD_FILE);
    const span = ((candles.at(-1)?.time ?? 0) - (candles[0]?.time ?? 0)) / SLOT + 1;
    expect(span - candles.length).toBe(15);
  });

  it("parses in under 50 ms", () => {
    // Best of five runs, so one slow run on a busy machine does not fail the test.
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      parseCandleFile(text, XBTUSD_FILE);
      times.push(performance.now() - start);
    }
    expect(Math.min(...times)).toBeLessThan(50);
  });
});
