/**
 * The alert contract: what the cycle and the LIVE execution report to an
 * operator, and the interface that delivers it. Delivery must never hold up
 * or fail a cycle, so `send` resolves or rejects within the alerter's own
 * timeout, and the caller only logs a rejection.
 *
 * @module
 */

export const ALERT_KINDS = [
  "trade",
  "halt",
  "crash",
  "abort_streak",
  "mode_change",
  "orphaned_order",
] as const;

export type AlertKind = (typeof ALERT_KINDS)[number];

export type AlertFieldValue = string | number | boolean | null;

/** One alert. It must carry no secret; senders scrub it again before delivery. */
export interface AlertEvent {
  kind: AlertKind;
  /** Unified symbol, e.g. `BTC/USD`; null for an alert about the whole system. */
  market: string | null;
  /** The cycle that raised it, when there is one. */
  cycle_id: string | null;
  /** One sentence an operator can act on. */
  message: string;
  /** The values behind the message. */
  fields: Record<string, AlertFieldValue>;
}

export interface Alerter {
  /**
   * Delivers `event`, or drops it under the rate limit. A returned promise
   * rejects when delivery failed; it must settle within the alerter's timeout.
   */
  send(event: AlertEvent): void | Promise<void>;
}

/** An alerter that drops every event, for callers without a webhook. */
export const noAlerts: Alerter = { send: () => {} };
