/**
 * The abort streak check at the end of an aborted cycle. It runs after the
 * verdict is known and before the blackbox is uploaded, so the switch to
 * PAPER is in this cycle's log and payload. It never throws: a failure is
 * logged and the cycle keeps its outcome.
 *
 * @module
 */
import type { BlackboxRecorder } from "../blackbox/recorder.ts";
import type { CycleDeps } from "../cycle/context.ts";
import type { CycleState } from "../cycle/state.ts";
import { limitsFor } from "./config.ts";
import { BOT_ACTOR } from "./cycle-steps.ts";
import type { ProtectionStore } from "./store.ts";
import {
  type AbortStreak,
  countAbortStreak,
  decideStreak,
  DELIBERATE_STOPS,
  streakReason,
} from "./streak.ts";

/** Alerts on an abort streak longer than allowed, and switches a LIVE market to PAPER. */
export async function checkAbortStreak(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
): Promise<void> {
  const store = deps.protections;
  const reason = state.abort?.reason;
  if (store === undefined || reason === undefined || DELIBERATE_STOPS.has(reason)) return;
  try {
    await checkStreak(store, deps, state, log);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error("PROTECTION ERROR", { step: "abort_streak", error: log.scrubText(message) });
  }
}

async function checkStreak(
  store: ProtectionStore,
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
): Promise<void> {
  const max = limitsFor(deps.config.protections, state.market).maxAbortStreak;
  const previous = await store.recentOutcomes(state.market, state.slot, max + 1);
  const current = {
    cycleId: state.cycleId,
    mode: state.mode,
    status: "aborted",
    abortReason: state.abort?.reason ?? null,
  };
  const streak = countAbortStreak([current, ...previous], state.mode);
  const decision = decideStreak(streak, max, state.mode);
  state.protections.abort_streak = {
    length: streak.length,
    max,
    reasons: streak.reasons,
    forced_paper: false,
  };
  if (!decision.alert) return;
  log.warning("ABORT STREAK", {
    market: state.market,
    length: streak.length,
    max,
    reasons: streak.reasons.join(","),
  });
  state.alerts.push({
    kind: "abort_streak",
    market: state.market,
    cycle_id: state.cycleId,
    message: `${state.market} aborted ${streak.length} cycles in a row in ${state.mode} ` +
      `(${streak.reasons.join(", ")}); maxAbortStreak is ${max}.`,
    fields: { length: streak.length, max, reasons: streak.reasons.join(","), mode: state.mode },
  });
  if (decision.forcePaper) await forcePaper(store, deps, state, log, streak, max);
}

async function forcePaper(
  store: ProtectionStore,
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  streak: AbortStreak,
  max: number,
): Promise<void> {
  const reason = streakReason(streak, max);
  const changed = await store.forcePaper({
    market: state.market,
    by: BOT_ACTOR,
    reason,
    details: { length: streak.length, max, reasons: streak.reasons, cycle_ids: streak.cycleIds },
    cycleId: state.cycleId,
    at: deps.clock.now(),
  });
  if (!changed) return;
  if (state.protections.abort_streak) state.protections.abort_streak.forced_paper = true;
  log.warning("MODE CHANGE", { market: state.market, from: "LIVE", to: "PAPER", reason });
  state.alerts.push({
    kind: "mode_change",
    market: state.market,
    cycle_id: state.cycleId,
    message: `${state.market} switched from LIVE to PAPER: ${reason}. Re-enable LIVE with ` +
      `select * from titan_enable_live('${state.market}', '<who>', '<why>').`,
    fields: { from: "LIVE", to: "PAPER", by: BOT_ACTOR, length: streak.length, max },
  });
}
