import { afterEach, describe, expect, it } from "vitest";
import { parseLog } from "../shared/blackbox/parse.ts";
import { flattenCycleId, flattenPaperPosition } from "../shared/cycle/flatten.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";
import { type Harness, startHarness } from "./helpers/cycle-harness.ts";

const SLOT = Date.UTC(2024, 0, 15, 12, 15);
const NOW = SLOT + 5_000;
const HOLDING = { TITAN_PAPER_START_BALANCES: "USD=1000,BTC=0.5" };

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** 300 candles whose last one opens at the slot; `step` > 0 is an uptrend (BUY). */
function trend(step: number) {
  const count = 300;
  return syntheticCandles({
    start: SLOT - (count - 1) * INTERVAL,
    count,
    price: (i) => 42000 + i * step,
  });
}

async function halt(h: Harness, mode: string) {
  await h.client.query("select * from titan_halt('test', 'drill', $1)", [mode]);
}

async function rows(h: Harness, table: string) {
  return h.client.query<Record<string, unknown>>(`select * from ${table}`);
}

describe("kill switch stop-entries", () => {
  it("skips a BUY with ENTRIES_STOPPED", async () => {
    harness = await startHarness(trend(10), NOW);
    await halt(harness, "stop-entries");
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.decision).toBe("BUY");
    expect(result.outcome).toBe("skipped");
    expect(result.payload?.verdict?.order_outcome.reason).toBe("ENTRIES_STOPPED");
    expect(await rows(harness, "orders")).toEqual([]);
  });

  it("logs ENTRIES STOPPED in the blackbox", async () => {
    harness = await startHarness(trend(10), NOW);
    await halt(harness, "stop-entries");
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    const text = harness.sink.files.get(result.blackboxPath ?? "") ?? "";
    const events = parseLog(text).map((line) => (line.ok ? line.event : "UNPARSED"));
    expect(events).toContain("ENTRIES STOPPED");
  });

  it("still fills a SELL", async () => {
    harness = await startHarness(trend(-10), NOW, HOLDING);
    await halt(harness, "stop-entries");
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.decision).toBe("SELL");
    expect(result.outcome).toBe("completed");
    expect(result.fill?.side).toBe("sell");
  });
});

describe("kill switch halt and flatten modes", () => {
  it("halt aborts before any exchange call", async () => {
    harness = await startHarness(trend(10), NOW);
    await halt(harness, "halt");
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("KILL_SWITCH");
    expect(result.payload?.abort?.details.halt_mode).toBe("halt");
    expect(harness.sim.requests).toEqual([]);
  });

  it("flatten mode aborts like halt", async () => {
    harness = await startHarness(trend(10), NOW);
    await halt(harness, "flatten");
    const result = await runCycle(harness.deps(), { market: "BTC/USD" });
    expect(result.abortReason).toBe("KILL_SWITCH");
  });
});

describe("flattenPaperPosition", () => {
  it("sells the whole position at the bid", async () => {
    harness = await startHarness(trend(10), NOW, HOLDING);
    const deps = harness.deps({ invocationId: "a1b2c3d4-0000" });
    const outcome = await flattenPaperPosition(deps, "BTC/USD", "breach drill");
    expect(outcome.status).toBe("sold");
    if (outcome.status !== "sold") return;
    expect(outcome.cycleId).toBe("BTCUSD-20240115T1215Z-FLATTEN-a1b2c3d4");
    expect(outcome.fill.amount).toBe(0.5);
    const quote = await deps.exchange.fetchQuote("BTC/USD");
    expect(outcome.fill.price).toBeLessThanOrEqual(quote.bid);
    const balances = await harness.journal.readPaperBalances({});
    expect(balances.BTC).toBe(0);
  });

  it("records a finished SELL row and its order", async () => {
    harness = await startHarness(trend(10), NOW, HOLDING);
    await flattenPaperPosition(harness.deps({ invocationId: "a1b2c3d4" }), "BTC/USD", "drill");
    const [row] = await rows(harness, "execution_logs");
    expect(row?.status).toBe("completed");
    expect(row?.decision).toBe("SELL");
    const orders = await rows(harness, "orders");
    expect(orders).toHaveLength(1);
    expect(orders[0]?.side).toBe("sell");
    expect(harness.sink.files.has(String(row?.blackbox_path))).toBe(true);
  });

  it("does nothing without a position", async () => {
    harness = await startHarness(trend(10), NOW);
    const outcome = await flattenPaperPosition(harness.deps(), "BTC/USD", "drill");
    expect(outcome.status).toBe("no_position");
    expect(await rows(harness, "execution_logs")).toEqual([]);
  });

  it("ids never take the slot's cycle id", () => {
    expect(flattenCycleId("BTC/USD", SLOT, "--")).toBe("BTCUSD-20240115T1215Z-FLATTEN-manual");
  });
});
