import ccxt from "ccxt";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseCandleFile } from "../shared/market/candle-file.ts";
import type { Candle } from "../shared/market/types.ts";
import { type Simulator, startSimulator } from "../simulator/server.ts";
import { CandleTape, TapeError } from "../simulator/tape.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");
const XBTUSD_FILE = path.resolve(REPO_ROOT, "../shared/data/kraken/XBTUSD_15m_2023-01_2023-09.csv");
const HAS_XBTUSD = existsSync(XBTUSD_FILE);

const SLOT = 15 * 60 * 1000;
/** 2024-01-15T00:00:00Z */
const T0 = Date.parse("2024-01-15T00:00:00Z");
/** Slot 5 has no candle: no trades in that interval. */
const MISSING_SLOT = 5;

/** Ten slots from T0 without slot 5; prices rise by 10 per slot. */
function syntheticCandles(): Candle[] {
  const candles: Candle[] = [];
  for (let index = 0; index < 10; index++) {
    if (index === MISSING_SLOT) continue;
    const open = 42000 + index * 10;
    candles.push({
      time: T0 + index * SLOT,
      open,
      high: open + 25.5,
      low: open - 14.2,
      close: open + 10,
      volume: 1.25 + index,
    });
  }
  return candles;
}

/** 5 s into slot 9, whose candle is still open. */
const NOW = T0 + 9 * SLOT + 5_000;

function krakenFor(simulator: Simulator, timeoutMs = 10_000) {
  // ccxt 4.5 appends /0/public/<method> to urls.api.public itself.
  return new ccxt.kraken({
    enableRateLimit: false,
    timeout: timeoutMs,
    urls: { api: { public: simulator.url, private: simulator.url } },
  });
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  return (await response.json()) as Record<string, unknown>;
}

/** Runs `action` and returns what it threw. */
async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded; expected it to throw");
}

let simulator: Simulator;

beforeEach(async () => {
  simulator = await startSimulator({ candles: syntheticCandles(), clock: NOW });
});

afterEach(async () => {
  await simulator.close();
});

describe("simulator with ccxt kraken", () => {
  it("loadMarkets gives the market table", async () => {
    const markets = await krakenFor(simulator).loadMarkets();
    const btc = markets["BTC/USD"];
    expect(btc?.id).toBe("XXBTZUSD");
    expect(btc?.active).toBe(true);
    expect(btc?.precision.price).toBe(0.1);
    expect(btc?.precision.amount).toBe(1e-8);
    expect(btc?.limits.amount?.min).toBe(0.0001);
    expect(btc?.limits.cost?.min).toBe(0.5);
    expect(btc?.taker).toBe(0.0026);
    expect(btc?.maker).toBe(0.0016);
    expect(markets["ETH/USD"]?.precision.price).toBe(0.01);
    expect(markets["ETH/USD"]?.limits.amount?.min).toBe(0.004);
    expect(markets["BTC/EUR"]?.limits.cost?.min).toBe(0.45);
  });

  it("loadMarkets calls only served endpoints", async () => {
    await krakenFor(simulator).loadMarkets();
    const paths = simulator.requests.map((request) => request.path);
    expect(paths).toEqual(["/0/public/Assets", "/0/public/AssetPairs"]);
  });

  it("fetchTime returns the simulated clock", async () => {
    simulator.setClock(NOW + 1_750);
    expect(await krakenFor(simulator).fetchTime()).toBe(NOW + 1_000);
  });

  it("fetchOHLCV ends with the open candle", async () => {
    const rows = await krakenFor(simulator).fetchOHLCV("BTC/USD", "15m");
    const open = 42000 + 9 * 10;
    expect(rows.at(-1)).toEqual([T0 + 9 * SLOT, open, open, open, open, 0]);
  });

  it("fetchOHLCV has no row for a gap", async () => {
    const rows = await krakenFor(simulator).fetchOHLCV("BTC/USD", "15m");
    const times = rows.map((row) => row[0]);
    expect(times).toHaveLength(9);
    expect(times).not.toContain(T0 + MISSING_SLOT * SLOT);
  });

  it("fetchOHLCV returns closed candles exactly", async () => {
    const rows = await krakenFor(simulator).fetchOHLCV("BTC/USD", "15m");
    const candle = syntheticCandles()[7];
    expect(rows[7]).toEqual([
      candle?.time,
      candle?.open,
      candle?.high,
      candle?.low,
      candle?.close,
      candle?.volume,
    ]);
  });

  it("fetchOHLCV after the tape has no open candle", async () => {
    simulator.setClock(T0 + 10 * SLOT + 5_000);
    const rows = await krakenFor(simulator).fetchOHLCV("BTC/USD", "15m");
    expect(rows).toHaveLength(9);
    expect(rows.at(-1)?.[4]).toBe(42000 + 9 * 10 + 10);
  });

  it("fetchOHLCV with since returns later rows", async () => {
    const kraken = krakenFor(simulator);
    const rows = await kraken.fetchOHLCV("BTC/USD", "15m", T0 + 7 * SLOT);
    expect(rows.map((row) => row[0])).toEqual([T0 + 7 * SLOT, T0 + 8 * SLOT, T0 + 9 * SLOT]);
    expect(simulator.requests.at(-1)?.query).toBe(
      `pair=XXBTZUSD&interval=15&since=${(T0 + 6 * SLOT) / 1000}`,
    );
  });

  it("fetchOHLCV returns at most 720 rows", async () => {
    await simulator.close();
    const candles = Array.from({ length: 800 }, (_, index) => ({
      time: T0 + index * SLOT,
      open: 100,
      high: 101,
      low: 99,
      close: 100.5,
      volume: 2,
    }));
    simulator = await startSimulator({ candles, clock: T0 + 799 * SLOT + 1_000 });
    const rows = await krakenFor(simulator).fetchOHLCV("BTC/USD", "15m");
    expect(rows).toHaveLength(720);
    expect(rows[0]?.[0]).toBe(T0 + 80 * SLOT);
    expect(rows.at(-1)?.[0]).toBe(T0 + 799 * SLOT);
  });

  it("fetchTicker quotes around the open price", async () => {
    const ticker = await krakenFor(simulator).fetchTicker("BTC/USD");
    // last 42090; half spread 42090 * 2 / 2 / 10000 = 4.209, rounded outward to 0.1.
    expect(ticker.last).toBe(42090);
    expect(ticker.bid).toBe(42085.7);
    expect(ticker.ask).toBe(42094.3);
    expect(ticker.bid).toBeLessThan(ticker.ask ?? 0);
  });

  it("fetchTicker in a gap uses the last close", async () => {
    simulator.setClock(T0 + MISSING_SLOT * SLOT + 60_000);
    const ticker = await krakenFor(simulator).fetchTicker("BTC/USD");
    expect(ticker.last).toBe(42000 + 4 * 10 + 10);
  });

  it("fetchTicker on a pair without candles fails", async () => {
    const error = await rejectionOf(() => krakenFor(simulator).fetchTicker("ETH/USD"));
    expect(error).toBeInstanceOf(ccxt.ExchangeNotAvailable);
  });

  it("unsupported timeframe raises BadRequest", async () => {
    const error = await rejectionOf(() => krakenFor(simulator).fetchOHLCV("BTC/USD", "1h"));
    expect(error).toBeInstanceOf(ccxt.BadRequest);
  });

  it("urls with /0/public appended are rejected", async () => {
    const kraken = new ccxt.kraken({
      enableRateLimit: false,
      urls: { api: { public: `${simulator.url}/0/public`, private: `${simulator.url}/0/private` } },
    });
    const error = await rejectionOf(() => kraken.fetchTime());
    expect(error).toBeInstanceOf(ccxt.ExchangeError);
    expect(simulator.requests.at(-1)?.path).toBe("/0/public/0/public/Time");
  });
});

describe("simulator faults through ccxt", () => {
  it("html 520 raises ExchangeNotAvailable", async () => {
    simulator.injectFault({ kind: "html", status: 520, endpoint: "Time", count: 1 });
    const error = await rejectionOf(() => krakenFor(simulator).fetchTime());
    expect(error).toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect(String(error)).toContain("520");
  });

  it("html 502 raises ExchangeNotAvailable", async () => {
    simulator.injectFault({ kind: "html", status: 502, count: 1 });
    const error = await rejectionOf(() => krakenFor(simulator).fetchTime());
    expect(error).toBeInstanceOf(ccxt.ExchangeNotAvailable);
  });

  it("error array raises DDoSProtection", async () => {
    simulator.injectFault({ kind: "error", errors: ["EGeneral:Too many requests"], count: 1 });
    const kraken = krakenFor(simulator);
    const error = await rejectionOf(() => kraken.fetchTime());
    expect(error).toBeInstanceOf(ccxt.DDoSProtection);
    expect(await kraken.fetchTime()).toBe(NOW);
  });

  it("fault on one endpoint spares others", async () => {
    simulator.injectFault({ kind: "error", errors: ["EService:Unavailable"], endpoint: "OHLC" });
    const kraken = krakenFor(simulator);
    expect(await kraken.fetchTime()).toBe(NOW);
    const first = await rejectionOf(() => kraken.fetchOHLCV("BTC/USD", "15m"));
    const second = await rejectionOf(() => kraken.fetchOHLCV("BTC/USD", "15m"));
    expect(first).toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect(second).toBeInstanceOf(ccxt.ExchangeNotAvailable);
  });

  it("clearFaults ends a fault", async () => {
    simulator.injectFault({ kind: "error", errors: ["EService:Unavailable"] });
    simulator.clearFaults();
    expect(await krakenFor(simulator).fetchTime()).toBe(NOW);
  });

  it("latency delays the reply", async () => {
    simulator.injectFault({ kind: "latency", ms: 300, endpoint: "Time", count: 1 });
    const kraken = krakenFor(simulator);
    const start = performance.now();
    await kraken.fetchTime();
    const slowMs = performance.now() - start;
    const next = performance.now();
    await kraken.fetchTime();
    const fastMs = performance.now() - next;
    expect(slowMs).toBeGreaterThanOrEqual(300);
    expect(fastMs).toBeLessThan(300);
  });

  it("clock_offset shifts the Time endpoint only", async () => {
    simulator.injectFault({ kind: "clock_offset", ms: 7_000 });
    const kraken = krakenFor(simulator);
    const rows = await kraken.fetchOHLCV("BTC/USD", "15m");
    expect(await kraken.fetchTime()).toBe(NOW + 7_000);
    expect(rows.at(-1)?.[0]).toBe(T0 + 9 * SLOT);
  });

  it("hang ends with ccxt RequestTimeout", async () => {
    simulator.injectFault({ kind: "hang", endpoint: "Time" });
    const error = await rejectionOf(() => krakenFor(simulator, 300).fetchTime());
    expect(error).toBeInstanceOf(ccxt.RequestTimeout);
  });

  it("close ends hanging connections", async () => {
    simulator.injectFault({ kind: "hang" });
    const pending = fetch(`${simulator.url}/0/public/Time`).then(
      () => "answered",
      () => "connection closed",
    );
    while (simulator.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await simulator.close();
    expect(await pending).toBe("connection closed");
    simulator = await startSimulator({ candles: syntheticCandles(), clock: NOW });
  });
});

describe("simulator reply shapes", () => {
  it("OHLC rows are Kraken's strings", async () => {
    const body = await getJson(`${simulator.url}/0/public/OHLC?pair=XBTUSD&interval=15`);
    const result = body.result as Record<string, unknown[][]>;
    expect(body.error).toEqual([]);
    expect(Object.keys(result)).toEqual(["XXBTZUSD", "last"]);
    expect(result.XXBTZUSD?.[0]).toEqual([
      T0 / 1000,
      "42000.0",
      "42025.5",
      "41985.8",
      "42010.0",
      "42007.1",
      "1.25000000",
      1,
    ]);
    expect(result.XXBTZUSD?.at(-1)).toEqual([
      (T0 + 9 * SLOT) / 1000,
      "42090.0",
      "42090.0",
      "42090.0",
      "42090.0",
      "0.0",
      "0.00000000",
      0,
    ]);
  });

  it("OHLC last is the newest closed row", async () => {
    const body = await getJson(`${simulator.url}/0/public/OHLC?pair=XXBTZUSD&interval=15`);
    const result = body.result as Record<string, unknown>;
    expect(result.last).toBe((T0 + 8 * SLOT) / 1000);
  });

  it("OHLC since is exclusive", async () => {
    const since = (T0 + 7 * SLOT) / 1000;
    const url = `${simulator.url}/0/public/OHLC?pair=XXBTZUSD&interval=15&since=${since}`;
    const result = (await getJson(url)).result as Record<string, unknown[][]>;
    expect(result.XXBTZUSD?.map((row) => row[0])).toEqual([since + 900, since + 1800]);
  });

  it("OHLC without interval 15 is rejected", async () => {
    const body = await getJson(`${simulator.url}/0/public/OHLC?pair=XXBTZUSD`);
    expect(body).toEqual({ error: ["EGeneral:Invalid arguments"] });
  });

  it("unknown pair is rejected", async () => {
    const body = await getJson(`${simulator.url}/0/public/OHLC?pair=DOGEUSD&interval=15`);
    expect(body).toEqual({ error: ["EQuery:Unknown asset pair"] });
  });

  it("unknown method is rejected", async () => {
    const response = await fetch(`${simulator.url}/0/public/Nothing`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ error: ["EGeneral:Unknown method"] });
  });

  it("POST to a public method is rejected", async () => {
    const response = await fetch(`${simulator.url}/0/public/Time`, { method: "POST" });
    expect(await response.json()).toEqual({ error: ["EGeneral:Unknown method"] });
  });

  it("Time has Kraken's rfc1123", async () => {
    simulator.setClock(Date.parse("2020-01-01T10:07:20.900Z"));
    const body = await getJson(`${simulator.url}/0/public/Time`);
    expect(body.result).toEqual({ unixtime: 1577873240, rfc1123: "Wed,  1 Jan 20 10:07:20 +0000" });
  });

  it("Ticker fields are strings", async () => {
    const body = await getJson(`${simulator.url}/0/public/Ticker?pair=XBTUSD`);
    const entry = (body.result as Record<string, Record<string, unknown>>).XXBTZUSD;
    expect(entry?.a).toEqual(["42094.30000", "1", "1.000"]);
    expect(entry?.b).toEqual(["42085.70000", "1", "1.000"]);
    expect(entry?.c).toEqual(["42090.00000", "1.00000000"]);
    expect(entry?.o).toBe("42000.00000");
    expect(entry?.t).toEqual([8, 8]);
    expect(entry?.l).toEqual(["41985.80000", "41985.80000"]);
    expect(entry?.h).toEqual(["42105.50000", "42105.50000"]);
  });

  it("Ticker volume sums visible rows", async () => {
    const body = await getJson(`${simulator.url}/0/public/Ticker?pair=XXBTZUSD`);
    const entry = (body.result as Record<string, Record<string, unknown>>).XXBTZUSD;
    // Volumes 1.25 + index for slots 0-8 without slot 5; the open candle adds 0.
    expect(entry?.v).toEqual(["41.00000000", "41.00000000"]);
  });

  it("AssetPairs filters by pair", async () => {
    const body = await getJson(`${simulator.url}/0/public/AssetPairs?pair=XBTUSD`);
    const result = body.result as Record<string, Record<string, unknown>>;
    expect(Object.keys(result)).toEqual(["XXBTZUSD"]);
    expect(result.XXBTZUSD?.ordermin).toBe("0.0001");
    expect(result.XXBTZUSD?.costmin).toBe("0.5");
    expect(result.XXBTZUSD?.tick_size).toBe("0.1");
    expect(result.XXBTZUSD?.status).toBe("online");
    expect(result.XXBTZUSD?.fees_maker).toContainEqual([0, 0.16]);
  });

  it("Assets lists XXBT", async () => {
    const body = await getJson(`${simulator.url}/0/public/Assets?asset=XBT`);
    expect(body.result).toEqual({
      XXBT: {
        aclass: "currency",
        altname: "XBT",
        decimals: 10,
        display_decimals: 5,
        status: "enabled",
        collateral_value: 1,
      },
    });
  });
});

describe("simulator control API", () => {
  it("POST /__sim/fault injects a fault", async () => {
    const response = await fetch(`${simulator.url}/__sim/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "error", errors: ["EGeneral:Too many requests"], count: 1 }),
    });
    expect(response.status).toBe(200);
    const body = await getJson(`${simulator.url}/0/public/Time`);
    expect(body).toEqual({ error: ["EGeneral:Too many requests"] });
  });

  it("POST /__sim/fault rejects a bad fault", async () => {
    const response = await fetch(`${simulator.url}/__sim/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "latency", ms: -1 }),
    });
    const body = (await response.json()) as { error: string };
    expect(response.status).toBe(400);
    expect(body.error).toMatch(/^inject fault: invalid body \(ms: .+\); expected JSON such as/);
  });

  it("POST /__sim/clear removes faults", async () => {
    simulator.injectFault({ kind: "error", errors: ["EService:Unavailable"] });
    await fetch(`${simulator.url}/__sim/clear`, { method: "POST" });
    const body = await getJson(`${simulator.url}/0/public/Time`);
    expect(body.error).toEqual([]);
  });

  it("POST /__sim/clock sets the clock", async () => {
    const response = await fetch(`${simulator.url}/__sim/clock`, {
      method: "POST",
      body: JSON.stringify({ iso: "2024-01-15T01:00:05Z" }),
    });
    expect(response.status).toBe(200);
    expect(simulator.now()).toBe(Date.parse("2024-01-15T01:00:05Z"));
  });

  it("POST /__sim/clock rejects a bad time", async () => {
    const response = await fetch(`${simulator.url}/__sim/clock`, {
      method: "POST",
      body: JSON.stringify({ iso: "yesterday" }),
    });
    expect(response.status).toBe(400);
    expect(simulator.now()).toBe(NOW);
  });

  it("GET /__sim/requests lists API requests", async () => {
    await fetch(`${simulator.url}/0/public/Time`);
    const requests = (await (await fetch(`${simulator.url}/__sim/requests`)).json()) as unknown[];
    expect(requests).toEqual([{ method: "GET", path: "/0/public/Time", query: "", time: NOW }]);
  });
});

describe("simulator clock", () => {
  it("running clock follows the real clock", async () => {
    await simulator.close();
    let realMs = 1_000_000;
    simulator = await startSimulator({
      candles: syntheticCandles(),
      clock: NOW,
      clockMode: "running",
      realNow: () => realMs,
    });
    realMs += 2_500;
    expect(simulator.now()).toBe(NOW + 2_500);
    simulator.setClock(T0);
    realMs += 1_000;
    expect(simulator.now()).toBe(T0 + 1_000);
  });

  it("default clock is 5 s into the last candle", async () => {
    await simulator.close();
    simulator = await startSimulator({ candles: syntheticCandles() });
    expect(simulator.now()).toBe(T0 + 9 * SLOT + 5_000);
  });
});

describe("CandleTape", () => {
  const tape = new CandleTape(syntheticCandles());

  it("ohlcAt at a slot boundary closes the candle", () => {
    const rows = tape.ohlcAt(T0 + 9 * SLOT);
    expect(rows.at(-1)?.time).toBe(T0 + 9 * SLOT);
    expect(rows.at(-2)?.close).toBe(42000 + 8 * 10 + 10);
  });

  it("ohlcAt limits rows", () => {
    const rows = tape.ohlcAt(NOW, 3);
    expect(rows.map((row) => row.time)).toEqual([T0 + 7 * SLOT, T0 + 8 * SLOT, T0 + 9 * SLOT]);
  });

  it("ohlcAt before the tape is empty", () => {
    expect(tape.ohlcAt(T0 - 1)).toEqual([]);
  });

  it("quoteAt without decimals is exact", () => {
    const quote = tape.quoteAt(NOW, 2);
    expect(quote).toEqual({ bid: 42090 - 4.209, ask: 42090 + 4.209, last: 42090, time: NOW });
  });

  it("quoteAt before the tape fails", () => {
    expect(() => tape.quoteAt(T0 - 1, 2)).toThrow(TapeError);
  });

  it("rejects unordered candles", () => {
    const candles = syntheticCandles().reverse();
    expect(() => new CandleTape(candles)).toThrow(/is not after/);
  });

  it("rejects an empty tape", () => {
    expect(() => new CandleTape([])).toThrow(TapeError);
  });
});

const XBTUSD_SUITE = HAS_XBTUSD
  ? "simulator on Kraken XBTUSD 2023"
  : `simulator on Kraken XBTUSD 2023: skipped, ${XBTUSD_FILE} is absent`;

describe.skipIf(!HAS_XBTUSD)(
  XBTUSD_SUITE,
  () => {
    it("fetchOHLCV serves the newest 720 rows", async () => {
      const candles = parseCandleFile(readFileSync(XBTUSD_FILE, "utf8"), XBTUSD_FILE);
      await simulator.close();
      simulator = await startSimulator({ candles });
      const rows = await krakenFor(simulator).fetchOHLCV("BTC/USD", "15m");
      const newestClosed = candles.at(-2);
      const open = candles.at(-1)?.open;
      expect(rows).toHaveLength(720);
      expect(rows.at(-1)).toEqual([candles.at(-1)?.time, open, open, open, open, 0]);
      expect(rows.at(-2)).toEqual([
        newestClosed?.time,
        newestClosed?.open,
        newestClosed?.high,
        newestClosed?.low,
        newestClosed?.close,
        newestClosed?.volume,
      ]);
    });
  },
);
