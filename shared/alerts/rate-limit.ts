/**
 * The alert rate limit, kept in the database so that it applies across Edge
 * Function isolates and concurrent cycles: at most one alert per kind and
 * market per window, and a count of the ones dropped in between.
 *
 * @module
 */
import type { SqlClient } from "../journal/sql-client.ts";
import type { AlertKind } from "./alerter.ts";

export interface RateGate {
  /** True when this alert may be sent. */
  send: boolean;
  /**
   * When `send` is true: the alerts dropped since the previous one sent,
   * for its text. When false: the dropped count including this alert.
   */
  suppressed: number;
}

export interface AlertRateLimiter {
  /** Claims the right to send one alert of `kind` for `market` at time `atMs`. */
  gate(kind: AlertKind, market: string | null, windowMs: number, atMs: number): Promise<RateGate>;
}

/** The limiter on the `alert_rate_limits` table, through `titan_alert_gate`. */
export class SqlAlertRateLimiter implements AlertRateLimiter {
  constructor(private readonly client: SqlClient) {}

  async gate(kind: AlertKind, market: string | null, windowMs: number, atMs: number) {
    const rows = await this.client.query<{ send: boolean; suppressed: number }>(
      "select send, suppressed from public.titan_alert_gate($1, $2, $3, $4::timestamptz)",
      [kind, market ?? "", Math.round(windowMs), new Date(atMs).toISOString()],
    );
    const row = rows[0];
    if (row === undefined) throw new Error("titan_alert_gate returned no row.");
    return { send: row.send, suppressed: Number(row.suppressed) };
  }
}
