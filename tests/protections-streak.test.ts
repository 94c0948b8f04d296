import { afterEach, describe, expect, it } from "vitest";
import { parseLog } from "../shared/blackbox/parse.ts";
import type { TitanConfig } from "../shared/config/config.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import type { TradingMode } from "../shared/journal/journal.ts";
import { SqlProtectionStore } from "../shared/protections/sql-store.ts";
import type { CycleOutcome } from "../shared/protections/store.ts";
import { countAbortStreak, decideStreak } from "../shared/protections/streak.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";
import { type Harness, startHarness } from "./helpers/cycle-harness.ts";

function aborted(reason: string, mode: TradingMode = "LIVE"): CycleOutcome {
  return { cycleId: `C-${reason}`, mode, status: "aborted", abortReason: reason };
}

function completed(mode: TradingMode = "LIVE"): CycleOutcome {
  return { cycleId: "C-done", mode, status: "completed", abortReason: null };
}

describe("countAbortStreak", () => {
  it("counts fault aborts up to the first other outcome", () => {
    const streak = countAbortStreak(
      [aborted("API_LAG"), aborted("DATA_GAP"), aborted("API_LAG"), completed(), aborted("API_LAG")],
      "LIVE",
    );
    expect(streak.length).toBe(3);
    expect(streak.reasons).toEqual(["API_LAG", "DATA_GAP"]);
  });

  it("ends at a deliberate stop", () => {
    const streak = countAbortStreak([aborted("API_LAG"), aborted("MARKET_HALTED"), aborted("API_LAG")], "LIVE");
    expect(streak.length).toBe(1);
  });

  it("ends at a cycle of the other mode", () => {
    const streak = countAbortStreak([aborted("API_LAG"), aborted("API_LAG", "PAPER")], "LIVE");
    expect(streak.length).toBe(1);
  });

  it("is 0 after a completed cycle", () => {
    expect(countAbortStreak([completed(), aborted("API_LAG")], "LIVE").length).toBe(0);
  });
});

describe("decideStreak", () => {
  const streakOf = (length: number) => ({ length, reasons: ["API_LAG"], cycleIds: [] });

  it("tolerates a streak of exactly the limit", () => {
    expect(decideStreak(streakOf(4), 4, "LIVE")).toEqual({ alert: false, forcePaper: false });
  });

  it("switches a LIVE market one abort past the limit", () => {
    expect(decideStreak(streakOf(5), 4, "LIVE")).toEqual({ alert: true, forcePaper: true });
  });

  it("only alerts in PAPER", () => {
    expect(decideStreak(streakOf(5), 4, "PAPER")).toEqual({ alert: true, forcePaper: false });
  });
});

const SLOT = Date.UTC(2024, 0, 15, 12, 15);
const NOW = SLOT + 5_000;
const MARKET = "BTC/USD";

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

function candles() {
  const count = 300;
  return syntheticCandles({ start: SLOT - (count - 1) * INTERVAL, count, price: () => 42000 });
}

/**
 * Runs the cycle of the slot `back` intervals before SLOT at NOW. With
 * `back` >= 1 the request is late, so it aborts STALE_SLOT before any
 * exchange call, LIVE or not.
 */
function cycleFor(h: Harness, config: TitanConfig, back: number) {
  const deps = h.deps({ config, protections: new SqlProtectionStore(h.client) });
  return runCycle(deps, { market: MARKET, slot: SLOT - back * INTERVAL });
}

async function liveStreak(length: number) {
  harness = await startHarness(candles(), NOW);
  const config: TitanConfig = { ...harness.config, mode: "LIVE" };
  const results = [];
  for (let back = length; back >= 1; back--) results.push(await cycleFor(harness, config, back));
  return { h: harness, config, results };
}

describe("LIVE abort streak", () => {
  it("switches the market to PAPER on the fifth abort", async () => {
    const { h, results } = await liveStreak(5);
    expect(results.map((r) => r.abortReason)).toEqual(Array(5).fill("STALE_SLOT"));
    const rows = await h.client.query<Record<string, unknown>>("select * from market_mode_overrides");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.mode).toBe("PAPER");
    expect(rows[0]?.set_by).toBe("titan-bot");
    expect(rows[0]?.cycle_id).toBe(results[4]?.cycleId);
    expect(String(rows[0]?.reason)).toContain("5 consecutive LIVE aborts (STALE_SLOT)");
  });

  it("leaves a market with four aborts LIVE", async () => {
    const { h } = await liveStreak(4);
    expect(await h.client.query("select * from market_mode_overrides")).toEqual([]);
  });

  it("writes MODE CHANGE to the blackbox", async () => {
    const { h, results } = await liveStreak(5);
    const text = h.sink.files.get(results[4]?.blackboxPath ?? "") ?? "";
    const line = text.split("\n").find((l) => l.includes("MODE CHANGE")) ?? "";
    expect(line).toContain("[WARNING] MODE CHANGE market=BTC/USD from=LIVE to=PAPER reason=");
    const parsed = parseLog(line)[0];
    expect(parsed?.ok).toBe(true);
    expect(parsed?.ok ? parsed.fields.reason : null).toMatch(/more than maxAbortStreak 4/);
  });

  it("records who and why in market_mode_changes", async () => {
    const { h } = await liveStreak(5);
    const rows = await h.client.query<Record<string, unknown>>(
      "select action, from_mode, to_mode, actor, details from market_mode_changes",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.action).toBe("forced_paper");
    expect(rows[0]?.from_mode).toBe("LIVE");
    expect(rows[0]?.actor).toBe("titan-bot");
    expect((rows[0]?.details as Record<string, unknown>).reasons).toEqual(["STALE_SLOT"]);
  });

  it("puts the streak in the audit payload", async () => {
    const { results } = await liveStreak(5);
    expect(results[4]?.payload?.protections?.abort_streak).toEqual({
      length: 5,
      max: 4,
      reasons: ["STALE_SLOT"],
      forced_paper: true,
    });
  });

  it("runs the next cycle in PAPER", async () => {
    const { h, config } = await liveStreak(5);
    const result = await runCycle(
      h.deps({ config, protections: new SqlProtectionStore(h.client) }),
      { market: MARKET },
    );
    expect(result.mode).toBe("PAPER");
    expect(result.payload?.protections?.mode.configured).toBe("LIVE");
    expect(result.payload?.protections?.mode.override?.set_by).toBe("titan-bot");
    const [row] = await h.client.query<{ mode: string }>(
      "select mode from execution_logs where cycle_id = $1",
      [result.cycleId],
    );
    expect(row?.mode).toBe("PAPER");
  });

  it("returns to LIVE after titan_enable_live", async () => {
    const { h, config } = await liveStreak(5);
    const [enabled] = await h.client.query<{ was_overridden: boolean }>(
      "select * from titan_enable_live($1, 'alice', 'exchange outage over')",
      [MARKET],
    );
    expect(enabled?.was_overridden).toBe(true);
    // An older slot that has not run yet: it aborts STALE_SLOT before any LIVE exchange call.
    const result = await cycleFor(h, config, 6);
    expect(result.mode).toBe("LIVE");
    expect(await h.client.query("select * from market_mode_overrides")).toEqual([]);
  });

  it("never switches a PAPER configuration", async () => {
    harness = await startHarness(candles(), NOW);
    for (let back = 6; back >= 1; back--) await cycleFor(harness, harness.config, back);
    expect(await harness.client.query("select * from market_mode_overrides")).toEqual([]);
  });
});
