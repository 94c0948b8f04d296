import { afterEach, describe, expect, it } from "vitest";
import type { CycleResult } from "../shared/cycle/context.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import type { KeyLock } from "../shared/live/key-lock.ts";
import {
  AT_1215,
  type LiveHarness,
  risingCandles,
  secondInvocation,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";

/** Each private reply takes at least this long, so overlapping calls would arrive closer. */
const REPLY_MS = 150;
const PRIVATE = ["BalanceEx", "AddOrder", "QueryOrders", "OpenOrders", "ClosedOrders"];
/** A lock that lets every call through at once: what two processes do without one. */
const NO_LOCK: KeyLock = { run: (call) => call() };

let harness: LiveHarness | null = null;
let second: ReturnType<typeof secondInvocation> | null = null;
afterEach(async () => {
  await second?.close();
  await harness?.close();
  harness = null;
  second = null;
});

/**
 * Runs the BTC/USD and ETH/USD cycles of one slot at the same time, each in
 * its own invocation (ccxt instance and database pool) with one API key.
 * The simulator's clock runs, so its request log has real arrival times.
 */
async function runOverlapping(lock?: KeyLock): Promise<[CycleResult, CycleResult]> {
  harness = await startLiveHarness({
    candles: { XXBTZUSD: risingCandles(SLOT_1215), XETHZUSD: risingCandles(SLOT_1215, 2_000, 0, 1) },
    now: AT_1215,
    balances: { ZUSD: "10000.0000", XXBT: "0.0000000000", XETH: "0.0000000000" },
    sim: { clockMode: "running" },
    env: {
      TITAN_MARKETS: "BTC/USD,ETH/USD",
      TITAN_MAX_CLOCK_SKEW_MS: "10000",
      TITAN_RISK_PARAMS: '{"maxOrderCost":1000}',
    },
    ...(lock ? { lock } : {}),
  });
  second = secondInvocation(harness, lock);
  for (const endpoint of PRIVATE) {
    harness.sim.injectFault({ kind: "latency", ms: REPLY_MS, endpoint });
  }
  return await Promise.all([
    runCycle(harness.deps(), { market: "BTC/USD" }),
    runCycle(second.deps(), { market: "ETH/USD" }),
  ]);
}

/** Gaps between the arrival times of consecutive private requests, in ms. */
function privateGaps(h: LiveHarness): number[] {
  const times = h.sim.requests.filter((r) => r.endpoint !== undefined).map((r) => r.time);
  return times.slice(1).map((time, i) => time - times[i]!);
}

describe("C04 one API key, two invocations", () => {
  it("never overlaps private calls", async () => {
    const [btc, eth] = await runOverlapping();
    expect(btc.outcome).toBe("completed");
    expect(eth.outcome).toBe("completed");
    const gaps = privateGaps(harness!);
    expect(gaps).toHaveLength(5);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(REPLY_MS - 2);
    expect(harness!.sim.orders()).toHaveLength(2);
  });

  it("stores the last nonce for the next process", async () => {
    await runOverlapping();
    const [row] = await harness!.client.query<{ last_nonce: string }>(
      "select last_nonce from api_key_nonces",
    );
    expect(Number(row?.last_nonce)).toBeGreaterThanOrEqual(harness!.kraken.lastNonce());
  });

  it("overlaps without the lock", async () => {
    await runOverlapping(NO_LOCK);
    const gaps = privateGaps(harness!);
    expect(Math.min(...gaps)).toBeLessThan(REPLY_MS - 2);
  });
});
