/**
 * The protection rules as pure functions: which limit a market's equity or
 * position breaks (a halt), and whether a BUY may open or grow a position
 * (a skip). Positions are valued at the mark price, the bid.
 *
 * @module
 */
import type { ProtectionLimits } from "./config.ts";
import type { EquityBaseline, MarketExit } from "./store.ts";

export type HaltReason = "MAX_POSITION" | "MAX_DAILY_LOSS" | "MAX_DRAWDOWN";
export type EntrySkipReason = "MAX_POSITION" | "COOLDOWN";

/** Values the cycle measured against the limits, for the audit payload. */
export interface Measures {
  equity: number;
  day: string;
  day_start_equity: number;
  /** day_start_equity - equity; negative on a winning day. */
  daily_loss: number;
  peak_equity: number;
  /** Fall below the peak, percent of the peak; 0 at the peak. */
  drawdown_pct: number;
  position: number;
  position_value: number;
  price: number;
}

/** A limit the market broke: the halt's code, its sentence and its values. */
export interface Breach {
  reason: HaltReason;
  message: string;
  details: Record<string, number | string | null>;
}

/** Reason and sentence of a skipped BUY. */
export interface EntryBlock {
  reason: EntrySkipReason;
  message: string;
}

export interface MeasureInput {
  equity: number;
  baseline: EquityBaseline;
  /** Position in the base currency. */
  position: number;
  /** Mark price, the bid, in the quote currency. */
  price: number;
}

/** Measures the equity and the position against their baselines. */
export function measure(input: MeasureInput): Measures {
  const { equity, baseline, position, price } = input;
  const peak = baseline.peakEquity;
  return {
    equity,
    day: baseline.day,
    day_start_equity: baseline.dayStartEquity,
    daily_loss: baseline.dayStartEquity - equity,
    peak_equity: peak,
    drawdown_pct: peak > 0 ? Math.max(0, ((peak - equity) / peak) * 100) : 0,
    position,
    position_value: position * price,
    price,
  };
}

/**
 * Returns the first limit that `m` breaks, in the order daily loss,
 * drawdown, position, or null. A value equal to its limit does not break it.
 */
export function findBreach(limits: ProtectionLimits, m: Measures, quote: string, base: string) {
  const dailyLoss = limits.maxDailyLossQuote;
  if (dailyLoss !== null && m.daily_loss > dailyLoss) {
    return breach(
      "MAX_DAILY_LOSS",
      `Equity fell ${fmt(m.daily_loss)} ${quote} today (UTC ${m.day}), from ${fmt(m.day_start_equity)} ` +
        `to ${fmt(m.equity)}; maxDailyLossQuote is ${dailyLoss} ${quote}.`,
      m,
      { limit: dailyLoss, value: m.daily_loss },
    );
  }
  const drawdown = limits.maxDrawdownPct;
  if (drawdown !== null && m.drawdown_pct > drawdown) {
    return breach(
      "MAX_DRAWDOWN",
      `Equity ${fmt(m.equity)} ${quote} is ${fmt(m.drawdown_pct)} % below its peak ` +
        `${fmt(m.peak_equity)}; maxDrawdownPct is ${drawdown} %.`,
      m,
      { limit: drawdown, value: m.drawdown_pct },
    );
  }
  return positionBreach(limits, m, quote, base);
}

function positionBreach(
  limits: ProtectionLimits,
  m: Measures,
  quote: string,
  base: string,
): Breach | null {
  const maxBase = limits.maxPositionBase;
  if (maxBase !== null && m.position > maxBase) {
    return breach(
      "MAX_POSITION",
      `Position ${m.position} ${base} exceeds maxPositionBase ${maxBase} ${base}.`,
      m,
      { limit: maxBase, value: m.position, unit: base },
    );
  }
  const maxQuote = limits.maxPositionQuote;
  if (maxQuote !== null && m.position_value > maxQuote) {
    return breach(
      "MAX_POSITION",
      `Position ${m.position} ${base} is worth ${fmt(m.position_value)} ${quote} at the bid ` +
        `${m.price}, above maxPositionQuote ${maxQuote} ${quote}.`,
      m,
      { limit: maxQuote, value: m.position_value, unit: quote },
    );
  }
  return null;
}

/**
 * Returns why a BUY of `amount` would take the position past a limit, or
 * null when it fits. The value uses the mark price, as the halt rule does.
 */
export function entryBlock(
  limits: ProtectionLimits,
  position: number,
  amount: number,
  price: number,
  names: { base: string; quote: string },
): EntryBlock | null {
  const after = position + amount;
  const maxBase = limits.maxPositionBase;
  if (maxBase !== null && after > maxBase) {
    return {
      reason: "MAX_POSITION",
      message: `BUY of ${amount} ${names.base} would make the position ${after} ${names.base}, ` +
        `above maxPositionBase ${maxBase} ${names.base}.`,
    };
  }
  const maxQuote = limits.maxPositionQuote;
  if (maxQuote !== null && after * price > maxQuote) {
    return {
      reason: "MAX_POSITION",
      message: `BUY of ${amount} ${names.base} would make the position worth ` +
        `${fmt(after * price)} ${names.quote} at the bid ${price}, above maxPositionQuote ` +
        `${maxQuote} ${names.quote}.`,
    };
  }
  return null;
}

/**
 * Returns the cooldown block after a losing exit, or null when there was
 * none, it broke even or won, or `cooldownMinutes` have passed since it.
 */
export function cooldownBlock(
  limits: ProtectionLimits,
  exit: MarketExit | null,
  nowMs: number,
  quote: string,
): EntryBlock | null {
  if (limits.cooldownMinutes === 0 || exit === null || exit.pnl === null || exit.pnl >= 0) {
    return null;
  }
  const until = exit.exitedAt + limits.cooldownMinutes * 60_000;
  if (nowMs >= until) return null;
  return {
    reason: "COOLDOWN",
    message: `BUY is paused until ${new Date(until).toISOString()}: the exit at ` +
      `${new Date(exit.exitedAt).toISOString()} lost ${fmt(-exit.pnl)} ${quote} and ` +
      `cooldownMinutes is ${limits.cooldownMinutes}.`,
  };
}

function breach(
  reason: HaltReason,
  message: string,
  m: Measures,
  values: Record<string, number | string>,
): Breach {
  return { reason, message, details: { ...m, ...values } };
}

/** Two decimals for sentences; the details keep the exact values. */
function fmt(value: number): string {
  return (Math.round(value * 100) / 100).toString();
}
