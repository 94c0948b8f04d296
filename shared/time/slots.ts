/**
 * Slot arithmetic. A slot is a 15-minute window aligned to UTC; the cycle
 * for slot S runs just after S opens and trades on the candle that closed at S.
 */

export const SLOT_MS = 15 * 60 * 1000;

/** Returns the start of the slot that contains `timeMs`. */
export function slotStart(timeMs: number, slotMs = SLOT_MS): number {
  return Math.floor(timeMs / slotMs) * slotMs;
}

/** Returns the market part of a cycle id: `BTC/USD` becomes `BTCUSD`. */
export function marketKey(symbol: string): string {
  return symbol.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
}

/**
 * Builds the stable, readable cycle id of one (market, slot) pair, for
 * example `BTCUSD-20240115T1215Z`.
 */
export function cycleId(symbol: string, slotMs: number): string {
  const iso = new Date(slotMs).toISOString();
  const stamp = iso.slice(0, 16).replace(/[-:]/g, "");
  return `${marketKey(symbol)}-${stamp}Z`;
}

/** Formats a time as ISO 8601 UTC with seconds, for messages and payloads. */
export function isoTime(timeMs: number): string {
  return new Date(timeMs).toISOString();
}

/** Latest time `isoTime` writes as a four-digit year: 9999-12-31T23:59:59.999Z. */
const MAX_ISO_TIME_MS = 253_402_300_799_999;

/**
 * Formats a time like `isoTime`, or returns null for a value that is not a
 * time between 1970 and 9999, such as a reply in the wrong unit.
 */
export function safeIsoTime(timeMs: number): string | null {
  if (!Number.isFinite(timeMs) || timeMs < 0 || timeMs > MAX_ISO_TIME_MS) return null;
  return new Date(timeMs).toISOString();
}
