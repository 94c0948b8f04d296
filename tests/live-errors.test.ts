import { afterEach, describe, expect, it } from "vitest";
import {
  AT_1215,
  type LiveHarness,
  risingCandles,
  rowsOf,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";

const INTERVAL = 15 * 60 * 1000;
const FAST = {
  TITAN_EXCHANGE_TIMEOUT_MS: "1000",
  TITAN_LATENCY_BUDGET_MS: "800",
  TITAN_CYCLE_DEADLINE_MS: "8000",
  TITAN_RETRY_BACKOFF_MS: "10",
};
const NONCE = "EAPI:Invalid nonce";
const TOO_MANY = "EGeneral:Too many requests";

let harness: LiveHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function start(): Promise<LiveHarness> {
  harness = await startLiveHarness({
    candles: risingCandles(SLOT_1215, 40_000, 2),
    now: AT_1215,
    env: FAST,
  });
  return harness;
}

function count(h: LiveHarness, endpoint: string): number {
  return h.sim.requests.filter((r) => r.endpoint === endpoint || r.path.endsWith(`/${endpoint}`))
    .length;
}

async function orderStatuses(h: LiveHarness): Promise<unknown[]> {
  return (await rowsOf(h.client, "orders", "order by id")).map((row) => row.status);
}

describe("C04 invalid nonce", () => {
  it("retries a private call once", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "error", errors: [NONCE], endpoint: "BalanceEx", count: 1 });
    const result = await h.runAt(AT_1215);
    expect(result.outcome).toBe("completed");
    expect(count(h, "BalanceEx")).toBe(2);
  });

  it("aborts NONCE_ERROR after one retry", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "error", errors: [NONCE], endpoint: "BalanceEx" });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("NONCE_ERROR");
    expect(count(h, "BalanceEx")).toBe(2);
    expect(result.payload?.abort?.details.kind).toBe("nonce");
    expect(result.payload?.abort?.details.attempts).toBe(2);
    expect(count(h, "AddOrder")).toBe(0);
  });

  it("resends AddOrder only after a lookup", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "error", errors: [NONCE], endpoint: "AddOrder", count: 1 });
    const result = await h.runAt(AT_1215);
    const calls = h.sim.requests.filter((r) => r.endpoint !== undefined).map((r) => r.endpoint);
    expect(calls).toEqual([
      "BalanceEx",
      "AddOrder",
      "OpenOrders",
      "ClosedOrders",
      "AddOrder",
      "QueryOrders",
    ]);
    expect(h.sim.orders()).toHaveLength(1);
    expect(await orderStatuses(h)).toEqual(["filled"]);
    expect(result.outcome).toBe("completed");
  });
});

describe("C05 rate limit", () => {
  it("retries once after a backoff", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "error", errors: [TOO_MANY], endpoint: "BalanceEx", count: 1 });
    const result = await h.runAt(AT_1215);
    expect(result.outcome).toBe("completed");
    expect(count(h, "BalanceEx")).toBe(2);
  });

  it("aborts RATE_LIMITED without an order", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "error", errors: [TOO_MANY], endpoint: "BalanceEx" });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("RATE_LIMITED");
    expect(count(h, "BalanceEx")).toBe(2);
    expect(count(h, "AddOrder")).toBe(0);
    expect(await orderStatuses(h)).toEqual([]);
  });

  it("rejects an order refused twice", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "error", errors: [TOO_MANY], endpoint: "AddOrder" });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("RATE_LIMITED");
    expect(count(h, "AddOrder")).toBe(2);
    expect(count(h, "OpenOrders")).toBe(2);
    expect(h.sim.orders()).toEqual([]);
    expect(await orderStatuses(h)).toEqual(["rejected"]);
  });

  it("makes a small, bounded number of calls", async () => {
    const h = await start();
    await h.runAt(AT_1215);
    const first = h.sim.requests.map((r) => r.endpoint ?? r.path.split("/").pop());
    expect(first.length).toBeLessThanOrEqual(8);
    await h.runAt(AT_1215 + INTERVAL);
    const markets = h.sim.requests.filter((r) => r.path.endsWith("/AssetPairs"));
    expect(markets).toHaveLength(1);
    expect(h.sim.requests.length - first.length).toBeLessThanOrEqual(5);
  });
});

describe("C06 outage page", () => {
  it("aborts before any order on a private call", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "html", status: 520, endpoint: "BalanceEx" });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("EXCHANGE_UNAVAILABLE");
    const details = result.payload?.abort?.details ?? {};
    expect(details.http_status).toBe(520);
    expect(String(details.body_start)).toMatch(/^<!DOCTYPE html>|^<html/i);
    expect(count(h, "AddOrder")).toBe(0);
  });

  it("never resends an order after a 520", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "html", status: 520, endpoint: "AddOrder" });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("ORDER_UNKNOWN");
    expect(count(h, "AddOrder")).toBe(1);
    expect(result.payload?.abort?.details.http_status).toBe(520);
    expect(await orderStatuses(h)).toEqual(["unknown"]);
  });

  it("aborts API_LAG on a slow private reply", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "latency", ms: 900, endpoint: "BalanceEx" });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("API_LAG");
    expect(Number(result.payload?.abort?.details.latency_ms)).toBeGreaterThanOrEqual(900);
  });
});

describe("failed market load", () => {
  it("is tried again by the next cycle", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "html", status: 520, endpoint: "AssetPairs", count: 1 });
    const first = await h.runAt(AT_1215);
    const second = await h.runAt(AT_1215 + INTERVAL);
    expect(first.abortReason).toBe("EXCHANGE_UNAVAILABLE");
    expect(second.outcome).toBe("completed");
    expect(count(h, "AssetPairs")).toBe(2);
  });
});

describe("insufficient funds", () => {
  it("rejects the order without a lookup", async () => {
    const h = await start();
    const funds = "EOrder:Insufficient funds";
    h.sim.injectFault({ kind: "error", errors: [funds], endpoint: "AddOrder" });
    const result = await h.runAt(AT_1215);
    expect(result.abortReason).toBe("INSUFFICIENT_FUNDS");
    expect(count(h, "AddOrder")).toBe(1);
    expect(count(h, "OpenOrders")).toBe(0);
    const [row] = await rowsOf(h.client, "orders");
    expect(row?.status).toBe("rejected");
    expect(String(row?.status_reason)).toContain(funds);
  });
});
