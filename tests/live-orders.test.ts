import { afterEach, describe, expect, it } from "vitest";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import {
  AT_1215,
  fallingCandles,
  type LiveHarness,
  type LiveHarnessOptions,
  privateCalls,
  risingCandles,
  rowsOf,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";

const INTERVAL = 15 * 60 * 1000;
const AT_1230 = AT_1215 + INTERVAL;
const AT_1245 = AT_1230 + INTERVAL;
/** Short timeouts, so a hung or dropped reply costs one second. */
const FAST = {
  TITAN_EXCHANGE_TIMEOUT_MS: "1000",
  TITAN_LATENCY_BUDGET_MS: "800",
  TITAN_CYCLE_DEADLINE_MS: "8000",
  TITAN_RETRY_BACKOFF_MS: "10",
};
/** A buy of exactly 0.01 BTC at 40000.0: cost 400, no spread. */
const ORDER_OF_400 = { TITAN_RISK_PARAMS: '{"maxOrderCost":400}' };

let harness: LiveHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function start(options: Partial<LiveHarnessOptions> = {}): Promise<LiveHarness> {
  harness = await startLiveHarness({
    candles: risingCandles(SLOT_1215, 40_000, 3),
    now: AT_1215,
    ...options,
    env: { ...FAST, ...options.env },
    sim: { spreadBps: 0, ...options.sim },
  });
  return harness;
}

async function orders(h: LiveHarness) {
  return rowsOf(h.client, "orders", "order by id");
}

async function position(h: LiveHarness, market = "BTC/USD") {
  const [row] = await h.client.query<Record<string, string | boolean>>(
    "select * from live_positions where market = $1",
    [market],
  );
  return row;
}

function requestsFor(h: LiveHarness, endpoint: string) {
  return h.sim.requests.filter((r) => r.endpoint === endpoint);
}

describe("write-ahead order", () => {
  it("is sent only after its intent is stored", async () => {
    const seen: Promise<Record<string, unknown>[]>[] = [];
    const h = await start({
      sim: {
        onRequest: (request) => {
          if (request.endpoint !== "AddOrder") return;
          seen.push(harness!.client.query("select status, userref, client_order_id from orders"));
        },
      },
    });
    // With the reply dropped, the row keeps its state at send time for a whole timeout.
    h.sim.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    const result = await h.runAt(AT_1215);
    expect(result.decision).toBe("BUY");
    const [atSend] = await Promise.all(seen);
    expect(atSend).toHaveLength(1);
    expect(atSend?.[0]?.status).toBe("sent");
    expect(atSend?.[0]?.userref).toBe(1894801);
  });

  it("records the txid, fill and reference once", async () => {
    const h = await start();
    const result = await h.runAt(AT_1215);
    const [simOrder] = h.sim.orders();
    const [row] = await orders(h);
    expect(result.outcome).toBe("completed");
    expect(row?.exchange_order_id).toBe(simOrder?.txid);
    expect(row?.client_order_id).toBe(simOrder?.clOrdId);
    expect(row?.status).toBe("filled");
    expect(Number(row?.filled_amount)).toBe(simOrder?.volumeExecuted);
    expect(simOrder?.userref).toBe(1894801);
    expect(Number((await position(h))?.amount)).toBe(simOrder?.volumeExecuted);
    expect(result.fill?.amount).toBe(simOrder?.volumeExecuted);
  });
});

describe("C09 lost AddOrder reply", () => {
  it("recovers the order from OpenOrders by userref", async () => {
    const h = await start({ env: ORDER_OF_400 });
    h.sim.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    h.sim.injectFault({ kind: "partial_fill", fraction: 0.5, remainder: "rest", count: 1 });
    const result = await h.runAt(AT_1215);
    expect(requestsFor(h, "AddOrder")).toHaveLength(1);
    expect(h.sim.orders()).toHaveLength(1);
    expect(requestsFor(h, "OpenOrders")[0]?.userref).toBe("1894801");
    const [row] = await orders(h);
    expect(row?.status).toBe("partially_filled");
    expect(row?.exchange_order_id).toBe(h.sim.orders()[0]?.txid);
    expect(Number(row?.filled_amount)).toBe(0.005);
    expect(result.payload?.verdict?.order_outcome.status).toBe("partially_filled");
  });

  it("marks an order found nowhere unknown and never resends it", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "hang", endpoint: "AddOrder", count: 1 });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("ORDER_UNKNOWN");
    expect(requestsFor(h, "AddOrder")).toHaveLength(1);
    expect(requestsFor(h, "OpenOrders")).toHaveLength(1);
    expect(requestsFor(h, "ClosedOrders")).toHaveLength(1);
    expect(h.sim.orders()).toEqual([]);
    const [row] = await orders(h);
    expect(row?.status).toBe("unknown");
  });

  it("reconciles first in the next cycle", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "hang", endpoint: "AddOrder", count: 1 });
    await h.runAt(AT_1215);
    const before = h.sim.requests.length;
    const next = await h.runAt(AT_1230);
    const calls = h.sim.requests.slice(before);
    const privateOnes = calls.filter((r) => r.endpoint !== undefined);
    expect(privateOnes.map((r) => r.endpoint)).toEqual(["OpenOrders", "ClosedOrders"]);
    expect(privateOnes.map((r) => r.userref)).toEqual(["1894801", "1894801"]);
    expect(calls.map((r) => r.path)).not.toContain("/0/public/Time");
    expect(next.abortReason).toBe("MARKET_HALTED");
    const [row] = await orders(h);
    expect(row?.status).toBe("orphaned");
  });

  it("keeps an order unknown inside its grace period", async () => {
    const h = await start({ env: { TITAN_ORDER_GRACE_MS: String(3_600_000) } });
    h.sim.injectFault({ kind: "hang", endpoint: "AddOrder", count: 1 });
    await h.runAt(AT_1215);
    const next = await h.runAt(AT_1230);
    expect(next.abortReason).toBe("ORDER_UNKNOWN");
    expect(requestsFor(h, "AddOrder")).toHaveLength(1);
    expect((await orders(h))[0]?.status).toBe("unknown");
  });
});

describe("orphaned order", () => {
  it("halts the market and raises an alert", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "hang", endpoint: "AddOrder", count: 1 });
    await h.runAt(AT_1215);
    await h.runAt(AT_1230);
    const halt = await h.protections.readHalt("BTC/USD");
    expect(halt?.reason).toBe("ORDER_ORPHANED");
    expect(h.alerts.map((a) => a.kind)).toContain("orphaned_order");
    const before = h.sim.requests.length;
    const third = await h.runAt(AT_1245);
    expect(third.abortReason).toBe("MARKET_HALTED");
    expect(h.sim.requests.slice(before)).toEqual([]);
  });
});

describe("C11 partly filled, then cancelled", () => {
  it("adds only the filled amount", async () => {
    const h = await start({ env: ORDER_OF_400 });
    h.sim.injectFault({ kind: "partial_fill", fraction: 0.4, count: 1 });
    const result = await h.runAt(AT_1215);
    const [row] = await orders(h);
    const held = await position(h);
    expect(row?.status).toBe("canceled");
    expect(Number(row?.requested_amount)).toBe(0.01);
    expect(Number(row?.filled_amount)).toBe(0.004);
    expect(Number(row?.cost)).toBe(160);
    expect(Number(row?.fee)).toBe(0.416);
    expect(Number(held?.amount)).toBe(0.004);
    expect(Number(held?.average_price)).toBe(40000);
    expect(Number(held?.fees_paid)).toBe(0.416);
    expect(result.fill?.amount).toBe(0.004);
  });

  it("counts a reconciled fill once", async () => {
    const h = await start({ env: ORDER_OF_400 });
    h.sim.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    h.sim.injectFault({ kind: "partial_fill", fraction: 0.4, count: 1 });
    await h.runAt(AT_1215);
    const [row] = await orders(h);
    const report = {
      status: "canceled" as const,
      exchangeOrderId: String(row?.exchange_order_id),
      filledAmount: 0.004,
      cost: 160,
      fee: 0.416,
      averagePrice: 40000,
      exchangeStatus: "canceled",
      reason: null,
      minAmount: 0.0001,
      at: AT_1230,
    };
    const again = await h.live.store.recordReport(Number(row?.id), report);
    expect(again.appliedAmount).toBe(0);
    expect(again.positionAmount).toBe(0.004);
    expect(Number((await position(h))?.fees_paid)).toBe(0.416);
  });

  it("records a fill below the minimum as dust", async () => {
    const h = await start({ env: ORDER_OF_400 });
    h.sim.injectFault({ kind: "partial_fill", fraction: 0.005, count: 1 });
    await h.runAt(AT_1215);
    const held = await position(h);
    expect(Number(held?.amount)).toBe(0.00005);
    expect(held?.dust).toBe(true);
  });

  it("keeps dust instead of selling it", async () => {
    const h = await start({
      candles: fallingCandles(SLOT_1215, 40_000, 1),
      balances: { ZUSD: "1000.0000", XXBT: "0.0000500000", "XBT.F": "0.0001000000" },
    });
    const result = await h.runAt(AT_1215);
    expect(result.decision).toBe("SELL");
    expect(result.payload?.verdict?.order_outcome.reason).toBe("DUST_POSITION");
    expect(requestsFor(h, "AddOrder")).toEqual([]);
  });
});

describe("C13 hung private call", () => {
  it("ends within its own timeout and writes the row", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "hang", endpoint: "BalanceEx" });
    const started = performance.now();
    const result = await h.runAt(AT_1215);
    expect(performance.now() - started).toBeLessThan(1_000 + 1_500);
    expect(result.abortReason).toBe("API_LAG");
    expect((await rowsOf(h.client, "execution_logs"))[0]?.status).toBe("aborted");
    expect(requestsFor(h, "AddOrder")).toEqual([]);
  });
});

describe("C14 process killed after AddOrder", () => {
  it("marks the row incomplete and reconciles it first", async () => {
    const h = await start();
    await seedStuckCycle(h);
    const next = await h.runAt(AT_1230);
    const calls = h.sim.requests.slice(1).map((r) => r.endpoint ?? r.path);
    expect(calls.indexOf("OpenOrders")).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf("OpenOrders")).toBeLessThan(calls.indexOf("/0/public/Time"));
    const [stuck] = await h.client.query<{ status: string }>(
      "select status from execution_logs where cycle_id = 'BTCUSD-20240115T1215Z'",
    );
    expect(stuck?.status).toBe("incomplete");
    const [row] = await orders(h);
    expect(row?.status).toBe("filled");
    expect(row?.exchange_order_id).toBe(h.sim.orders()[0]?.txid);
    expect(calls).not.toContain("AddOrder");
    expect(next.decision).toBe("HOLD");
  });

  it("aborts DEADLINE_EXCEEDED instead of placing late", async () => {
    const h = await start();
    const journal = Object.create(h.journal) as typeof h.journal;
    journal.lastEquity = (market, slot) => {
      h.clock.skip(8_000 - 500);
      return h.journal.lastEquity(market, slot);
    };
    const result = await runCycle(h.deps({ journal }), { market: "BTC/USD" });
    expect(result.decision).toBe("BUY");
    expect(result.abortReason).toBe("DEADLINE_EXCEEDED");
    expect(await orders(h)).toEqual([]);
    expect(requestsFor(h, "AddOrder")).toEqual([]);
  });
});

/**
 * Leaves what a process killed right after AddOrder leaves: the 12:15 row
 * running, its order sent without a txid, and the order filled on the
 * exchange, placed directly with the cycle's userref and cl_ord_id.
 */
async function seedStuckCycle(h: LiveHarness): Promise<void> {
  const clientOrderId = "7d1f0b5e-2c4a-8b6e-9f3d-5a7c9e1b3d5f";
  await h.client.query(
    "insert into execution_logs (cycle_id, market, slot, mode, status, invocation_id, " +
      "invoked_by, started_at) values ('BTCUSD-20240115T1215Z', 'BTC/USD', $1, 'LIVE', " +
      "'running', 'killed', 'test', $2)",
    [new Date(SLOT_1215).toISOString(), new Date(AT_1215).toISOString()],
  );
  await h.client.query(
    "insert into orders (cycle_id, market, mode, side, order_type, client_order_id, status, " +
      "userref, requested_amount, price, sent_at, created_at) values " +
      "('BTCUSD-20240115T1215Z', 'BTC/USD', 'LIVE', 'buy', 'market', $1, 'sent', 1894801, " +
      "0.01, 40000, $2, $2)",
    [clientOrderId, new Date(AT_1215).toISOString()],
  );
  await h.kraken.privatePostAddOrder({
    pair: "XXBTZUSD",
    type: "buy",
    ordertype: "market",
    volume: "0.01000000",
    userref: "1894801",
    cl_ord_id: clientOrderId,
  });
  expect(privateCalls(h.sim)).toEqual(["AddOrder"]);
}
