/**
 * Setup shared by the breaker tests: a harness whose exchange goes through a
 * crafted Kraken in front of the simulator, on the test Postgres cluster.
 *
 * @module
 */
import type { Env } from "../../shared/config/config.ts";
import type { CycleDeps, CycleResult } from "../../shared/cycle/context.ts";
import { runCycle } from "../../shared/cycle/run-cycle.ts";
import { createKraken, KrakenMarketData } from "../../shared/exchange/ccxt-kraken.ts";
import type { Candle } from "../../shared/market/types.ts";
import { INTERVAL, syntheticCandles } from "./candles.ts";
import { type CraftedKraken, startCraftedKraken } from "./crafted-kraken.ts";
import { type Harness, startHarness } from "./cycle-harness.ts";

/** Slot 12:15 of 2024-01-15 (1705320900 s) and a request 5 s after it opened. */
export const SLOT = Date.UTC(2024, 0, 15, 12, 15);
export const AT = SLOT + 5_000;

/** 300 candles up to the one still open at 12:15; a rise of `step` per candle buys. */
export function trendCandles(step = 10, base = 42_000): Candle[] {
  return syntheticCandles({
    start: SLOT - 299 * INTERVAL,
    count: 300,
    price: (i) => base + step * i,
  });
}

export interface CraftedHarness {
  harness: Harness;
  crafted: CraftedKraken;
  /** Cycle dependencies whose exchange talks to the crafted server. */
  deps(overrides?: Partial<CycleDeps>): CycleDeps;
  close(): Promise<void>;
}

/** Starts the simulator, a crafted Kraken in front of it and a fresh database. */
export async function startCrafted(
  candles: Candle[] | Record<string, Candle[]>,
  env: Env = {},
): Promise<CraftedHarness> {
  const harness = await startHarness(candles, AT, env);
  const crafted = await startCraftedKraken(harness.sim.url);
  const kraken = createKraken({
    baseUrl: crafted.url,
    timeoutMs: harness.config.cycle.exchangeTimeoutMs,
  });
  const exchange = new KrakenMarketData(kraken);
  return {
    harness,
    crafted,
    deps: (overrides = {}) => harness.deps({ exchange, ...overrides }),
    close: async () => {
      await crafted.close();
      await harness.close();
    },
  };
}

/** Runs one cycle; a rejection becomes the text `threw: <message>`. */
export function settle(deps: CycleDeps, market = "BTC/USD"): Promise<CycleResult | string> {
  return runCycle(deps, { market }).then(
    (result) => result,
    (error: unknown) => `threw: ${error instanceof Error ? error.message.slice(0, 200) : "?"}`,
  );
}

/** Returns the outcome of a settled cycle, or the text of its rejection. */
export function outcomeOf(result: CycleResult | string): string {
  return typeof result === "string" ? result : result.outcome;
}

export interface LogRow {
  cycle_id: string;
  status: string;
  abort_reason: string | null;
  ai_audit_payload: Record<string, unknown> | null;
}

/** Reads every execution_logs row, oldest slot first. */
export function logRows(harness: Harness): Promise<LogRow[]> {
  return harness.client.query<LogRow>(
    "select cycle_id, status, abort_reason, ai_audit_payload from execution_logs order by slot",
  );
}
