/**
 * Kraken's public market-data endpoints `OHLC` and `Ticker`, served from the
 * candle tapes at the simulated clock.
 *
 * @module
 */

import type { Candle } from "../shared/market/types.ts";
import type { KrakenAssetPair } from "./markets.ts";
import { listParameter, resolvePair, singlePair } from "./public-routes.ts";
import {
  formatDecimal,
  INVALID_ARGUMENTS,
  krakenError,
  krakenResult,
  PUBLIC_PREFIX,
  type Route,
  SERVICE_UNAVAILABLE,
  type SimReply,
  type SimRequest,
  type SimulatorState,
  UNKNOWN_PAIR,
} from "./routes.ts";
import type { CandleTape } from "./tape.ts";

/** The only OHLC interval the simulator serves, in minutes. */
export const SIMULATED_INTERVAL_MINUTES = 15;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Kraken's Ticker sends prices with 5 decimals whatever the pair's precision. */
const TICKER_PRICE_DECIMALS = 5;

/** Routes for `OHLC` and `Ticker`. */
export function marketDataRoutes(state: SimulatorState): Route[] {
  return [
    { method: "GET", path: `${PUBLIC_PREFIX}OHLC`, handle: (request) => ohlc(state, request) },
    { method: "GET", path: `${PUBLIC_PREFIX}Ticker`, handle: (request) => ticker(state, request) },
  ];
}

/**
 * Serves OHLC at the simulated clock. `since` (seconds) is exclusive, and
 * `last` is the open time of the newest closed row, to use as `since` when
 * polling. Kraken serves 1, 5, 15, 30, 60, 240, 1440 and 10080 minutes, but
 * the tape has 15-minute candles only. So every other interval gets
 * `EGeneral:Invalid arguments`, which Kraken sends for an unsupported one.
 */
function ohlc(state: SimulatorState, request: SimRequest): SimReply {
  const found = singlePair(state, request);
  if (!("id" in found)) return found;

  const interval = request.query.get("interval") ?? "1";
  const sinceText = request.query.get("since");
  const since = sinceText === null || sinceText === "" ? undefined : Number(sinceText);
  if (interval !== String(SIMULATED_INTERVAL_MINUTES)) return krakenError([INVALID_ARGUMENTS]);
  if (since !== undefined && !Number.isFinite(since)) return krakenError([INVALID_ARGUMENTS]);

  const tape = state.tapes.get(found.id);
  if (tape === undefined) return krakenError([SERVICE_UNAVAILABLE]);

  const nowMs = state.clock.now();
  const rows = tape.ohlcAt(nowMs);
  const closed = rows.filter((row) => row.time + tape.intervalMs <= nowMs);
  const newestClosed = closed[closed.length - 1];
  const last = newestClosed === undefined ? (since ?? 0) : newestClosed.time / 1000;

  const sinceMs = since === undefined ? -Infinity : since * 1000;
  const served = rows.filter((row) => row.time > sinceMs);
  const formatted = served.map((row) => formatOhlcRow(row, found.pair));
  return krakenResult({ [found.id]: formatted, last });
}

/**
 * Formats one OHLC row as Kraken sends it: `[time s, open, high, low, close, vwap,
 * volume, count]` with prices and volume as strings.
 *
 * NOTE: candle files carry neither VWAP nor trade counts. The row reports
 * the typical price (high + low + close) / 3 as VWAP and a count of 1 when
 * the volume is positive. With no volume both are 0, as in Kraken's rows
 * without trades.
 */
export function formatOhlcRow(row: Candle, pair: KrakenAssetPair): unknown[] {
  const decimals = pair.pair_decimals;
  const traded = row.volume > 0;
  const vwap = traded ? (row.high + row.low + row.close) / 3 : 0;
  return [
    row.time / 1000,
    formatDecimal(row.open, decimals),
    formatDecimal(row.high, decimals),
    formatDecimal(row.low, decimals),
    formatDecimal(row.close, decimals),
    vwap.toFixed(decimals),
    formatDecimal(row.volume, pair.lot_decimals),
    traded ? 1 : 0,
  ];
}

function ticker(state: SimulatorState, request: SimRequest): SimReply {
  const names = listParameter(request, "pair") ?? [...state.tapes.keys()];
  const result: Record<string, unknown> = {};
  for (const name of names) {
    const found = resolvePair(state, name);
    if (found === undefined) return krakenError([UNKNOWN_PAIR]);
    const tape = state.tapes.get(found.id);
    const nowMs = state.clock.now();
    if (tape === undefined || tape.lastPriceAt(nowMs) === undefined) {
      return krakenError([SERVICE_UNAVAILABLE]);
    }
    result[found.id] = tickerEntry(tape, found.pair, nowMs, state.spreadBps);
  }
  return krakenResult(result);
}

/**
 * Builds one Ticker entry in Kraken's shape. `a`, `b` and `c` come from
 * `CandleTape.quoteAt`. The `[today, last 24 hours]` pairs `v`, `p`, `t`,
 * `l` and `h` and today's open `o` are computed from the OHLC rows visible
 * now, where today starts at 00:00 UTC.
 *
 * NOTE: book and trade sizes are not modelled, so `a` and `b` report a
 * size of 1 and `c` a last trade of 1 base unit.
 */
function tickerEntry(
  tape: CandleTape,
  pair: KrakenAssetPair,
  nowMs: number,
  spreadBps: number,
): Record<string, unknown> {
  const quote = tape.quoteAt(nowMs, spreadBps, pair.pair_decimals);
  const price = (value: number) => formatDecimal(value, TICKER_PRICE_DECIMALS);
  const today = windowStats(tape.ohlcSince(nowMs - (nowMs % DAY_MS), nowMs), quote.last);
  const day = windowStats(tape.ohlcSince(nowMs - DAY_MS, nowMs), quote.last);
  const volume = (value: number) => value.toFixed(pair.lot_decimals);
  return {
    a: [price(quote.ask), "1", "1.000"],
    b: [price(quote.bid), "1", "1.000"],
    c: [price(quote.last), "1.00000000"],
    v: [volume(today.volume), volume(day.volume)],
    p: [today.vwap.toFixed(TICKER_PRICE_DECIMALS), day.vwap.toFixed(TICKER_PRICE_DECIMALS)],
    t: [today.trades, day.trades],
    l: [price(today.low), price(day.low)],
    h: [price(today.high), price(day.high)],
    o: price(today.open),
  };
}

interface WindowStats {
  open: number;
  high: number;
  low: number;
  volume: number;
  vwap: number;
  trades: number;
}

/** Summarizes OHLC rows; an empty window reports `last` for every price. */
function windowStats(rows: readonly Candle[], last: number): WindowStats {
  const stats = { open: rows[0]?.open ?? last, high: -Infinity, low: Infinity, volume: 0 };
  let turnover = 0;
  let trades = 0;
  for (const row of rows) {
    stats.high = Math.max(stats.high, row.high);
    stats.low = Math.min(stats.low, row.low);
    stats.volume += row.volume;
    turnover += ((row.high + row.low + row.close) / 3) * row.volume;
    if (row.volume > 0) trades++;
  }
  if (rows.length === 0) {
    stats.high = last;
    stats.low = last;
  }
  const vwap = stats.volume > 0 ? turnover / stats.volume : last;
  return { ...stats, vwap, trades };
}
