/**
 * The alerts a finished cycle sends: those its steps queued (halt, abort
 * streak, mode change), plus a trade alert for a fill and a crash alert for
 * a crash. They go out just before the blackbox upload, so a failed
 * delivery is in the same log.
 *
 * @module
 */
import type { BlackboxRecorder } from "../blackbox/recorder.ts";
import type { CycleDeps, CycleResult } from "../cycle/context.ts";
import type { CycleState } from "../cycle/state.ts";
import type { AlertEvent } from "./alerter.ts";
import { AlertDispatcher } from "./dispatch.ts";

/** Sends the cycle's alerts and waits for them at most `deps.alertWaitMs`; never throws. */
export async function sendCycleAlerts(
  deps: CycleDeps,
  state: CycleState,
  log: BlackboxRecorder,
  fill: CycleResult["fill"],
): Promise<void> {
  if (deps.alerter === undefined) return;
  const dispatcher = new AlertDispatcher(deps.alerter, log, deps.alertWaitMs);
  for (const event of cycleAlerts(state, fill)) dispatcher.dispatch(event);
  await dispatcher.settle();
}

/** Lists the alerts of a finished cycle, in the order they happened. */
export function cycleAlerts(state: CycleState, fill: CycleResult["fill"]): AlertEvent[] {
  const events = [...state.alerts];
  if (fill !== null) events.push(tradeAlert(state, fill));
  if (state.crash !== null) {
    events.push({
      kind: "crash",
      market: state.market,
      cycle_id: state.cycleId,
      message: `Cycle ${state.cycleId} crashed: ${state.crash.message}`,
      fields: { mode: state.mode },
    });
  }
  return events;
}

function tradeAlert(state: CycleState, fill: NonNullable<CycleResult["fill"]>): AlertEvent {
  const base = state.financials?.base_currency ?? "";
  const quote = state.financials?.quote_currency ?? "";
  return {
    kind: "trade",
    market: state.market,
    cycle_id: state.cycleId,
    message: `${state.mode} ${fill.side.toUpperCase()} ${fill.amount} ${base} on ${state.market} ` +
      `at ${fill.price} ${quote}.`,
    fields: {
      side: fill.side,
      amount: fill.amount,
      price: fill.price,
      cost: fill.cost,
      fee: fill.fee,
      mode: state.mode,
      equity: state.financials?.equity ?? null,
    },
  };
}
