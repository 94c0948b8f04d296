import type { MarketDataSource } from "../shared/exchange/exchange.ts";
import { ExchangeFailure } from "../shared/exchange/errors.ts";
import type { Candle, MarketInfo, Quote } from "../shared/market/types.ts";
import type { Clock } from "../shared/time/clock.ts";
import { type KrakenAssetPair, SIMULATED_ASSETS, SIMULATED_PAIRS } from "./markets.ts";
import type { CandleTape } from "./tape.ts";

/** Kraken asset codes whose ccxt code differs from their altname. */
const CCXT_CODES: Record<string, string> = { XBT: "BTC", XDG: "DOGE" };

/**
 * Market data from candle tapes in the same process: what ccxt would return
 * from the simulator at the clock's time, without HTTP. Replay and the
 * backtest use it; a test checks it against ccxt talking to the simulator.
 */
export class HistoricalSource implements MarketDataSource {
  constructor(
    private readonly tapes: Readonly<Record<string, CandleTape>>,
    private readonly clock: Clock,
    private readonly spreadBps: number,
  ) {}

  /** Kraken's `Time` has whole seconds. */
  fetchTime(): Promise<number> {
    return Promise.resolve(Math.floor(this.clock.now() / 1000) * 1000);
  }

  fetchMarket(symbol: string): Promise<MarketInfo> {
    return Promise.resolve(marketInfoFor(symbol));
  }

  fetchCandles(symbol: string, _intervalMs: number): Promise<Candle[]> {
    return Promise.resolve(this.#tape(symbol).ohlcAt(this.clock.now()));
  }

  fetchQuote(symbol: string): Promise<Quote> {
    const market = marketInfoFor(symbol);
    const quote = this.#tape(symbol).quoteAt(this.clock.now(), this.spreadBps, market.priceDecimals);
    return Promise.resolve({ bid: quote.bid, ask: quote.ask, last: quote.last });
  }

  #tape(symbol: string): CandleTape {
    const tape = this.tapes[symbol];
    if (!tape) throw new ExchangeFailure("operator", "fetchOHLCV", `no candles loaded for ${symbol}`);
    return tape;
  }
}

/** Returns the ccxt symbol of a simulated pair, for example `BTC/USD` for XXBTZUSD. */
export function symbolOf(pair: KrakenAssetPair): string {
  const code = (asset: string) => {
    const altname = SIMULATED_ASSETS[asset]?.altname ?? asset;
    return CCXT_CODES[altname] ?? altname;
  };
  return `${code(pair.base)}/${code(pair.quote)}`;
}

/** Market rules of a simulated pair in the form the ccxt adapter returns them. */
export function marketInfoFor(symbol: string): MarketInfo {
  for (const [id, pair] of Object.entries(SIMULATED_PAIRS)) {
    if (symbolOf(pair) !== symbol) continue;
    const [base, quote] = symbol.split("/") as [string, string];
    return {
      symbol,
      id,
      base,
      quote,
      priceDecimals: pair.pair_decimals,
      amountDecimals: pair.lot_decimals,
      minAmount: Number(pair.ordermin),
      minCost: Number(pair.costmin),
      // ccxt divides the percent as a decimal string; toPrecision keeps 0.26 / 100 at 0.0026.
      takerFee: Number(((pair.fees[0]?.[1] ?? 0) / 100).toPrecision(12)),
    };
  }
  throw new ExchangeFailure("operator", "loadMarkets", `market ${symbol} is not simulated`);
}
