import { afterEach, describe, expect, it } from "vitest";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import { type Harness, startHarness } from "./helpers/cycle-harness.ts";
import {
  AT_1215,
  fallingCandles,
  type LiveHarness,
  type LiveHarnessOptions,
  risingCandles,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";

/** C10's Balance reply: no spot BTC, 0.0123456789 BTC in staking rewards. */
const STAKED_BTC = { ZEUR: "250.0000", XXBT: "0.0000000000", "XBT.F": "0.0123456789" };
const EUR = { TITAN_MARKETS: "BTC/EUR" };

let live: LiveHarness | null = null;
let paper: Harness | null = null;
afterEach(async () => {
  await live?.close();
  await paper?.close();
  live = null;
  paper = null;
});

async function startLive(options: Partial<LiveHarnessOptions>): Promise<LiveHarness> {
  live = await startLiveHarness({ candles: risingCandles(SLOT_1215), now: AT_1215, ...options });
  return live;
}

function addOrders(h: LiveHarness) {
  return h.sim.requests.filter((r) => r.endpoint === "AddOrder");
}

describe("C10 staked balance", () => {
  it("counts staked BTC as held and never buys again", async () => {
    const h = await startLive({
      candles: { XXBTZEUR: risingCandles(SLOT_1215) },
      balances: STAKED_BTC,
      env: EUR,
    });
    const result = await h.runAt(AT_1215, "BTC/EUR");
    expect(result.outcome).toBe("completed");
    expect(result.decision).toBe("HOLD");
    expect(result.payload?.financials?.position).toBeCloseTo(0.0123456789, 12);
    expect(addOrders(h)).toEqual([]);
  });

  it("sells only the free part", async () => {
    const h = await startLive({
      candles: { XXBTZEUR: fallingCandles(SLOT_1215) },
      balances: STAKED_BTC,
      env: EUR,
    });
    const result = await h.runAt(AT_1215, "BTC/EUR");
    expect(result.decision).toBe("SELL");
    expect(result.outcome).toBe("skipped");
    expect(result.payload?.verdict?.order_outcome.reason).toBe("ZERO_AMOUNT");
    expect(addOrders(h)).toEqual([]);
  });

  it("reads a reply without BTC as zero", async () => {
    const h = await startLive({
      candles: { XXBTZEUR: risingCandles(SLOT_1215) },
      balances: { ZEUR: "250.0000" },
      sim: { omitZeroBalances: true },
      env: EUR,
    });
    const result = await h.runAt(AT_1215, "BTC/EUR");
    expect(result.outcome).toBe("completed");
    expect(result.decision).toBe("BUY");
    expect(addOrders(h)).toHaveLength(1);
    // The position after the buy is the fill alone, so it started at zero.
    expect(result.payload?.financials?.position).toBe(result.fill?.amount);
  });
});

describe("C08 funds held by an open order", () => {
  it("sizes the buy from the free balance", async () => {
    const h = await startLive({ balances: { ZUSD: "1000.0000", XXBT: "0.0000000000" } });
    await h.kraken.privatePostAddOrder({
      pair: "XXBTZUSD",
      type: "buy",
      ordertype: "limit",
      price: "30000.0",
      volume: "0.01400000",
    });
    const held = 0.014 * 30_000 * 1.0016;
    const result = await h.runAt(AT_1215);
    const order = result.payload?.verdict?.order_request;
    expect(result.decision).toBe("BUY");
    expect((order?.cost ?? 0) + (order?.fee ?? 0)).toBeLessThanOrEqual((1000 - held) * 0.95);
    expect((order?.cost ?? 0) + (order?.fee ?? 0)).toBeGreaterThan((1000 - held) * 0.94);
    expect(result.outcome).toBe("completed");
  });
});

describe("PAPER and LIVE sizing", () => {
  it.each([
    ["a buy", "USD=10000", { ZUSD: "10000.0000", XXBT: "0.0000000000" }],
    ["a skipped buy", "USD=3.5", { ZUSD: "3.5000", XXBT: "0.0000000000" }],
  ])("size and validate %s alike", async (_case, paperBalances, liveBalances) => {
    const candles = risingCandles(SLOT_1215);
    const env = { TITAN_PAPER_SLIPPAGE_BPS: "5", TITAN_PAPER_START_BALANCES: paperBalances };
    paper = await startHarness(candles, AT_1215, env);
    const paperResult = await runCycle(paper.deps(), { market: "BTC/USD" });
    const h = await startLive({ candles, balances: liveBalances, env });
    const liveResult = await h.runAt(AT_1215);

    const paperVerdict = paperResult.payload?.verdict;
    const liveVerdict = liveResult.payload?.verdict;
    expect(liveVerdict?.decision).toBe(paperVerdict?.decision);
    expect(liveVerdict?.order_request).toEqual(paperVerdict?.order_request);
    expect(liveVerdict?.order_outcome.reason).toBe(paperVerdict?.order_outcome.reason);
    expect(liveResult.outcome).toBe(paperResult.outcome);
  });
});
