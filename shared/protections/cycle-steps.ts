/**
 * The protection steps of a cycle: the market halt check before any
 * exchange call, and the limits after the portfolio is marked. Both do
 * nothing when the cycle has no protection store (replays, backtests).
 *
 * @module
 */
import type { BlackboxRecorder } from "../blackbox/recorder.ts";
import type { CycleDeps } from "../cycle/context.ts";
import { CycleAbort } from "../cycle/reasons.ts";
import type { CycleState } from "../cycle/state.ts";
import { limitsFor } from "./config.ts";
import { type Breach, cooldownBlock, entryBlock, findBreach, measure } from "./limits.ts";
import type { MarketHalt, ProtectionStore } from "./store.ts";

/** Actor name recorded when the bot itself halts a market or changes its mode. */
export const BOT_ACTOR = "titan-bot";

/** Aborts MARKET_HALTED while the market is halted. */
export async function checkMarketHalt(deps: CycleDeps, state: CycleState): Promise<void> {
  const store = deps.protections;
  if (store === undefined) return;
  const halt = await store.readHalt(state.market);
  if (halt === null) return;
  state.protections.halt = {
    action: "found",
    reason: halt.reason,
    message: halt.message,
    details: halt.details,
  };
  throw new CycleAbort(
    "MARKET_HALTED",
    `Market ${state.market} is halted (${halt.reason}): ${halt.message} After review, re-arm it ` +
      `with: select * from titan_rearm_market('${state.market}', '<who>', '<why>').`,
    haltDetails(halt),
  );
}

/**
 * Measures the equity and position against the market's limits. A broken
 * limit halts the market and aborts MARKET_HALTED. A recent losing exit
 * blocks BUY (COOLDOWN). The position limits are checked later against the
 * sized BUY (MAX_POSITION).
 */
export async function applyProtections(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
): Promise<void> {
  const store = deps.protections;
  const f = state.financials;
  if (store === undefined || f === null) return;
  if (f.equity === null || f.position === null || f.price === null) return;
  const limits = limitsFor(deps.config.protections, state.market);
  const names = { base: f.base_currency, quote: f.quote_currency };
  const now = deps.clock.now();
  state.protections.limits = { ...limits };

  const day = new Date(state.slot).toISOString().slice(0, 10);
  const baseline = await store.trackEquity(state.market, day, f.equity, now);
  const measures = measure({ equity: f.equity, baseline, position: f.position, price: f.price });
  state.protections.measures = { ...measures };
  log.info("PROTECTIONS", {
    daily_loss: round2(measures.daily_loss),
    drawdown_pct: round2(measures.drawdown_pct),
    peak_equity: round2(measures.peak_equity),
    position_value: round2(measures.position_value),
  });
  const breach = findBreach(limits, measures, names.quote, names.base);
  if (breach !== null) await haltMarket(store, deps, state, log, breach);

  const exit = limits.cooldownMinutes > 0 ? await store.lastExit(state.market, names.quote) : null;
  const block = cooldownBlock(limits, exit, now, names.quote);
  if (block !== null) {
    state.entryBlock = block;
    state.protections.entry_block = block;
    log.info("COOLDOWN", { message: block.message });
  }
  const position = f.position;
  const price = f.price;
  state.entryLimit = (amount) => entryBlock(limits, position, amount, price, names);
}

async function haltMarket(
  store: ProtectionStore,
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  breach: Breach,
): Promise<never> {
  const halt: MarketHalt = {
    market: state.market,
    reason: breach.reason,
    message: breach.message,
    details: breach.details,
    haltedBy: BOT_ACTOR,
    haltedAt: deps.clock.now(),
    cycleId: state.cycleId,
  };
  const action = await store.haltMarket(halt);
  state.protections.halt = { action, ...breach };
  log.warning("MARKET HALT", { market: state.market, reason: breach.reason, action });
  if (action === "halted") {
    state.alerts.push({
      kind: "halt",
      market: state.market,
      cycle_id: state.cycleId,
      message: `${breach.message} Trading on ${state.market} is halted until an operator ` +
        "runs titan_rearm_market.",
      fields: { reason: breach.reason, mode: state.mode, ...breach.details },
    });
  }
  throw new CycleAbort(
    "MARKET_HALTED",
    `${breach.message} Market ${state.market} is now halted; review it, then re-arm it with ` +
      "titan_rearm_market.",
    haltDetails(halt),
  );
}

function haltDetails(halt: MarketHalt): Record<string, unknown> {
  return {
    halt_reason: halt.reason,
    halt_message: halt.message,
    halted_by: halt.haltedBy,
    halted_at: new Date(halt.haltedAt).toISOString(),
    halt_cycle_id: halt.cycleId,
    ...halt.details,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
