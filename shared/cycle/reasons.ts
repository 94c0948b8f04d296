/**
 * The closed list of reasons a cycle can end without completing. The
 * database enforces the same list with a CHECK constraint; a migration
 * must change both together.
 */
export const ABORT_REASONS = {
  KILL_SWITCH: "The system is halted by the kill switch.",
  STALE_SLOT: "The request arrived too long after its slot opened.",
  TIMESTAMP_MISMATCH: "The exchange clock and the server clock differ by more than the allowed skew.",
  API_LAG: "An exchange call took longer than the latency budget.",
  EXCHANGE_UNAVAILABLE: "The exchange answered with an outage page, a server error or not at all.",
  RATE_LIMITED: "The exchange rejected a call for too many requests and no retry fit the deadline.",
  EXCHANGE_ERROR: "The exchange returned an error that is neither an outage nor a rate limit.",
  DATA_GAP: "Candles are missing inside the window the gap policy protects.",
  STALE_DATA: "The newest closed candle is not the one just before the slot.",
  MISALIGNED_DATA: "A candle is not aligned to the interval, is duplicated or is out of order.",
  INVALID_DATA: "A candle has an impossible value (non-positive price, high below low).",
  INSUFFICIENT_HISTORY: "Fewer closed candles than the strategy needs.",
  DEADLINE_EXCEEDED: "The cycle spent its deadline before it could act safely.",
  ORDER_REJECTED: "The exchange rejected the order itself; its text is in the audit.",
  INSUFFICIENT_FUNDS: "The exchange rejected the order for insufficient funds.",
  NONCE_ERROR: "A private call failed with an invalid nonce, again after its one retry.",
  OPERATOR_NEEDED: "A call failed in a way only a person can fix: key, permission, market.",
  ORDER_UNKNOWN: "An order's outcome could not be learned from the exchange; nothing is resent.",
  MARKET_HALTED: "The market is halted, for example after an order the exchange does not know.",
} as const;

export type AbortReason = keyof typeof ABORT_REASONS;

export const ABORT_REASON_NAMES = Object.keys(ABORT_REASONS) as AbortReason[];

/**
 * Ends a cycle early with a reason from the closed list. `details` holds the
 * values behind the decision and goes into the audit payload as it is, so it
 * must never contain a secret.
 */
export class CycleAbort extends Error {
  override readonly name = "CycleAbort";
  constructor(
    readonly reason: AbortReason,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
