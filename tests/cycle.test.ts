import { afterEach, describe, expect, it } from "vitest";
import { auditPayloadSchema } from "../shared/audit/payload.ts";
import { parseLog } from "../shared/blackbox/parse.ts";
import { loadConfig } from "../shared/config/config.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import {
  HAVE_DATA,
  INTERVAL,
  loadRealCandles,
  NO_DATA_MESSAGE,
  syntheticCandles,
} from "./helpers/candles.ts";
import { type Harness, startHarness } from "./helpers/cycle-harness.ts";

const SLOT_1215 = Date.UTC(2024, 0, 15, 12, 15); // 1705320900 s
const AT_1215 = SLOT_1215 + 5_000;
const REAL_SLOT = Date.UTC(2023, 5, 1, 12, 15);

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** 300 candles ending with the one that opened at 12:15 (still open at 12:15:05). */
function candlesUpTo1215(price = (i: number) => 42000 + i, missing: number[] = []) {
  const count = 300;
  return syntheticCandles({ start: SLOT_1215 - (count - 1) * INTERVAL, count, price, missing });
}

async function rows(h: Harness, table: string) {
  return h.client.query<Record<string, unknown>>(`select * from ${table}`);
}

describe.skipIf(!HAVE_DATA)("cycle on real candles", () => {
  it("completes on the embedded database", async () => {
    harness = await startHarness(loadRealCandles(), REAL_SLOT + 5_000, {}, "pglite");
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.outcome).toMatch(/^(completed|skipped)$/);
    const [row] = await rows(harness, "execution_logs");
    expect(row?.status).toBe(result.outcome);
  });

  it("completes with a valid payload and blackbox", async () => {
    harness = await startHarness(loadRealCandles(), REAL_SLOT + 5_000);
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.outcome).toMatch(/^(completed|skipped)$/);
    expect(result.decision).toMatch(/^(BUY|SELL|HOLD)$/);
    expect(result.cycleId).toBe("BTCUSD-20230601T1215Z");
    const [row] = await rows(harness, "execution_logs");
    expect(row?.status).toBe(result.outcome);
    expect(auditPayloadSchema.safeParse(row?.ai_audit_payload).success).toBe(true);
    expect(result.payload?.integrity.newest_closed).toBe("2023-06-01T12:00:00.000Z");
    expect(result.payload?.financials?.equity).toBeCloseTo(10_000, 0);
    const text = harness.sink.files.get(String(row?.blackbox_path));
    const events = parseLog(text ?? "").map((line) => (line.ok ? line.event : "UNPARSED"));
    expect(events).toEqual(["CYCLE START", "CLOCK", "CANDLES", "EQUITY", "SIGNAL", ...tradeEvents(result.decision), "CYCLE END"]);
  });
});
if (!HAVE_DATA) it.skip(NO_DATA_MESSAGE, () => {});

function tradeEvents(decision: string | null): string[] {
  return decision === "HOLD" ? [] : [decision === "BUY" ? "BUY" : "SELL"];
}

describe("cycle field cases", () => {
  it("C01 drops the open candle by timestamp", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.outcome).not.toBe("aborted");
    expect(result.payload?.integrity.dropped_open).toEqual(["2024-01-15T12:15:00.000Z"]);
    expect(result.payload?.integrity.newest_closed).toBe("2024-01-15T12:00:00.000Z");
  });

  it("C02 aborts with too little history", async () => {
    const few = syntheticCandles({ start: SLOT_1215 - 59 * INTERVAL, count: 60, price: (i) => 42000 + i });
    harness = await startHarness(few, AT_1215);
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("INSUFFICIENT_HISTORY");
    expect(() => loadConfig({ TITAN_STRATEGY_PARAMS: '{"slowPeriod":800}' })).toThrow(/719|720/);
  });

  it("C03 aborts for a gap and lists it", async () => {
    const missing = [SLOT_1215 - 2 * INTERVAL]; // 11:45
    harness = await startHarness(candlesUpTo1215(undefined, missing), AT_1215);
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("DATA_GAP");
    expect(result.payload?.integrity.missing).toEqual(["2024-01-15T11:45:00.000Z"]);
    expect(await rows(harness, "orders")).toEqual([]);
  });

  it("C03 aborts when the newest candle is missing", async () => {
    harness = await startHarness(candlesUpTo1215(undefined, [SLOT_1215 - INTERVAL]), AT_1215);
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("STALE_DATA");
  });

  it("C06 aborts on a CDN error page", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    harness.sim.injectFault({ kind: "html", status: 520, endpoint: "OHLC" });
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("EXCHANGE_UNAVAILABLE");
    const details = result.payload?.abort?.details ?? {};
    expect(details.http_status).toBe(520);
    expect(String(details.body_start)).toMatch(/^<!DOCTYPE html>|^<html/i);
    expect(await rows(harness, "orders")).toEqual([]);
  });

  it("C06 aborts API_LAG over the latency budget", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    harness.sim.injectFault({ kind: "latency", ms: 1_700, endpoint: "Ticker" });
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("API_LAG");
    expect(Number(result.payload?.abort?.details.latency_ms)).toBeGreaterThanOrEqual(1_700);
  });

  it("C12 lets one of two concurrent requests claim", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    const [a, b] = await Promise.all([
      runCycle(harness.deps(), { market: "BTC/USD" }),
      runCycle(harness.deps(), { market: "BTC/USD" }),
    ]);
    const outcomes = [a.outcome, b.outcome];
    expect(outcomes.filter((o) => o === "already_ran")).toHaveLength(1);
    expect(await rows(harness, "execution_logs")).toHaveLength(1);
    const timeCalls = harness.sim.requests.filter((r) => r.path.endsWith("/Time"));
    expect(timeCalls).toHaveLength(1);
  });

  it("C12 aborts a request that arrives too late", async () => {
    harness = await startHarness(candlesUpTo1215(), Date.UTC(2024, 0, 15, 12, 27, 40));
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("STALE_SLOT");
    expect(harness.sim.requests).toEqual([]);
  });

  it("aborts TIMESTAMP_MISMATCH on a clock offset", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    harness.sim.injectFault({ kind: "clock_offset", ms: 3_200, endpoint: "Time" });
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("TIMESTAMP_MISMATCH");
    expect(result.payload?.integrity.clock_skew_ms).toBeGreaterThan(2_000);
  });

  it("aborts KILL_SWITCH without an exchange call", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    await harness.client.query("update system_state set halted = true, halted_by = 'test', halt_reason = 'drill', halted_at = now()");
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("KILL_SWITCH");
    expect(harness.sim.requests).toEqual([]);
  });

  it("C13 ends a hung call within its own timeout", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    harness.sim.injectFault({ kind: "hang", endpoint: "OHLC" });
    const started = performance.now();
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(performance.now() - started).toBeLessThan(3_000 + 1_500);
    expect(result.abortReason).toBe("API_LAG");
    const [row] = await rows(harness, "execution_logs");
    expect(row?.status).toBe("aborted");
  });

  it("keeps the outcome when the blackbox upload fails", async () => {
    harness = await startHarness(candlesUpTo1215(), AT_1215);
    harness.sink.failWith = "storage is down";
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.outcome).not.toBe("crashed");
    const [row] = await rows(harness, "execution_logs");
    expect(row?.blackbox_error).toBe("storage is down");
    expect(row?.status).toBe(result.outcome);
  });

  it("buys in an uptrend at the ask, not the close", async () => {
    harness = await startHarness(candlesUpTo1215((i) => 40000 + i * 10), AT_1215);
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.decision).toBe("BUY");
    expect(result.fill?.side).toBe("buy");
    const ask = result.payload?.verdict?.order_request?.price ?? 0;
    expect(result.fill?.price).toBeGreaterThan(42980);
    expect(ask).toBeGreaterThan(0);
    const orders = await rows(harness, "orders");
    expect(orders).toHaveLength(1);
    expect(orders[0]?.client_order_id).toBe(result.cycleId);
  });

  it("C07 skips a buy below the minimum without placing it", async () => {
    const eur = { XXBTZEUR: candlesUpTo1215((i) => 39000 + i * 10) };
    harness = await startHarness(eur, AT_1215, {
      TITAN_MARKETS: "BTC/EUR",
      TITAN_PAPER_START_BALANCES: "EUR=3.50",
      TITAN_RISK_PARAMS: '{"entryFraction":1}',
    });
    const result = await runCycle(harness.deps(), { market: "BTC/EUR" });
    expect(result.decision).toBe("BUY");
    expect(result.outcome).toBe("skipped");
    expect(result.payload?.verdict?.order_outcome.reason).toBe("BELOW_MIN_AMOUNT");
    expect(await rows(harness, "orders")).toEqual([]);
  });
});
