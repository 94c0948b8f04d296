/**
 * Market data and market rules, in the units the core uses everywhere:
 * times in milliseconds since the Unix epoch (UTC), prices in the quote
 * currency, amounts in the base currency.
 */

/** One OHLCV candle; `time` is the candle's open time. */
export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Trading rules of one spot market, as the exchange publishes them. */
export interface MarketInfo {
  /** Unified symbol, for example `BTC/USD`. */
  symbol: string;
  /** Exchange pair id, for example `XXBTZUSD`. */
  id: string;
  base: string;
  quote: string;
  /** Decimal places allowed in a price (Kraken `pair_decimals`). */
  priceDecimals: number;
  /** Decimal places allowed in an amount (Kraken `lot_decimals`). */
  amountDecimals: number;
  /** Minimum order amount in the base currency (Kraken `ordermin`). */
  minAmount: number;
  /** Minimum order cost in the quote currency (Kraken `costmin`); 0 when unpublished. */
  minCost: number;
  /** Taker fee as a fraction (0.0026 is 0.26 %). */
  takerFee: number;
}

/** Best bid and ask and the last trade price at one moment. */
export interface Quote {
  bid: number;
  ask: number;
  last: number;
  /** When the exchange produced the quote, when it says so. */
  time?: number;
}
