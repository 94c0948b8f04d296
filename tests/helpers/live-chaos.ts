/**
 * One chaos case: a fault injected at one exchange call of a LIVE cycle,
 * then two more cycles without faults that reconcile what the first left.
 * Returns what the invariants need: the simulator's orders and balance, the
 * database's orders and position, and every record the run left, to search
 * for the API key and secret.
 *
 * @module
 */
import { expect } from "vitest";
import type { CycleResult } from "../../shared/cycle/context.ts";
import type { FaultRule } from "../../simulator/faults.ts";
import type { OrderSnapshot } from "../../simulator/private-order-shape.ts";
import { AT_1215, risingCandles, SLOT_1215, startLiveHarness } from "./live-harness.ts";

const INTERVAL = 15 * 60 * 1000;

/** The faults of the chaos run, by name. */
export const CHAOS_FAULTS = {
  nonce: { kind: "error", errors: ["EAPI:Invalid nonce"] },
  rate_limit: { kind: "error", errors: ["EGeneral:Too many requests"] },
  funds: { kind: "error", errors: ["EOrder:Insufficient funds"] },
  html_520: { kind: "html", status: 520 },
  drop_reply: { kind: "drop_reply" },
  hang: { kind: "hang" },
} as const satisfies Record<string, FaultRule>;

export type ChaosFault = keyof typeof CHAOS_FAULTS;

/** Every exchange call a LIVE cycle can make, public and private. */
export const CHAOS_ENDPOINTS = [
  "Time",
  "Assets",
  "AssetPairs",
  "OHLC",
  "Ticker",
  "BalanceEx",
  "AddOrder",
  "QueryOrders",
  "OpenOrders",
  "ClosedOrders",
] as const;

/** Small timeouts, so a hung call costs 0.4 s of real time. */
const CHAOS_ENV = {
  TITAN_EXCHANGE_TIMEOUT_MS: "400",
  TITAN_LATENCY_BUDGET_MS: "300",
  TITAN_CYCLE_DEADLINE_MS: "6000",
  TITAN_RETRY_BACKOFF_MS: "10",
  TITAN_RISK_PARAMS: '{"maxOrderCost":1000}',
};

export interface DbOrder {
  status: string;
  client_order_id: string;
  exchange_order_id: string | null;
  filled_amount: string;
}

export interface ChaosReport {
  results: CycleResult[];
  simOrders: OrderSnapshot[];
  /** The simulator's BTC balance; the account starts with none. */
  simBtc: number;
  dbOrders: DbOrder[];
  /** live_positions.amount of BTC/USD, 0 without a row. */
  dbPosition: number;
  /** Every table, blackbox file, request log entry, alert and result, as text. */
  records: string[];
  apiKey: string;
  apiSecret: string;
}

/**
 * Runs the cycles of 12:15 (with `fault` at `endpoint`, twice), 12:30 and
 * 12:45. A fault at OpenOrders or ClosedOrders also drops the first
 * AddOrder reply, because only a lookup calls them.
 */
export async function runChaosCase(fault: ChaosFault, endpoint: string): Promise<ChaosReport> {
  const h = await startLiveHarness({
    candles: risingCandles(SLOT_1215, 40_000, 3),
    now: AT_1215,
    env: CHAOS_ENV,
  });
  try {
    h.sim.injectFault({ ...CHAOS_FAULTS[fault], endpoint, count: 2 } as FaultRule);
    if (endpoint === "OpenOrders" || endpoint === "ClosedOrders") {
      h.sim.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    }
    const results = [await h.runAt(AT_1215)];
    h.sim.clearFaults();
    results.push(await h.runAt(AT_1215 + INTERVAL));
    results.push(await h.runAt(AT_1215 + 2 * INTERVAL));

    const dbOrders = await h.client.query<DbOrder>(
      "select status, client_order_id, exchange_order_id, filled_amount from orders order by id",
    );
    const [position] = await h.client.query<{ amount: string }>(
      "select amount from live_positions where market = 'BTC/USD'",
    );
    return {
      results,
      simOrders: h.sim.orders(),
      simBtc: Number(h.sim.balances().XXBT ?? 0),
      dbOrders,
      dbPosition: Number(position?.amount ?? 0),
      records: await allRecords(h, results),
      apiKey: h.sim.credentials.apiKey,
      apiSecret: h.sim.credentials.apiSecret,
    };
  } finally {
    await h.close();
  }
}

/** Collects every row of every table as text, plus the logs, requests, alerts and results. */
async function allRecords(
  h: Awaited<ReturnType<typeof startLiveHarness>>,
  results: CycleResult[],
): Promise<string[]> {
  const tables = await h.client.query<{ name: string }>(
    "select table_name as name from information_schema.tables " +
      "where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
  );
  const records: string[] = [];
  for (const { name } of tables) {
    const rows = await h.client.query<{ row: string }>(`select t::text as row from public.${name} t`);
    records.push(...rows.map((r) => `${name}: ${r.row}`));
  }
  records.push(...h.sink.files.values());
  records.push(JSON.stringify(h.sim.requests));
  records.push(JSON.stringify(h.alerts));
  records.push(...results.map((result) => JSON.stringify(result)));
  return records;
}

const UNRESOLVED = ["intent", "sent", "open", "partially_filled", "unknown"];

/**
 * Checks the invariants of a chaos case, each with its own assertion. There
 * is at most one exchange order per intent and a row for every exchange
 * order. The database and the exchange hold the same position, and nothing is
 * left unresolved. The last cycle trades again, or stays halted after an
 * orphaned order. No record contains the API key or secret.
 */
export function expectInvariants(report: ChaosReport): void {
  for (const order of report.dbOrders) {
    const placed = report.simOrders.filter((o) => o.clOrdId === order.client_order_id);
    expect(placed.length, `exchange orders of intent ${order.client_order_id}`).toBeLessThanOrEqual(1);
  }
  for (const order of report.simOrders) {
    const rows = report.dbOrders.filter((row) => row.exchange_order_id === order.txid);
    expect(rows.length, `rows of exchange order ${order.txid}`).toBe(1);
  }
  expect(Math.abs(report.dbPosition - report.simBtc), "position gap").toBeLessThan(1e-9);
  const unresolved = report.dbOrders.filter((row) => UNRESOLVED.includes(row.status));
  expect(unresolved, "orders left unresolved").toEqual([]);
  const last = report.results.at(-1);
  const recovered = last?.outcome === "completed" || last?.outcome === "skipped" ||
    last?.abortReason === "MARKET_HALTED";
  expect(recovered, `last cycle ${last?.outcome} ${last?.abortReason}`).toBe(true);
  const leaked = report.records.filter((text) =>
    text.includes(report.apiKey) || text.includes(report.apiSecret)
  );
  expect(leaked, "records that contain the API key or secret").toEqual([]);
}
