import type { Candle, MarketInfo, Quote } from "../market/types.ts";
import type { MarketDataSource } from "./exchange.ts";
import { ExchangeFailure } from "./errors.ts";
import { KrakenExchange } from "./kraken-class.ts";

export interface KrakenOptions {
  /** API base URL such as `https://api.kraken.com`, without `/0/public`; Kraken's own when unset. */
  baseUrl?: string;
  /** ccxt's request timeout in ms. */
  timeoutMs: number;
  apiKey?: string;
  apiSecret?: string;
}

type KrakenInstance = InstanceType<typeof KrakenExchange>;

/** The ccxt Kraken instance `createKraken` returns. */
export type GuardedKrakenInstance = GuardedKraken;

/**
 * Creates a ccxt Kraken instance. ccxt's rate limiter is off because a cycle
 * makes a handful of calls and `CallGuard` owns timing and retries.
 */
export function createKraken(options: KrakenOptions): GuardedKrakenInstance {
  const config: Record<string, unknown> = {
    enableRateLimit: false,
    timeout: options.timeoutMs,
  };
  if (options.baseUrl) {
    const base = options.baseUrl.replace(/\/+$/, "");
    // ccxt 4.5's kraken.sign() appends `/0/public/<method>` itself.
    config.urls = { api: { public: base, private: base } };
  }
  if (options.apiKey) config.apiKey = options.apiKey;
  if (options.apiSecret) config.secret = options.apiSecret;
  return new GuardedKraken(config);
}

const BODY_START_CHARS = 200;

/**
 * Kraken with three changes:
 *
 * - A reply that is not JSON (a CDN's HTML error page, whatever its status)
 *   or any 5xx fails here with its status and the start of its body, before
 *   ccxt could hand the text on as data.
 * - Each private call's nonce is larger than the last one this instance sent
 *   and than a floor the caller raises. ccxt 4.5 sends the clock's
 *   milliseconds, so two calls in one millisecond, or two processes whose
 *   clocks differ, would send a nonce Kraken rejects.
 * - A failed market load is tried again by the next call instead of failing
 *   it too.
 */
class GuardedKraken extends KrakenExchange {
  #lastNonce = 0;
  #nonceFloor = 0;

  /**
   * Loads the markets and drops a failed load. ccxt 4.5.84 caches the
   * rejected promise of a failed load and returns it to every later call,
   * so one outage page would fail every later cycle of the isolate.
   */
  override async loadMarkets(reload = false, params = {}) {
    try {
      return await super.loadMarkets(reload, params);
    } catch (error) {
      (this as { marketsLoading?: unknown }).marketsLoading = undefined;
      throw error;
    }
  }

  override nonce(): number {
    const next = Math.max(this.milliseconds(), this.#lastNonce + 1, this.#nonceFloor + 1);
    this.#lastNonce = next;
    return next;
  }

  /** Makes every later nonce larger than `nonce`, e.g. the last one stored for the key. */
  raiseNonceFloor(nonce: number): void {
    if (Number.isSafeInteger(nonce)) this.#nonceFloor = Math.max(this.#nonceFloor, nonce);
  }

  /**
   * Returns the last nonce this instance generated; 0 before its first
   * private call. A method, because ccxt's constructor reads every getter
   * before this class's fields exist.
   */
  lastNonce(): number {
    return this.#lastNonce;
  }

  override handleErrors(
    code: number,
    reason: string,
    url: string,
    method: string,
    headers: unknown,
    body: string,
    response: unknown,
    requestHeaders: unknown,
    requestBody: unknown,
  ) {
    const notJson = response === undefined || response === null || typeof response === "string";
    if (notJson || code >= 500) {
      const endpoint = new URL(url).pathname;
      throw new ExchangeFailure(
        "unavailable",
        `${method} ${endpoint}`,
        `${`HTTP ${code} ${reason}`.trim()}${notJson ? ", reply is not JSON" : ""}`,
        code,
        body.slice(0, BODY_START_CHARS),
      );
    }
    return super.handleErrors(code, reason, url, method, headers as never, body, response, requestHeaders, requestBody);
  }
}

/**
 * Market data through ccxt. Markets are loaded once per instance and
 * cached, so a warm function makes three calls per cycle: Time, OHLC, Ticker.
 */
export class KrakenMarketData implements MarketDataSource {
  constructor(private readonly exchange: KrakenInstance) {}

  async fetchTime(): Promise<number> {
    const time = await this.exchange.fetchTime();
    return requireNumber(time, "fetchTime", "server time");
  }

  async fetchMarket(symbol: string): Promise<MarketInfo> {
    const markets = await this.exchange.loadMarkets();
    const market = markets[symbol];
    if (!market) {
      throw new ExchangeFailure(
        "operator",
        "loadMarkets",
        `market ${symbol} is not listed by the exchange; check TITAN_MARKETS`,
      );
    }
    return {
      symbol,
      id: String(market.id),
      base: String(market.base),
      quote: String(market.quote),
      priceDecimals: decimalsOf(market.precision?.price, "price precision"),
      amountDecimals: decimalsOf(market.precision?.amount, "amount precision"),
      minAmount: market.limits?.amount?.min ?? 0,
      minCost: market.limits?.cost?.min ?? 0,
      takerFee: requireNumber(market.taker, "loadMarkets", "taker fee"),
    };
  }

  async fetchCandles(symbol: string, intervalMs: number): Promise<Candle[]> {
    const rows = await this.exchange.fetchOHLCV(symbol, timeframeOf(intervalMs));
    return rows.map((row) => {
      const [time, open, high, low, close, volume] = row;
      return {
        time: requireNumber(time, "fetchOHLCV", "candle time"),
        open: requireNumber(open, "fetchOHLCV", "open"),
        high: requireNumber(high, "fetchOHLCV", "high"),
        low: requireNumber(low, "fetchOHLCV", "low"),
        close: requireNumber(close, "fetchOHLCV", "close"),
        volume: requireNumber(volume, "fetchOHLCV", "volume"),
      };
    });
  }

  async fetchQuote(symbol: string): Promise<Quote> {
    const ticker = await this.exchange.fetchTicker(symbol);
    return {
      bid: requireNumber(ticker.bid, "fetchTicker", "bid"),
      ask: requireNumber(ticker.ask, "fetchTicker", "ask"),
      last: requireNumber(ticker.last, "fetchTicker", "last"),
      ...(typeof ticker.timestamp === "number" ? { time: ticker.timestamp } : {}),
    };
  }
}

function requireNumber(value: unknown, call: string, what: string): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new ExchangeFailure(
    "invalid_response",
    call,
    `expected a number for ${what}, got ${JSON.stringify(value)}`,
  );
}

/** ccxt gives Kraken precisions as tick sizes (0.1); the core counts decimals. */
function decimalsOf(tick: number | undefined, what: string): number {
  const size = requireNumber(tick, "loadMarkets", what);
  if (size >= 1) return 0;
  return Math.round(-Math.log10(size));
}

function timeframeOf(intervalMs: number): string {
  const minutes = intervalMs / 60_000;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new Error(`Cannot map interval ${intervalMs} ms to a ccxt timeframe; use whole minutes.`);
  }
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}
