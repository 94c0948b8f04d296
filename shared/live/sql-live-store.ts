/**
 * `LiveOrderStore` on a SqlClient. Writes go through the `titan_live_order_*`
 * and `titan_mark_incomplete` functions, so Postgres and PGlite enforce the
 * same rules in the same statements.
 *
 * @module
 */
import { CycleStateError } from "../journal/errors.ts";
import type { CycleStatus, Side } from "../journal/journal.ts";
import { type SqlClient, SqlError } from "../journal/sql-client.ts";
import {
  type IncompleteCycle,
  type LiveOrder,
  type LiveOrderStore,
  type OrderIntent,
  type OrderReport,
  type OrderStatus,
  type ReportResult,
  UNRESOLVED_STATUSES,
} from "./live-store.ts";

const UNRESOLVED_LIST = UNRESOLVED_STATUSES.map((status) => `'${status}'`).join(", ");

/** SQLSTATE the functions raise when the cycle or order is in the wrong state. */
const NOT_IN_PREREQUISITE_STATE = "55000";

interface OrderRow {
  id: string;
  cycle_id: string;
  market: string;
  side: Side;
  status: OrderStatus;
  client_order_id: string;
  userref: number;
  exchange_order_id: string | null;
  requested_amount: string;
  filled_amount: string;
  created_at: Date;
  sent_at: Date | null;
  cycle_status: CycleStatus;
}

interface ReportRow {
  applied_amount: string;
  position_amount: string;
  dust: boolean;
}

export class SqlLiveOrderStore implements LiveOrderStore {
  constructor(private readonly client: SqlClient) {}

  async writeIntent(intent: OrderIntent): Promise<number> {
    const rows = await stateErrors(() =>
      this.client.query<{ id: string }>(
        "select public.titan_live_order_intent(" +
          "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz) as id",
        [
          intent.cycleId,
          intent.market,
          intent.base,
          intent.quote,
          intent.side,
          intent.clientOrderId,
          intent.userref,
          intent.amount,
          intent.price,
          iso(intent.at),
        ],
      )
    );
    return Number(rows[0]?.id);
  }

  async markSent(orderId: number, at: number): Promise<void> {
    await stateErrors(() =>
      this.client.query("select public.titan_live_order_sent($1, $2::timestamptz)", [
        orderId,
        iso(at),
      ])
    );
  }

  async recordReport(orderId: number, report: OrderReport): Promise<ReportResult> {
    const rows = await this.client.query<ReportRow>(
      "select applied_amount, position_amount, dust from public.titan_live_order_apply(" +
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz)",
      [
        orderId,
        report.status,
        report.exchangeOrderId,
        report.filledAmount,
        report.cost,
        report.fee,
        report.averagePrice,
        report.exchangeStatus,
        report.reason,
        report.minAmount,
        iso(report.at),
      ],
    );
    const row = rows[0];
    return {
      appliedAmount: Number(row?.applied_amount ?? 0),
      positionAmount: Number(row?.position_amount ?? 0),
      dust: row?.dust ?? false,
    };
  }

  async markStatus(
    orderId: number,
    status: "unknown" | "orphaned" | "rejected" | "canceled",
    reason: string,
    at: number,
  ): Promise<void> {
    await this.client.query("select public.titan_live_order_mark($1, $2, $3, $4::timestamptz)", [
      orderId,
      status,
      reason,
      iso(at),
    ]);
  }

  async unresolvedOrders(market: string): Promise<LiveOrder[]> {
    const rows = await this.client.query<OrderRow>(
      "select o.id, o.cycle_id, o.market, o.side, o.status, o.client_order_id, o.userref, " +
        "o.exchange_order_id, o.requested_amount, o.filled_amount, o.created_at, o.sent_at, " +
        "e.status as cycle_status " +
        "from public.orders o join public.execution_logs e on e.cycle_id = o.cycle_id " +
        `where o.market = $1 and o.mode = 'LIVE' and o.status in (${UNRESOLVED_LIST}) ` +
        "order by o.created_at, o.id",
      [market],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      cycleId: row.cycle_id,
      market: row.market,
      side: row.side,
      status: row.status,
      clientOrderId: row.client_order_id,
      userref: row.userref,
      exchangeOrderId: row.exchange_order_id,
      requestedAmount: Number(row.requested_amount),
      filledAmount: Number(row.filled_amount),
      createdAt: row.created_at.getTime(),
      sentAt: row.sent_at === null ? null : row.sent_at.getTime(),
      cycleStatus: row.cycle_status,
    }));
  }

  async markIncomplete(market: string, startedBefore: number, at: number) {
    const rows = await this.client.query<{
      cycle_id: string;
      attempt: number;
      started_at: Date;
      invocation_id: string;
    }>(
      "select cycle_id, attempt, started_at, invocation_id " +
        "from public.titan_mark_incomplete($1, $2::timestamptz, $3::timestamptz)",
      [market, iso(startedBefore), iso(at)],
    );
    return rows.map((row): IncompleteCycle => ({
      cycleId: row.cycle_id,
      attempt: row.attempt,
      startedAt: row.started_at.getTime(),
      invocationId: row.invocation_id,
    }));
  }
}

/** Runs a write; a cycle or order in the wrong state becomes a `CycleStateError`. */
async function stateErrors<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof SqlError && error.code === NOT_IN_PREREQUISITE_STATE) {
      throw new CycleStateError(error.message, { cause: error });
    }
    throw error;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
