import type { Candle, MarketInfo, Quote } from "../market/types.ts";

/**
 * What a PAPER cycle needs from an exchange. The ccxt adapter talks to
 * Kraken (or the simulator) over HTTP; replay and backtest use a historical
 * source with the same shapes. Every method may throw `ExchangeFailure`.
 */
export interface MarketDataSource {
  /** Exchange clock in ms since the epoch (Kraken `Time` has whole seconds). */
  fetchTime(): Promise<number>;
  /** Trading rules of one market, for example `BTC/USD`. */
  fetchMarket(symbol: string): Promise<MarketInfo>;
  /**
   * Candles as the exchange sends them, oldest first: the still-open candle
   * may be last, and intervals without trades have no row.
   */
  fetchCandles(symbol: string, intervalMs: number): Promise<Candle[]>;
  /** Best bid, best ask and last trade price. */
  fetchQuote(symbol: string): Promise<Quote>;
}
