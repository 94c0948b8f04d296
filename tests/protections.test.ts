import { afterEach, describe, expect, it } from "vitest";
import { parseLog } from "../shared/blackbox/parse.ts";
import type { Env } from "../shared/config/config.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import { SqlProtectionStore } from "../shared/protections/sql-store.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";
import { type Harness, startHarness } from "./helpers/cycle-harness.ts";

const SLOT = Date.UTC(2024, 0, 15, 12, 15);
const AT = 5_000;
const MARKET = "BTC/USD";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/**
 * 300 candles up to four slots after SLOT. The quote of the cycle at slot T
 * is the close of the candle before T: `before` up to SLOT, `after` from it.
 */
function priceDrop(before: number, after: number) {
  const count = 300;
  const start = SLOT + 4 * INTERVAL - (count - 1) * INTERVAL;
  return syntheticCandles({
    start,
    count,
    price: (i) => (start + i * INTERVAL < SLOT ? before : after),
  });
}

/** 300 candles ending at the slot's open candle; `step` > 0 is an uptrend (BUY). */
function trend(step: number) {
  const count = 300;
  return syntheticCandles({ start: SLOT - (count - 1) * INTERVAL, count, price: (i) => 40000 + i * step });
}

async function start(candles: ReturnType<typeof trend>, env: Env) {
  harness = await startHarness(candles, SLOT + AT, env);
  return harness;
}

/** Runs the cycle of the slot `k` intervals after SLOT with the protection store. */
async function cycleAt(h: Harness, k: number) {
  h.clock.set(SLOT + k * INTERVAL + AT);
  h.sim.setClock(SLOT + k * INTERVAL + AT);
  return runCycle(h.deps({ protections: new SqlProtectionStore(h.client) }), { market: MARKET });
}

function protections(limits: Record<string, unknown>): Env {
  return { TITAN_PROTECTIONS: JSON.stringify({ default: limits }) };
}

async function haltRow(h: Harness) {
  const rows = await h.client.query<Record<string, unknown>>(
    "select * from market_halts where market = $1",
    [MARKET],
  );
  return rows[0];
}

function events(h: Harness, path: string | null) {
  return parseLog(h.sink.files.get(path ?? "") ?? "").flatMap((l) => (l.ok ? [l] : []));
}

const HOLDING = { TITAN_PAPER_START_BALANCES: "USD=1000,BTC=1" };

describe("max drawdown", () => {
  it("halts the market after a 33 % fall", async () => {
    const h = await start(priceDrop(42000, 28000), { ...HOLDING, ...protections({}) });
    expect((await cycleAt(h, 0)).outcome).not.toBe("aborted");
    const result = await cycleAt(h, 1);
    expect(result.abortReason).toBe("MARKET_HALTED");
    expect(result.payload?.abort?.details.halt_reason).toBe("MAX_DRAWDOWN");
    expect(result.payload?.abort?.details.limit).toBe(20);
    expect(Number(result.payload?.abort?.details.value)).toBeCloseTo(32.5, 0);
    expect(result.payload?.protections?.halt?.action).toBe("halted");
  });

  it("records the halt with its values", async () => {
    const h = await start(priceDrop(42000, 28000), { ...HOLDING, ...protections({}) });
    await cycleAt(h, 0);
    const result = await cycleAt(h, 1);
    const row = await haltRow(h);
    expect(row?.halted).toBe(true);
    expect(row?.reason).toBe("MAX_DRAWDOWN");
    expect(row?.halted_by).toBe("titan-bot");
    expect(row?.cycle_id).toBe(result.cycleId);
    expect(Number((row?.details as Record<string, unknown>).peak_equity)).toBeGreaterThan(42000);
    const history = await h.client.query<{ action: string }>("select action from market_halt_events");
    expect(history.map((e) => e.action)).toEqual(["halted"]);
  });

  it("logs MARKET HALT in the blackbox", async () => {
    const h = await start(priceDrop(42000, 28000), { ...HOLDING, ...protections({}) });
    await cycleAt(h, 0);
    const result = await cycleAt(h, 1);
    const halt = events(h, result.blackboxPath).find((line) => line.event === "MARKET HALT");
    expect(halt?.fields.reason).toBe("MAX_DRAWDOWN");
    expect(halt?.fields.market).toBe(MARKET);
  });

  it("lets a 10 % fall pass", async () => {
    const h = await start(priceDrop(42000, 37800), { ...HOLDING, ...protections({}) });
    await cycleAt(h, 0);
    const result = await cycleAt(h, 1);
    expect(result.abortReason).toBeNull();
    expect(result.payload?.protections?.measures?.drawdown_pct).toBeCloseTo(9.8, 0);
  });
});

describe("max daily loss", () => {
  it("halts past the limit in the quote currency", async () => {
    const limits = { maxDrawdownPct: null, maxDailyLossQuote: 5000 };
    const h = await start(priceDrop(42000, 28000), { ...HOLDING, ...protections(limits) });
    await cycleAt(h, 0);
    const result = await cycleAt(h, 1);
    expect(result.abortReason).toBe("MARKET_HALTED");
    expect(result.payload?.abort?.details.halt_reason).toBe("MAX_DAILY_LOSS");
    expect(Number(result.payload?.abort?.details.value)).toBeGreaterThan(13_000);
    expect(result.payload?.abort?.details.day).toBe("2024-01-15");
  });

  it("keeps trading under the limit", async () => {
    const limits = { maxDrawdownPct: null, maxDailyLossQuote: 20000 };
    const h = await start(priceDrop(42000, 28000), { ...HOLDING, ...protections(limits) });
    await cycleAt(h, 0);
    const result = await cycleAt(h, 1);
    expect(result.abortReason).toBeNull();
  });

  it("starts a new baseline each UTC day", async () => {
    harness = await startHarness(trend(0), SLOT + AT);
    const store = new SqlProtectionStore(harness.client);
    await store.trackEquity(MARKET, "2024-01-15", 1000, SLOT);
    await store.trackEquity(MARKET, "2024-01-15", 800, SLOT + INTERVAL);
    const next = await store.trackEquity(MARKET, "2024-01-16", 700, SLOT + 48 * INTERVAL);
    expect(next.dayStartEquity).toBe(700);
    expect(next.peakEquity).toBe(1000);
  });
});

describe("max position", () => {
  it("halts a position above the base limit", async () => {
    const h = await start(priceDrop(42000, 42000), { ...HOLDING, ...protections({ maxPositionBase: 0.5 }) });
    const result = await cycleAt(h, 0);
    expect(result.abortReason).toBe("MARKET_HALTED");
    expect(result.payload?.abort?.details.halt_reason).toBe("MAX_POSITION");
    expect(result.payload?.abort?.details.unit).toBe("BTC");
  });

  it("halts a position worth more than the quote limit", async () => {
    const h = await start(priceDrop(42000, 42000), { ...HOLDING, ...protections({ maxPositionQuote: 30000 }) });
    const result = await cycleAt(h, 0);
    expect(result.payload?.abort?.details.halt_reason).toBe("MAX_POSITION");
    expect(result.payload?.abort?.details.unit).toBe("USD");
  });

  it("skips a BUY that would pass the limit", async () => {
    const h = await start(trend(10), protections({ maxPositionQuote: 1000 }));
    const result = await cycleAt(h, 0);
    expect(result.decision).toBe("BUY");
    expect(result.outcome).toBe("skipped");
    expect(result.payload?.verdict?.order_outcome.reason).toBe("MAX_POSITION");
    expect(result.payload?.verdict?.order_outcome.status).toBe("skipped");
    expect(await h.client.query("select * from orders")).toEqual([]);
    expect(await haltRow(h)).toBeUndefined();
  });

  it("lets a BUY under the limit fill", async () => {
    const h = await start(trend(10), protections({ maxPositionQuote: 20000 }));
    const result = await cycleAt(h, 0);
    expect(result.fill?.side).toBe("buy");
  });
});

describe("MARKET_HALTED", () => {
  async function haltBySql(h: Harness) {
    await h.client.query(
      "select * from titan_halt_market($1, 'ops', 'MANUAL', 'Drill.', '{}'::jsonb, null, now())",
      [MARKET],
    );
  }

  it("aborts without an exchange call", async () => {
    const h = await start(trend(10), {});
    await haltBySql(h);
    const result = await cycleAt(h, 0);
    expect(result.abortReason).toBe("MARKET_HALTED");
    expect(result.payload?.abort?.details.halt_reason).toBe("MANUAL");
    expect(h.sim.requests).toEqual([]);
    const [row] = await h.client.query<{ abort_reason: string }>("select abort_reason from execution_logs");
    expect(row?.abort_reason).toBe("MARKET_HALTED");
  });

  it("tells how to re-arm", async () => {
    const h = await start(trend(10), {});
    await haltBySql(h);
    const result = await cycleAt(h, 0);
    expect(result.message).toContain("titan_rearm_market('BTC/USD'");
  });

  it("keeps every later cycle halted", async () => {
    const h = await start(priceDrop(42000, 28000), { ...HOLDING, ...protections({}) });
    await cycleAt(h, 0);
    await cycleAt(h, 1);
    const before = h.sim.requests.length;
    const result = await cycleAt(h, 2);
    expect(result.abortReason).toBe("MARKET_HALTED");
    expect(h.sim.requests.length).toBe(before);
  });

  it("trades again after titan_rearm_market", async () => {
    const h = await start(priceDrop(42000, 28000), { ...HOLDING, ...protections({}) });
    await cycleAt(h, 0);
    await cycleAt(h, 1);
    const [rearm] = await h.client.query<{ was_halted: boolean }>(
      "select * from titan_rearm_market($1, 'alice', 'loss reviewed')",
      [MARKET],
    );
    expect(rearm?.was_halted).toBe(true);
    const result = await cycleAt(h, 2);
    expect(result.abortReason).toBeNull();
    expect(result.payload?.protections?.measures?.drawdown_pct).toBe(0);
    const row = await haltRow(h);
    expect(row?.halted).toBe(false);
    expect(row?.rearmed_by).toBe("alice");
    expect(row?.reason).toBe("MAX_DRAWDOWN");
  });

  it("re-arm needs who and why", async () => {
    const h = await start(trend(10), {});
    const error = await h.client
      .query("select * from titan_rearm_market($1, 'alice', ' ')", [MARKET])
      .catch((e: Error) => e);
    expect(String(error)).toMatch(/who re-arms \(p_by\) and why \(p_reason\) are required/);
  });
});

describe("cooldown", () => {
  /** Records a filled PAPER round trip: buy at `entry`, sell at `exit`, 1 BTC, at `exitAt`. */
  async function roundTrip(h: Harness, entry: number, exit: number, exitAt: number) {
    await h.client.query(
      "insert into execution_logs (cycle_id, market, slot, mode, status, invocation_id, " +
        "invoked_by, started_at, finished_at, ai_audit_payload) values " +
        "('OLD', $1, $2::timestamptz, 'PAPER', 'completed', 'x', 'test', now(), now(), '{}')",
      [MARKET, new Date(exitAt - 4 * INTERVAL).toISOString()],
    );
    const insert = "insert into orders (cycle_id, market, mode, side, order_type, client_order_id, " +
      "status, requested_amount, price, filled_amount, cost, fee, fee_currency, created_at, " +
      "updated_at) values ('OLD', $1, 'PAPER', $2, 'market', $3, 'filled', 1, $4, 1, $4, 10, " +
      "'USD', $5::timestamptz, $5::timestamptz)";
    await h.client.query(insert, [MARKET, "buy", "OLD-buy", entry, new Date(exitAt - 3_600_000).toISOString()]);
    await h.client.query(insert, [MARKET, "sell", "OLD-sell", exit, new Date(exitAt).toISOString()]);
  }

  it("skips a BUY after a losing exit", async () => {
    const h = await start(trend(10), protections({ cooldownMinutes: 60 }));
    await roundTrip(h, 45000, 43000, SLOT - 20 * 60_000);
    const result = await cycleAt(h, 0);
    expect(result.decision).toBe("BUY");
    expect(result.outcome).toBe("skipped");
    expect(result.payload?.verdict?.order_outcome.reason).toBe("COOLDOWN");
    expect(result.payload?.protections?.entry_block?.message).toContain("lost 2020 USD");
    expect(await h.client.query("select * from orders where cycle_id <> 'OLD'")).toEqual([]);
  });

  it("allows a BUY once the cooldown passed", async () => {
    const h = await start(trend(10), protections({ cooldownMinutes: 60 }));
    await roundTrip(h, 45000, 43000, SLOT - 61 * 60_000);
    const result = await cycleAt(h, 0);
    expect(result.fill?.side).toBe("buy");
  });

  it("allows a BUY after a winning exit", async () => {
    const h = await start(trend(10), protections({ cooldownMinutes: 60 }));
    await roundTrip(h, 41000, 43000, SLOT - 20 * 60_000);
    const result = await cycleAt(h, 0);
    expect(result.fill?.side).toBe("buy");
  });

  it("is off at 0 minutes", async () => {
    const h = await start(trend(10), protections({ cooldownMinutes: 0 }));
    await roundTrip(h, 45000, 43000, SLOT - 20 * 60_000);
    const result = await cycleAt(h, 0);
    expect(result.fill?.side).toBe("buy");
  });
});
