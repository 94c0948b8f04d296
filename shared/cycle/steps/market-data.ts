import type { CallGuard } from "../../exchange/call-guard.ts";
import { checkCandles } from "../../market/integrity.ts";
import type { Candle, MarketInfo, Quote } from "../../market/types.ts";
import type { BlackboxRecorder } from "../../blackbox/recorder.ts";
import type { CycleDeps } from "../context.ts";
import { CycleAbort } from "../reasons.ts";
import type { CycleState } from "../state.ts";
import { safeIsoTime } from "../../time/slots.ts";

export interface MarketSnapshot {
  market: MarketInfo;
  window: Candle[];
  quote: Quote;
}

/**
 * Kraken's `Time` reply has whole seconds, so the exchange time lies in
 * [unixtime, unixtime + 1 s). The skew is measured from the middle of that
 * second to the middle of the request.
 */
const TRUNCATION_MS = 500;

/** Compares the exchange clock with the server clock; aborts `TIMESTAMP_MISMATCH`. */
export async function checkClock(
  deps: CycleDeps,
  guard: CallGuard,
  state: CycleState,
  log: BlackboxRecorder,
): Promise<number> {
  const sentAt = deps.clock.now();
  const exchangeTime = await guard.call("fetchTime", () => deps.exchange.fetchTime());
  const midpoint = (sentAt + deps.clock.now()) / 2;
  const skew = Math.round(exchangeTime + TRUNCATION_MS - midpoint);
  const exchangeIso = safeIsoTime(exchangeTime);
  state.integrity.exchange_time = exchangeIso;
  state.integrity.clock_skew_ms = Number.isFinite(skew) ? skew : null;
  log.info("CLOCK", { exchange_time: exchangeIso ?? String(exchangeTime), skew_ms: skew });
  const allowed = deps.config.cycle.maxClockSkewMs;
  // A time in the wrong unit (ms for s) or out of range is as untrustworthy as a skewed one.
  if (exchangeIso === null || !(Math.abs(skew) <= allowed)) {
    throw new CycleAbort(
      "TIMESTAMP_MISMATCH",
      `Exchange clock differs from the server clock by ${skew} ms; allowed ${allowed} ms.`,
      { skew_ms: Number.isFinite(skew) ? skew : null, allowed_ms: allowed, exchange_time_raw: exchangeTime },
    );
  }
  return exchangeTime;
}

/** Loads the market rules, the checked candle window and the current quote. */
export async function readMarket(
  deps: CycleDeps,
  guard: CallGuard,
  state: CycleState,
  log: BlackboxRecorder,
  exchangeNow: number,
  requiredCandles: number,
): Promise<MarketSnapshot> {
  const symbol = state.market;
  const settings = deps.config.cycle;
  const market = await guard.call("loadMarkets", () => deps.exchange.fetchMarket(symbol));
  const raw = await guard.call("fetchOHLCV", () =>
    deps.exchange.fetchCandles(symbol, settings.intervalMs)
  );
  state.integrity.candles_received = raw.length;
  try {
    const { window, report } = checkCandles(raw, {
      slot: state.slot,
      exchangeNow,
      intervalMs: settings.intervalMs,
      historyCandles: settings.historyCandles,
      requiredCandles,
      gapPolicy: settings.gapPolicy,
    });
    applyReport(state, report);
    log.info("CANDLES", {
      received: raw.length,
      used: window.length,
      missing: report.missing.length,
      filled: report.filled.length,
      newest_closed: report.newestClosed,
    });
    const quote = await guard.call("fetchTicker", () => deps.exchange.fetchQuote(symbol));
    checkQuote(quote, symbol);
    checkQuoteAgainstClose(quote, symbol, window.at(-1)?.close, settings.maxQuoteDeviationPct);
    return { market, window, quote };
  } catch (error) {
    if (error instanceof CycleAbort && isReport(error.details)) applyReport(state, error.details);
    throw error;
  }
}

interface ReportLike {
  closed: number;
  used: number;
  droppedOpen: string[];
  missing: string[];
  filled: string[];
  misaligned: string[];
  newestClosed: string | null;
}

function isReport(value: unknown): value is ReportLike {
  return typeof value === "object" && value !== null && "missing" in value && "droppedOpen" in value;
}

/**
 * Aborts INVALID_DATA when the bid or ask is far from the newest close,
 * because that is more likely a bad reply than a move within seconds.
 */
function checkQuoteAgainstClose(
  quote: Quote,
  symbol: string,
  close: number | undefined,
  maxDeviationPct: number,
): void {
  if (close === undefined) return;
  const deviationPct = (Math.max(Math.abs(quote.bid - close), Math.abs(quote.ask - close)) / close) * 100;
  if (deviationPct <= maxDeviationPct) return;
  throw new CycleAbort(
    "INVALID_DATA",
    `Ticker for ${symbol} (bid ${quote.bid}, ask ${quote.ask}) is ${deviationPct.toFixed(2)} % away ` +
      `from the last close ${close}; allowed ${maxDeviationPct} % (TITAN_MAX_QUOTE_DEVIATION_PCT).`,
    { bid: quote.bid, ask: quote.ask, last_close: close, deviation_pct: deviationPct, allowed_pct: maxDeviationPct },
  );
}

function applyReport(state: CycleState, report: ReportLike): void {
  const integrity = state.integrity;
  integrity.candles_closed = report.closed;
  integrity.candles_used = report.used;
  integrity.dropped_open = report.droppedOpen;
  integrity.missing = report.missing;
  integrity.filled = report.filled;
  integrity.misaligned = report.misaligned.map(String);
  integrity.newest_closed = report.newestClosed;
}

function checkQuote(quote: Quote, symbol: string): void {
  if (quote.bid > 0 && quote.ask >= quote.bid) return;
  throw new CycleAbort(
    "INVALID_DATA",
    `Ticker for ${symbol} has bid ${quote.bid} and ask ${quote.ask}; expected 0 < bid <= ask.`,
    { bid: quote.bid, ask: quote.ask, last: quote.last },
  );
}
