/**
 * The LIVE order records: each order's way from intent to a final state,
 * and the cycles a dead process left running. `sql-live-store.ts`
 * implements it on the `titan_live_order_*` and `titan_mark_incomplete`
 * functions.
 *
 * @module
 */
import type { CycleStatus, Side } from "../journal/journal.ts";

/** Order statuses, as the orders table's CHECK lists them. */
export type OrderStatus =
  | "intent"
  | "sent"
  | "open"
  | "partially_filled"
  | "filled"
  | "canceled"
  | "rejected"
  | "unknown"
  | "orphaned";

/** Statuses of an order whose outcome is not settled yet. */
export const UNRESOLVED_STATUSES: readonly OrderStatus[] = [
  "intent",
  "sent",
  "open",
  "partially_filled",
  "unknown",
];

/** A LIVE market order about to be sent, written first. */
export interface OrderIntent {
  cycleId: string;
  market: string;
  base: string;
  quote: string;
  side: Side;
  clientOrderId: string;
  userref: number;
  /** Base amount. */
  amount: number;
  /** The reference price sizing used, in the quote currency. */
  price: number;
  at: number;
}

/** A LIVE order as stored, with the state of its cycle. */
export interface LiveOrder {
  id: number;
  cycleId: string;
  market: string;
  side: Side;
  status: OrderStatus;
  clientOrderId: string;
  userref: number;
  exchangeOrderId: string | null;
  requestedAmount: number;
  filledAmount: number;
  createdAt: number;
  sentAt: number | null;
  cycleStatus: CycleStatus;
}

/** An exchange report of an order, ready to record. */
export interface OrderReport {
  status: "open" | "partially_filled" | "filled" | "canceled";
  exchangeOrderId: string;
  filledAmount: number;
  cost: number;
  fee: number;
  averagePrice: number | null;
  /** The exchange's own status word, e.g. `closed`. */
  exchangeStatus: string;
  reason: string | null;
  /** The market's minimum order amount, below which a position is dust. */
  minAmount: number;
  at: number;
}

/** The order and the position after a report was recorded. */
export interface ReportResult {
  /** Base amount this report added to the position's count (0 when it was counted before). */
  appliedAmount: number;
  /** Net base amount of the market's LIVE fills. */
  positionAmount: number;
  dust: boolean;
}

/** A cycle found running past its deadline and marked incomplete. */
export interface IncompleteCycle {
  cycleId: string;
  attempt: number;
  startedAt: number;
  invocationId: string;
}

export interface LiveOrderStore {
  /**
   * Writes the intent and returns the order's id. Throws `CycleStateError`
   * when the cycle is no longer running.
   */
  writeIntent(intent: OrderIntent): Promise<number>;
  /** Marks an intent sent. Throws `CycleStateError` when the cycle stopped running. */
  markSent(orderId: number, at: number): Promise<void>;
  /** Records the exchange's report and moves the position by the fill not counted before. */
  recordReport(orderId: number, report: OrderReport): Promise<ReportResult>;
  /** Sets a status that carries no fill: unknown, orphaned, rejected, or canceled unsent. */
  markStatus(
    orderId: number,
    status: "unknown" | "orphaned" | "rejected" | "canceled",
    reason: string,
    at: number,
  ): Promise<void>;
  /** LIVE orders of `market` whose outcome is unresolved, oldest first. */
  unresolvedOrders(market: string): Promise<LiveOrder[]>;
  /** Marks the market's rows still running that started before `startedBefore` incomplete. */
  markIncomplete(market: string, startedBefore: number, at: number): Promise<IncompleteCycle[]>;
}
