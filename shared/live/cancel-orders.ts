/**
 * The kill switch's LIVE step: cancels every open order of the account
 * (`CancelAll`), so nothing keeps trading and held funds become free
 * before a flatten sells the position.
 *
 * @module
 */
import { CallGuard } from "../exchange/call-guard.ts";
import type { Clock } from "../time/clock.ts";
import type { CycleSettings } from "../config/config.ts";
import type { PrivateExchange } from "./private-exchange.ts";

/** Cancels every open order and returns how many; throws the guard's `CycleAbort` on failure. */
export async function cancelOpenOrders(
  exchange: PrivateExchange,
  clock: Clock,
  settings: CycleSettings,
): Promise<number> {
  const guard = new CallGuard({
    clock,
    latencyBudgetMs: settings.exchangeTimeoutMs,
    timeoutMs: settings.exchangeTimeoutMs,
    deadlineAt: clock.monotonic() + settings.deadlineMs,
    retryBackoffMs: settings.retryBackoffMs,
  });
  return await guard.call("CancelAll", (signal) => exchange.cancelAll(signal));
}
